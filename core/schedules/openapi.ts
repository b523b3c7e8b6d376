import { Page, PageQuery, Type, queryParameters } from '../kernel/schema.ts';
import { scheduleInputSchema, scheduleUpdateSchema, scheduleViewSchema } from './service.ts';

/** The schedule routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const key = { name: 'key', in: 'path', required: true, description: 'The schedule key', schema: { type: 'string' } };
const paging = queryParameters(PageQuery);
const tags = ['schedules'];

export const schedulePaths = {
  '/v1/schedules': {
    get: { tags, summary: "List the tenant's schedules, newest first", parameters: paging, responses: { '200': json(Page(Ref('Schedule'))), ...errors(400, 401) } },
    post: {
      tags,
      summary: 'Create a recurring schedule',
      description:
        'An RRULE (RFC 5545) or cron expression in a time zone, and the event each occurrence emits (checked now like a posted event: envelope, extensions, contract). ' +
        'Each occurrence emits its event once (id `<key>/<occurrence>`, source `/clarion/schedules/<key>` by default), even with several workers; schedules survive restarts. ' +
        'With `localTime`, each subscriber is notified at the occurrence\'s wall time in their own time zone. A cancellation of the event\'s `cancelkey` also ends the schedule.',
      requestBody: { required: true, content: { 'application/json': { schema: scheduleInputSchema } } },
      responses: { '201': json(ref('Schedule'), 'Created'), ...errors(400, 401, 409, 415, 422) },
    },
  },
  '/v1/schedules/{key}': {
    get: { tags, summary: 'A schedule, with its next occurrences', parameters: [key], responses: { '200': json(ref('Schedule')), ...errors(401, 404) } },
    patch: {
      tags,
      summary: 'Change, pause or resume a schedule',
      description:
        'Only the fields given change (`rrule` replaces a cron expression and the reverse; `event` and `recipients` replace the old ones, checked again like a posted event). ' +
        'Exactly once still holds: an occurrence already handled is never emitted again; a changed rule or time zone goes on from its first occurrence after now and after the last one handled; ' +
        'unchanged timing keeps the occurrence the schedule waits for. `paused: true` stops every occurrence (status `paused`); `paused: false` resumes from the next occurrence after now: ' +
        'those that fell while paused are skipped, not emitted late. A cancelled schedule stays cancelled (409). Audited as `schedule.updated`, `schedule.paused`, `schedule.resumed`.',
      parameters: [key],
      requestBody: { required: true, content: { 'application/json': { schema: scheduleUpdateSchema } } },
      responses: { '200': json(ref('Schedule')), ...errors(400, 401, 404, 409, 413, 415, 422) },
    },
    delete: { tags, summary: 'Delete a schedule', description: 'No occurrence fires any more; the events it emitted stay (cancel them with their cancelkey).', parameters: [key], responses: { '204': { description: 'Deleted' }, ...errors(401, 404) } },
  },
};

export const scheduleSchemas = {
  Schedule: scheduleViewSchema,
};
