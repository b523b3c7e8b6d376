import { Page, PageQuery, Type, queryParameters } from '../kernel/schema.ts';
import { MAX_BULK, topicAddResultSchema, topicInputSchema, topicMemberSchema, topicMembersInputSchema, topicRemoveResultSchema, topicViewSchema } from './service.ts';

/** The topic routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const key = { name: 'key', in: 'path', required: true, description: 'The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`.', schema: { type: 'string' } };
const paging = queryParameters(PageQuery);
const tags = ['topics'];
const members = { required: true, content: { 'application/json': { schema: ref('TopicMembersInput') } } };

export const topicPaths = {
  '/v1/topics': {
    get: { tags, summary: "List the tenant's topics, newest first", parameters: paging, responses: { '200': json(Page(Ref('Topic'))), ...errors(400, 401) } },
  },
  '/v1/topics/{key}': {
    get: { tags, summary: 'A topic, with its number of subscribers', parameters: [key], responses: { '200': json(ref('Topic')), ...errors(401, 404, 422) } },
    put: {
      tags,
      summary: 'Create or update a topic',
      description: 'Events and workflows address its members as the recipient `topic:<key>`; an event to a large topic is fanned out in pages by the worker (`GET /v1/events/{id}` shows how far: `topicFanOuts`).',
      parameters: [key],
      requestBody: { required: true, content: { 'application/json': { schema: topicInputSchema } } },
      responses: { '200': json(ref('Topic'), 'Updated'), '201': json(ref('Topic'), 'Created'), ...errors(400, 401, 415, 422) },
    },
    delete: { tags, summary: 'Delete a topic and its memberships', description: 'A fan-out to it under way finds no more members and ends.', parameters: [key], responses: { '204': { description: 'Deleted' }, ...errors(401, 404, 422) } },
  },
  '/v1/topics/{key}/subscribers': {
    get: { tags, summary: "The topic's subscribers, newest members first", parameters: [key, ...paging], responses: { '200': json(Page(Ref('TopicMember'))), ...errors(400, 401, 404, 422) } },
    put: {
      tags,
      summary: `Add subscribers to the topic (up to ${MAX_BULK} ids a call)`,
      description: 'Ids no subscriber has are created bare, as an event naming them would; erased subscribers are not added (listed under `erased`). Adding a member twice changes nothing. A list with an invalid id changes nothing (422 naming each).',
      parameters: [key],
      requestBody: members,
      responses: { '200': json(ref('TopicAddResult')), ...errors(400, 401, 404, 413, 415, 422) },
    },
    delete: {
      tags,
      summary: `Remove subscribers from the topic (up to ${MAX_BULK} ids a call)`,
      description: 'The subscribers stay; only their membership goes. A fan-out under way skips them if it has not reached them yet.',
      parameters: [key],
      requestBody: members,
      responses: { '200': json(ref('TopicRemoveResult')), ...errors(400, 401, 404, 413, 415, 422) },
    },
  },
};

export const topicSchemas = {
  Topic: topicViewSchema,
  TopicMember: topicMemberSchema,
  TopicMembersInput: topicMembersInputSchema,
  TopicAddResult: topicAddResultSchema,
  TopicRemoveResult: topicRemoveResultSchema,
};
