import { CHANNELS, type Channel, type RenderedContent } from '@clarion/adapter-kit';
import { DateTime, Nullable, NullableDateTime, NullableString, StringEnum, Type, type Static } from '../kernel/schema.ts';
import { ALL_PART_NAMES } from './parts.ts';

/**
 * What the template routes take and answer, once: the service's answers are typed by these
 * schemas, the layout and rollback bodies are checked with them, and the OpenAPI document
 * (openapi.ts) shows them, so a field added to an answer and not to its schema fails typecheck,
 * and a test response that differs fails its test. (The preview and save bodies: service.ts.)
 */

const ref = <T>(name: string) => Type.Unsafe<T>({ $ref: `#/components/schemas/${name}` });
const channel = StringEnum(CHANNELS as readonly Channel[]);

/** A tenant layout's name (`{% extends "_layouts/<name>.njk" %}`). */
export const LAYOUT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const TEMPLATE_STATUSES = ['draft', 'published', 'archived'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export const templatePartsSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  properties: Object.fromEntries(ALL_PART_NAMES.map((p) => [p, { type: 'string' }])),
  additionalProperties: false,
  description: 'Nunjucks source of each part',
});
const parts = ref<Record<string, string>>('TemplateParts');

export const templateWarningSchema = Type.Object({
  message: Type.String(),
  part: Type.Optional(Type.String()),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
  variable: Type.Optional(Type.String({ description: 'e.g. `data.quotation.total`' })),
});
export type TemplateWarning = Static<typeof templateWarningSchema>;
const warnings = Type.Array(ref<TemplateWarning>('TemplateWarning'));

const keyFields = { workflow: Type.String(), channel, locale: Type.String() };
/** What addresses a template: /v1/templates/{workflow}/{channel}/{locale}. */
export const templateKeySchema = Type.Object(keyFields);

export const templateSummarySchema = Type.Object({
  ...keyFields,
  source: StringEnum(['tenant', 'bundled', 'none'] as const, { description: 'What renders now' }),
  bundled: Type.Boolean({ description: 'A bundled default exists' }),
  publishedVersion: Nullable(Type.Integer()),
  latestVersion: Nullable(Type.Integer()),
  updatedAt: NullableDateTime(),
});

const versionFields = {
  ...keyFields,
  version: Type.Integer(),
  status: StringEnum(TEMPLATE_STATUSES),
  createdAt: DateTime(),
  createdBy: NullableString(),
  publishedAt: NullableDateTime(),
  basedOnVersion: Nullable(Type.Integer(), { description: 'Set on versions made by a rollback' }),
};
export const templateVersionSummarySchema = Type.Object(versionFields);
export const templateVersionSchema = Type.Object({ ...versionFields, parts });

/** The template that renders for a key (the tenant's published version, else the bundled one), or one stored version. */
export const templateViewSchema = Type.Object({
  ...versionFields,
  version: Nullable(Type.Integer()),
  status: Type.Unsafe<TemplateStatus | null>({ enum: [...TEMPLATE_STATUSES, null] }),
  createdAt: NullableDateTime({ description: 'Null for a bundled template' }),
  source: StringEnum(['tenant', 'bundled'] as const),
  parts,
  file: Type.Optional(Type.String({ description: 'Bundled templates: the file the parts come from' })),
  publishedVersion: Nullable(Type.Integer()),
  latestVersion: Nullable(Type.Integer()),
});

export const smsInfoSchema = Type.Object({
  encoding: StringEnum(['GSM-7', 'UCS-2'] as const),
  segments: Type.Integer({ description: 'Segments the message is sent as (each billed as one SMS)' }),
  units: Type.Integer({ description: 'Septets (GSM-7) or UTF-16 code units (UCS-2)' }),
  characters: Type.Integer({ description: 'Characters as a person counts them' }),
  perSegment: Type.Integer({ description: 'Units per segment for this message: 160/153 (GSM-7) or 70/67 (UCS-2)' }),
  nonGsmCharacters: Type.Optional(Type.Array(Type.String(), { description: 'For UCS-2 messages: the characters that are not in the GSM-7 alphabet' })),
});

const displayed = Type.Object({ length: Type.Integer(), displayLimit: Type.Integer(), truncated: Type.Boolean() });
export const pushLimitCheckSchema = Type.Object({
  platform: StringEnum(['fcm', 'apns', 'webpush'] as const),
  bytes: Type.Integer({ description: 'Bytes of the payload Clarion would send to this platform' }),
  limit: Type.Integer(),
  fits: Type.Boolean(),
});
export const pushInfoSchema = Type.Object({ title: displayed, body: displayed, payloads: Type.Array(pushLimitCheckSchema), fits: Type.Boolean() });

export const templatePreviewSchema = Type.Object({
  ...keyFields,
  source: StringEnum(['tenant', 'bundled', 'inline'] as const),
  version: Nullable(Type.Integer()),
  parts: Type.Unsafe<RenderedContent>({ type: 'object', description: 'What the adapter would receive (RenderedContent): subject/html/text, text, title/body/url/data, blocks, actions, json' }),
  warnings,
  sms: Type.Optional(smsInfoSchema),
  push: Type.Optional(pushInfoSchema),
});

export const layoutViewSchema = Type.Object({
  name: Type.String(),
  source: StringEnum(['tenant', 'bundled'] as const),
  content: Type.String({ description: 'Nunjucks source' }),
  overridesBundled: Type.Boolean(),
  updatedAt: NullableDateTime(),
  updatedBy: NullableString(),
});

/** What saving a layout or a version answers besides it. */
export const withWarningsSchema = Type.Object({ warnings });

export const unpublishResultSchema = Type.Object({
  ...keyFields,
  archivedVersion: Type.Integer(),
  source: StringEnum(['bundled', 'none'] as const, { description: 'What renders now' }),
});

/** The body of PUT /v1/templates/layouts/{name} (service.ts `putLayout` checks it, and the length of the source). */
export const layoutInputSchema = Type.Object({ content: Type.String({ minLength: 1, pattern: '\\S', description: 'Nunjucks source' }) }, { additionalProperties: false });

/** The body of POST /v1/templates/{workflow}/{channel}/{locale}/rollback. */
export const rollbackSchema = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false });

/**
 * `GET /v1/templates`: documented and checked from this object; the locale is then put in its
 * canonical form (`fr-ca` is `fr-CA`), which a schema cannot say, by the route.
 */
export const templateListQuery = Type.Object({
  workflow: Type.Optional(Type.String({ description: 'Only this workflow.' })),
  channel: Type.Optional(StringEnum(CHANNELS, { description: 'Only this channel.' })),
  locale: Type.Optional(Type.String({ description: 'Only this locale (BCP 47, e.g. fr or fr-CA).' })),
});
