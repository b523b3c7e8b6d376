import { CHANNELS } from '@clarion/adapter-kit';
import { Items, Page, PageQuery, Type, queryParameters } from '../kernel/schema.ts';
import {
  LAYOUT_NAME, layoutInputSchema, layoutViewSchema, rollbackSchema, templatePartsSchema, templatePreviewSchema, templateSummarySchema, templateVersionSchema, templateVersionSummarySchema,
  templateListQuery, templateViewSchema, templateWarningSchema, unpublishResultSchema, withWarningsSchema,
} from './schemas.ts';
import { previewSchema, saveSchema } from './service.ts';
import { WORKFLOW_KEY } from '../workflows/service.ts';

/** The template routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const pathParam = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'path', required: true, description, schema });
const tags = ['templates'];

const keyParams = [
  pathParam('workflow', 'The workflow key, e.g. `quotation.status_changed`', { type: 'string', pattern: WORKFLOW_KEY.source }),
  pathParam('channel', 'The channel', { enum: CHANNELS }),
  pathParam('locale', 'The locale (BCP 47), e.g. `en`, `fr`, `fr-CA`'),
];
const versionParam = pathParam('version', 'The version number', { type: 'integer', minimum: 1 });
const layoutParam = pathParam('name', 'The layout name: used as `{% extends "_layouts/<name>.njk" %}`', { type: 'string', pattern: LAYOUT_NAME.source });

export const templatePaths = {
  '/v1/templates': {
    get: {
      tags,
      summary: "List templates: the bundled defaults and the tenant's own, one item per workflow, channel and locale",
      parameters: queryParameters(templateListQuery),
      responses: { '200': json(Items(Ref('TemplateSummary'))), ...errors(400, 401) },
    },
  },
  '/v1/templates/preview': {
    post: {
      tags,
      summary: 'Render a template with sample data, a stored event, or inline parts (live preview)',
      description:
        'Renders what a subscriber would receive, without sending anything. Give `template` (inline parts) to render unsaved edits, `version` to render a stored version, ' +
        'or neither to render what deliveries would use (the published tenant template, else the bundled one). Data comes from `data`, a stored event (`eventId`), or ' +
        "the bundled workflow's sample, else the tenant's latest event of the workflow's trigger type (a warning says which, or that there is none). SMS previews report the encoding and segment count; push previews the payload size against each platform's limit.",
      requestBody: { required: true, content: { 'application/json': { schema: previewSchema } } },
      responses: { '200': json(ref('TemplatePreview')), ...errors(400, 401, 404, 415, 422, 503) },
    },
  },
  '/v1/templates/layouts': {
    get: {
      tags,
      summary: 'List layouts: the bundled ones and the tenant\'s own (which replace bundled ones of the same name)',
      responses: { '200': json(Items(Ref('TemplateLayout'))), ...errors(401) },
    },
  },
  '/v1/templates/layouts/{name}': {
    get: { tags, summary: 'Read a layout (the tenant\'s, else the bundled one)', parameters: [layoutParam], responses: { '200': json(ref('TemplateLayout')), ...errors(400, 401, 404) } },
    put: {
      tags,
      summary: 'Save a tenant layout',
      description: 'Email templates use it with `{% extends "_layouts/<name>.njk" %}`; a tenant layout named like a bundled one (`email`) replaces it for every template, bundled ones included. Syntax errors and unknown filters, tests or tags are refused (422 with line and column).',
      parameters: [layoutParam],
      requestBody: { required: true, content: { 'application/json': { schema: layoutInputSchema } } },
      responses: {
        '200': json({ allOf: [ref('TemplateLayout'), withWarningsSchema] }),
        '201': json({ allOf: [ref('TemplateLayout'), withWarningsSchema] }, 'Created'),
        ...errors(400, 401, 413, 415, 422),
      },
    },
    delete: { tags, summary: 'Delete a tenant layout (the bundled one of the same name applies again)', parameters: [layoutParam], responses: { '204': { description: 'Deleted' }, ...errors(400, 401, 404) } },
  },
  '/v1/templates/{workflow}/{channel}/{locale}': {
    get: {
      tags,
      summary: 'Read the template that renders for exactly this workflow, channel and locale: the published tenant version, else the bundled default',
      parameters: keyParams,
      responses: { '200': json(ref('Template')), ...errors(400, 401, 404) },
    },
  },
  '/v1/templates/{workflow}/{channel}/{locale}/versions': {
    get: {
      tags,
      summary: 'List the saved versions, newest first',
      parameters: [...keyParams, ...queryParameters(PageQuery)],
      responses: {
        '200': json(Page(Ref('TemplateVersionSummary'))),
        ...errors(400, 401),
      },
    },
    post: {
      tags,
      summary: 'Save a new version (a draft, or published at once with `publish: true`)',
      description:
        'Every save makes a new version. Syntax errors, unknown filters, tests and tags are refused with 422 (`errors[]` give each part with `line` and `column`, and `name` for an unknown filter, test or tag); variables the workflow\'s contract does not declare, unknown variables and missing translations come back as `warnings`.',
      parameters: keyParams,
      requestBody: { required: true, content: { 'application/json': { schema: saveSchema } } },
      responses: {
        '201': json({ allOf: [ref('TemplateVersion'), withWarningsSchema] }, 'Created'),
        ...errors(400, 401, 413, 415, 422),
      },
    },
  },
  '/v1/templates/{workflow}/{channel}/{locale}/versions/{version}': {
    get: { tags, summary: 'Read one version', parameters: [...keyParams, versionParam], responses: { '200': json(ref('Template')), ...errors(400, 401, 404) } },
  },
  '/v1/templates/{workflow}/{channel}/{locale}/versions/{version}/publish': {
    post: {
      tags,
      summary: 'Publish a draft version; the version published until now is archived',
      description: 'Published versions never change. A version that was published before (archived) cannot be published again: roll back to it, which publishes a copy.',
      parameters: [...keyParams, versionParam],
      responses: { '200': json(ref('TemplateVersion')), ...errors(400, 401, 404, 409) },
    },
  },
  '/v1/templates/{workflow}/{channel}/{locale}/rollback': {
    post: {
      tags,
      summary: 'Roll back: publish a copy of an older version as a new version',
      description: 'The new version has `basedOnVersion` set; the history stays complete and every published version stays as it was.',
      parameters: keyParams,
      requestBody: { required: true, content: { 'application/json': { schema: rollbackSchema } } },
      responses: { '201': json(ref('TemplateVersion'), 'Created'), ...errors(400, 401, 404, 409, 415) },
    },
  },
  '/v1/templates/{workflow}/{channel}/{locale}/unpublish': {
    post: {
      tags,
      summary: 'Archive the published version, so the bundled default (if any) renders again',
      parameters: keyParams,
      responses: {
        '200': json(unpublishResultSchema),
        ...errors(400, 401, 404),
      },
    },
  },
};

export const templateSchemas = {
  TemplateParts: templatePartsSchema,
  TemplateWarning: templateWarningSchema,
  TemplateSummary: templateSummarySchema,
  TemplateVersionSummary: templateVersionSummarySchema,
  TemplateVersion: templateVersionSchema,
  Template: templateViewSchema,
  TemplatePreview: templatePreviewSchema,
  TemplateLayout: layoutViewSchema,
};
