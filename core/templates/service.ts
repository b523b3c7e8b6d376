import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHANNELS, ConfigError, PermanentError, TransientError, type Channel, type RenderedContent } from '@clarion/adapter-kit';
import { AnyObject, Dictionary, schemaAjv, StringEnum, Type, type Static } from '../kernel/schema.ts';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { CacheFactory } from '../cache-invalidation.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import type { ContractRegistry } from '../ingest/contracts.ts';
import type { EventQueries } from '../ingest/events.ts';
import type { TenantRow } from '../tenants.ts';
import { BundledTemplates, TEMPLATES_DIR } from './bundled.ts';
import { LOCALES_DIR, loadTranslations, type Translations } from './i18n.ts';
import { canonicalLocale, formattingLocale, resolveLocale, validTimeZone } from './locale.ts';
import { templateRenders } from './metrics.ts';
import { partProblems } from './parts.ts';
import { RenderPool, RenderUnavailableError, TemplateRenderError } from './pool.ts';
import { pushInfo } from './push.ts';
import { LAYOUT_NAME, layoutInputSchema, rollbackSchema, type layoutViewSchema, type templatePreviewSchema, type templateSummarySchema, type templateViewSchema } from './schemas.ts';
import { smsInfo } from './sms.ts';
import { TemplateStore, describe, type LayoutRow, type TemplateKey, type TemplateVersion, type TemplateVersionSummary } from './store.ts';
import type { PartSource, RenderFailureInfo, RenderInput, RenderJob, RenderResult, TemplateContext, TemplateWarning } from './types.ts';
import { analyseParts, syntaxProblem, type SyntaxProblem } from './validate.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { type Clock } from '../kernel/clock.ts';
import { WORKFLOW_KEY } from '../workflows/service.ts';

export { resolveLocale } from './locale.ts';
export type { RenderInput, RenderResult, TemplateContext, TemplateWarning } from './types.ts';

/**
 * Templates: what every message says, per workflow, channel and locale.
 *
 * Rendering (`render`, used by the delivery engine) picks the locale (subscriber, tenant default,
 * `en`, with region fallbacks), then the tenant's published template in that locale or else the
 * bundled one, and renders it in a sandboxed render process. Tenants save versions (each save is
 * a new version; one is published; published versions never change; a rollback publishes a copy
 * of an older version as a new one), their own layouts, and preview anything before publishing.
 */

export interface TemplateServiceOptions {
  knex: Knex;
  log: Logger;
  clock: Clock;
  /** The gateway's public URL, for the links of previews. */
  publicUrl: string;
  contracts: ContractRegistry;
  events: EventQueries;
  templatesDir?: string;
  localesDir?: string;
  /** Where published templates and layouts are cached (core/cache-invalidation.ts); not cached by default. */
  caches?: CacheFactory;
  /** Render processes. Default: CPUs minus one, from 1 to 4. */
  poolSize?: number;
  /** Longest one render may take, in milliseconds. Default 1000. */
  renderTimeoutMs?: number;
  /** Heap cap of each render process, in MiB. Default 128. */
  renderMemoryMb?: number;
  /** Most characters one render may output, all parts together. Default 524288 (512 KiB). */
  maxOutputChars?: number;
}

/** Longest nunjucks source of one part (or layout) accepted on save. */
export const MAX_PART_CHARS = 256 * 1024;

export type TemplateSummary = Static<typeof templateSummarySchema>;
export type TemplateView = Static<typeof templateViewSchema>;
export type PreviewResult = Static<typeof templatePreviewSchema>;
export type LayoutView = Static<typeof layoutViewSchema>;

interface Chosen {
  locale: string;
  source: 'tenant' | 'bundled';
  version: number | null;
  parts: Record<string, PartSource>;
  /** Names the template in error messages. */
  name: string;
}

/** The body of POST /v1/templates/preview. */
export const previewSchema = Type.Object(
  {
    workflow: Type.String({ pattern: WORKFLOW_KEY.source, description: 'The workflow key' }),
    channel: StringEnum(CHANNELS as readonly Channel[]),
    locale: Type.Optional(Type.String({ maxLength: 35, description: "The locale to render in (region fallbacks apply); default: the subscriber's, then the tenant default" })),
    data: Type.Optional(Type.Unknown({ description: "The event data to render with; default: the bundled workflow's sample data" })),
    eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Render against a stored event (Clarion id or CloudEvent id) instead of `data`' })),
    eventSource: Type.Optional(Type.String({ minLength: 1, description: 'Disambiguates a CloudEvent id used by several sources' })),
    subscriber: Type.Optional(AnyObject({ description: 'The subscriber to render for (id, name, email, phone, locale, timezone, data); default: a sample one' })),
    items: Type.Optional(Type.Unsafe<unknown[]>({ type: 'array', maxItems: 1000, description: 'Digest items' })),
    priority: Type.Optional(StringEnum(['low', 'normal', 'high', 'critical'] as const)),
    template: Type.Optional(Dictionary(Type.String(), { description: 'Inline parts to render instead of the stored template (a live editor)' })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Render this stored version (needs `locale`) instead of the published one' })),
  },
  { additionalProperties: false },
);
const validatePreview = schemaAjv().compile(previewSchema);

/** The body of POST /v1/templates/{workflow}/{channel}/{locale}/versions. */
export const saveSchema = Type.Object(
  {
    parts: Dictionary(Type.String(), { description: 'Nunjucks source of each part' }),
    publish: Type.Optional(Type.Boolean({ default: false, description: 'Publish the new version at once' })),
  },
  { additionalProperties: false },
);
const validateSave = schemaAjv().compile(saveSchema);
const validateLayout = schemaAjv().compile(layoutInputSchema);
const validateRollback = schemaAjv().compile(rollbackSchema);

export class TemplateService {
  readonly #store: TemplateStore;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #publicUrl: string;
  readonly #contracts: ContractRegistry;
  readonly #events: EventQueries;
  readonly #templatesDir: string;
  readonly #localesDir: string;
  readonly #maxOutputChars: number;
  readonly #poolOptions: { size?: number; timeLimitMs?: number; memoryLimitMb?: number };
  readonly #bundledTriggers = new Map<string, string | undefined>();
  #translations: Translations | undefined;
  #bundled: BundledTemplates | undefined;
  #pool: RenderPool | undefined;

  constructor(options: TemplateServiceOptions) {
    this.#store = new TemplateStore(options.knex, options.caches);
    this.#log = options.log;
    this.#clock = options.clock;
    this.#publicUrl = options.publicUrl;
    this.#contracts = options.contracts;
    this.#events = options.events;
    this.#templatesDir = options.templatesDir ?? TEMPLATES_DIR;
    this.#localesDir = options.localesDir ?? LOCALES_DIR;
    this.#maxOutputChars = options.maxOutputChars ?? 512 * 1024;
    this.#poolOptions = { size: options.poolSize, timeLimitMs: options.renderTimeoutMs, memoryLimitMb: options.renderMemoryMb };
  }

  /** Translations and bundled templates, read once on first use. */
  get translations(): Translations {
    return (this.#translations ??= loadTranslations(this.#localesDir));
  }

  get bundled(): BundledTemplates {
    return (this.#bundled ??= new BundledTemplates(this.translations.locales, this.#templatesDir));
  }

  /** Starts the render processes ahead of the first render (workers do at boot). */
  warm(): void {
    this.#renderer.warm();
  }

  get #renderer(): RenderPool {
    return (this.#pool ??= new RenderPool({
      ...this.#poolOptions,
      localesDir: this.#localesDir,
      layoutsDir: this.bundled.layoutsDir,
      log: this.#log.child({ component: 'template-render' }),
    }));
  }

  /** Stops the render processes. */
  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
  }

  // ------------------------------------------------------------------ rendering

  /**
   * Renders a workflow's message for one channel. Throws the adapter kit's `ConfigError` when
   * there is no template at all for the channel, `PermanentError` when the template fails (its
   * message names the template, its version and the line), `TransientError` when the render
   * processes are unavailable.
   */
  async render(input: RenderInput): Promise<RenderResult> {
    const [control, layouts] = await Promise.all([
      this.#choose(input.tenantId, input.workflowKey, input.channel, input.locale, input.tenantDefaultLocale),
      this.#store.layouts(input.tenantId),
    ]);
    const chosen: Chosen | undefined = input.variant
      ? {
          locale: control?.locale ?? input.tenantDefaultLocale ?? 'en', source: 'tenant', version: null,
          parts: Object.fromEntries(Object.entries(input.variant.parts).filter(([, v]) => typeof v === 'string' && v.trim() !== '').map(([k, v]) => [k, plainPart(v)])),
          name: `${input.workflowKey}/${input.channel} variant ${input.variant.key}`,
        }
      : control;
    if (!chosen) {
      templateRenders.inc({ source: 'none', outcome: 'no_template' });
      throw new ConfigError(
        `There is no ${input.channel} template for workflow ${input.workflowKey}: save one (POST /v1/templates/${input.workflowKey}/${input.channel}/{locale}/versions) or take ${input.channel} out of the workflow`,
        { code: 'CLARION_ERR_TEMPLATE_NOT_FOUND' },
      );
    }
    const job = this.#job(chosen, input.channel, layouts, input.context, input.locale);
    try {
      const parts = await this.#renderer.render(job);
      templateRenders.inc({ source: chosen.source, outcome: 'rendered' });
      return { parts, locale: chosen.locale, source: chosen.source, version: chosen.version };
    } catch (err) {
      if (err instanceof TemplateRenderError) {
        templateRenders.inc({ source: chosen.source, outcome: err.info.kind === 'limit' ? 'limit' : 'failed' });
        throw new PermanentError(renderFailureMessage(chosen, err.info), { code: 'CLARION_ERR_TEMPLATE_RENDER_FAILED', cause: err });
      }
      if (err instanceof RenderUnavailableError) {
        templateRenders.inc({ source: chosen.source, outcome: 'unavailable' });
        throw new TransientError(err.message, { code: 'CLARION_ERR_TEMPLATE_RENDERER_UNAVAILABLE', cause: err });
      }
      throw err;
    }
  }

  /**
   * The locale and template a render would use, or undefined when there is none. The locale is
   * the first of the chain (subscriber, tenant default, `en`, with region fallbacks) that has a
   * template, the tenant's or a bundled one; in it, the tenant's published version wins over the
   * bundled template. (Templates given inline in a workflow definition are saved as the tenant's
   * published versions by `PUT /v1/workflows/{key}`.)
   */
  async #choose(tenantId: string, workflow: string, channel: Channel, requested: string | null | undefined, tenantDefault: string | null | undefined): Promise<Chosen | undefined> {
    const published = await this.#store.published(tenantId, workflow, channel);
    const available = new Set([...published.keys(), ...this.bundled.locales(workflow, channel)]);
    if (available.size === 0) return undefined;
    const locale = resolveLocale(requested, tenantDefault, available);
    const version = published.get(locale);
    if (version) return fromVersion(version);
    const file = this.bundled.file(workflow, channel, locale);
    if (!file) return undefined;
    return { locale, source: 'bundled', version: null, parts: file.parts, name: `templates/${file.file}` };
  }

  #job(chosen: Chosen, channel: Channel, layouts: LayoutRow[], context: TemplateContext, requested: string | null | undefined): RenderJob {
    const plain = JSON.parse(JSON.stringify(context ?? {})) as TemplateContext;
    const subscriber = (plain.subscriber ?? {}) as Record<string, unknown>;
    return {
      name: chosen.name,
      channel,
      parts: chosen.parts,
      layouts: Object.fromEntries(layouts.map((l) => [l.name, l.content])),
      context: plain,
      locale: chosen.locale,
      formatLocale: formattingLocale(requested ?? (subscriber.locale as string | undefined), chosen.locale),
      timeZone: validTimeZone(subscriber.timezone) ?? 'UTC',
      now: this.#clock.now().toISOString(),
      maxOutputChars: this.#maxOutputChars,
    };
  }

  // ------------------------------------------------------------------ preview

  async preview(tenant: TenantRow, body: unknown): Promise<PreviewResult> {
    if (!validatePreview(body)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid preview request', { errors: toFieldErrors(validatePreview.errors ?? []) });
    const input = body as {
      workflow: string; channel: Channel; locale?: string; data?: unknown; eventId?: string; eventSource?: string; subscriber?: Record<string, unknown>;
      items?: unknown[]; priority?: string; template?: Record<string, string>; version?: number;
    };
    const invalid: FieldError[] = [];
    if (input.data !== undefined && input.eventId !== undefined) invalid.push({ pointer: '/eventId', message: 'give data or eventId, not both' });
    if (input.template !== undefined && input.version !== undefined) invalid.push({ pointer: '/version', message: 'give template or version, not both' });
    if (input.version !== undefined && input.locale === undefined) invalid.push({ pointer: '/locale', message: 'is required with version (a version belongs to one locale)' });
    const requested = input.locale !== undefined ? canonicalLocale(input.locale) : undefined;
    if (input.locale !== undefined && !requested) invalid.push({ pointer: '/locale', message: 'must be a BCP 47 locale such as fr or fr-CA' });
    if (input.template) invalid.push(...partProblems(input.channel, input.template).map((p) => ({ pointer: `/template/${p.part}`, message: p.message })));
    if (invalid.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid preview request', { errors: invalid });

    const bundledWorkflow = this.bundled.workflow(input.workflow);
    const sample = bundledWorkflow?.sample;
    const tenantDefault = tenant.settings?.defaultLocale ?? null;
    const subscriber = input.subscriber ?? sample?.subscriber ?? { id: 'preview-subscriber', name: 'Ada Lovelace', email: 'ada@example.com', locale: 'en', timezone: 'UTC', data: {} };
    const wanted = requested ?? canonicalLocale(subscriber.locale as string | undefined) ?? tenantDefault;
    const now = this.#clock.now();

    let event: Record<string, unknown>;
    let data: unknown;
    /** Said with the result when the data was not given: where it came from, or that there is none. */
    let sampleNote: TemplateWarning | undefined;
    if (input.eventId !== undefined) {
      const stored = await this.#events.get(tenant.id, input.eventId, input.eventSource);
      const { data: eventData, data_base64: _b64, ...attributes } = stored.cloudevent;
      event = attributes;
      data = eventData ?? {};
    } else {
      const type = (await this.#trigger(tenant.id, input.workflow)) ?? input.workflow;
      data = input.data ?? sample?.data;
      if (data === undefined) {
        // A tenant's own workflow has no bundled sample: its latest event of that type is the most
        // faithful one (the tenant's own data, seen only by its own members).
        const latest = (await this.#events.list(tenant.id, { limit: 1, type })).items[0];
        if (latest?.cloudevent.data !== undefined) {
          data = latest.cloudevent.data;
          sampleNote = { message: `Sample data from the latest ${type} event (${String(latest.cloudevent.id)}); give your own to preview other values` };
        } else {
          data = {};
          sampleNote = { message: `No sample data: the variables under data render empty. Give sample data, or post a ${type} event and preview again` };
        }
      }
      event = { specversion: '1.0', id: 'preview', source: '/clarion/preview', type, time: now.toISOString() };
    }
    const context: TemplateContext = {
      event,
      data,
      subscriber,
      tenant: { name: tenant.name, brand: tenant.settings?.brand ?? {} },
      notification: {
        id: 'preview',
        priority: input.priority ?? 'normal',
        ackUrl: `${this.#publicUrl}/preview/acknowledge`,
        unsubscribeUrl: `${this.#publicUrl}/preview/unsubscribe`,
      },
      ...(input.items ?? sample?.items ? { items: input.items ?? sample?.items } : {}),
    };

    let chosen: Chosen;
    if (input.template) {
      const parts = Object.fromEntries(Object.entries(input.template).map(([k, v]) => [k, plainPart(v)]));
      this.#assertSyntax(parts, '/template');
      chosen = { locale: resolveLocale(wanted, tenantDefault, this.translations.locales), source: 'tenant', version: null, parts, name: 'inline template' };
    } else if (input.version !== undefined) {
      const key = { workflow: input.workflow, channel: input.channel, locale: requested! };
      const version = await this.#store.get(tenant.id, key, input.version);
      if (!version) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `${capitalise(describe(key))} has no version ${input.version}`);
      chosen = fromVersion(version);
    } else {
      const found = await this.#choose(tenant.id, input.workflow, input.channel, wanted, tenantDefault);
      if (!found) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `There is no ${input.channel} template for workflow ${input.workflow} (neither saved by the tenant nor bundled)`);
      chosen = found;
    }

    const layouts = await this.#store.layouts(tenant.id);
    const warnings = await this.#warnings(tenant.id, input.workflow, chosen.parts, layouts);
    if (sampleNote) warnings.unshift(sampleNote);
    let parts: RenderedContent;
    try {
      parts = await this.#renderer.render(this.#job(chosen, input.channel, layouts, context, wanted));
    } catch (err) {
      if (err instanceof TemplateRenderError) {
        const { part, line, column, template, kind } = err.info;
        throw new ClarionError('CLARION_ERR_TEMPLATE_RENDER_FAILED', renderFailureMessage(chosen, err.info), {
          errors: part ? [{ pointer: input.template ? `/template/${part}` : `/parts/${part}`, message: err.info.message, ...(line ? { line, column } : {}) } as FieldError] : [],
          extensions: { part, line, column, kind, ...(template ? { layout: template } : {}) },
        });
      }
      if (err instanceof RenderUnavailableError) throw new ClarionError('CLARION_ERR_TEMPLATE_RENDERER_UNAVAILABLE', err.message);
      throw err;
    }

    const result: PreviewResult = {
      workflow: input.workflow,
      channel: input.channel,
      locale: chosen.locale,
      source: input.template ? 'inline' : chosen.source,
      version: chosen.version,
      parts,
      warnings,
    };
    if (input.channel === 'sms' && parts.text !== undefined) {
      result.sms = smsInfo(parts.text);
      if (result.sms.encoding === 'UCS-2') {
        warnings.push({
          part: 'text',
          message: `The text has characters outside the GSM-7 alphabet (${result.sms.nonGsmCharacters!.slice(0, 10).join(' ')}), so it is sent as UCS-2: ${result.sms.perSegment} characters per segment, ${result.sms.segments} segment(s)`,
        });
      }
    }
    if (input.channel === 'push') {
      result.push = pushInfo(parts);
      for (const p of result.push.payloads) {
        if (!p.fits) warnings.push({ message: `The ${p.platform} payload is ${p.bytes} bytes, over its limit of ${p.limit}: the provider will refuse it` });
      }
      if (result.push.title.truncated) warnings.push({ part: 'title', message: `The title has ${result.push.title.length} characters; lock screens cut titles after about ${result.push.title.displayLimit}` });
      if (result.push.body.truncated) warnings.push({ part: 'body', message: `The body has ${result.push.body.length} characters; lock screens cut bodies after about ${result.push.body.displayLimit}` });
    }
    return result;
  }

  // ------------------------------------------------------------------ storage and versions

  async list(tenantId: string, filter: { workflow?: string; channel?: string; locale?: string }): Promise<TemplateSummary[]> {
    const items = new Map<string, TemplateSummary>();
    const keyOf = (k: TemplateKey) => `${k.workflow}\u0000${k.channel}\u0000${k.locale}`;
    for (const workflow of this.bundled.workflows()) {
      if (filter.workflow && filter.workflow !== workflow.key) continue;
      for (const channel of workflow.channels.keys()) {
        if (filter.channel && filter.channel !== channel) continue;
        for (const locale of this.bundled.locales(workflow.key, channel)) {
          if (filter.locale && filter.locale !== locale) continue;
          const key = { workflow: workflow.key, channel, locale };
          items.set(keyOf(key), { ...key, source: 'bundled', bundled: true, publishedVersion: null, latestVersion: null, updatedAt: null });
        }
      }
    }
    for (const row of await this.#store.summaries(tenantId, filter)) {
      const existing = items.get(keyOf(row));
      items.set(keyOf(row), {
        workflow: row.workflow,
        channel: row.channel,
        locale: row.locale,
        source: row.publishedVersion !== null ? 'tenant' : existing ? 'bundled' : 'none',
        bundled: Boolean(existing),
        publishedVersion: row.publishedVersion,
        latestVersion: row.latestVersion,
        updatedAt: row.updatedAt,
      });
    }
    return [...items.values()].sort((a, b) => a.workflow.localeCompare(b.workflow) || a.channel.localeCompare(b.channel) || a.locale.localeCompare(b.locale));
  }

  /**
   * The channels of a workflow that have a template in some locale (the tenant's published
   * versions, the bundled files of a workflow of that key), and those with unpublished drafts only.
   */
  async channelsWithTemplates(tenantId: string, workflow: string): Promise<{ channels: Set<Channel>; draftsOnly: Set<Channel> }> {
    const { published, drafts } = await this.#store.channelsOf(tenantId, workflow);
    const channels = new Set([...published, ...(this.bundled.workflow(workflow)?.channels.keys() ?? [])]);
    return { channels, draftsOnly: new Set([...drafts].filter((c) => !channels.has(c))) };
  }

  /** The template that renders for exactly this key (published, else bundled), or one stored version. */
  async get(tenantId: string, key: TemplateKey, version?: number): Promise<TemplateView> {
    const [latestVersion, published] = await Promise.all([this.#store.latestVersion(tenantId, key), this.#store.get(tenantId, key)]);
    const stored = version === undefined ? published : await this.#store.get(tenantId, key, version);
    if (version !== undefined && !stored) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `${capitalise(describe(key))} has no version ${version}`);
    const publishedVersion = published?.version ?? null;
    if (stored) return { ...stored, source: 'tenant', publishedVersion, latestVersion };
    const file = this.bundled.file(key.workflow, key.channel, key.locale);
    if (!file) {
      throw new ClarionError(
        'CLARION_ERR_TEMPLATE_NOT_FOUND',
        latestVersion ? `${capitalise(describe(key))} has drafts (latest version ${latestVersion}) but no published version, and no bundled default` : `There is no ${describe(key)}`,
      );
    }
    return {
      ...key,
      source: 'bundled',
      version: null,
      status: null,
      parts: Object.fromEntries(Object.entries(file.parts).map(([name, part]) => [name, part.source])),
      createdAt: null,
      createdBy: null,
      publishedAt: null,
      basedOnVersion: null,
      file: `templates/${file.file}`,
      publishedVersion: null,
      latestVersion,
    };
  }

  async versions(tenantId: string, key: TemplateKey, page: { limit: number; cursor?: string }): Promise<{ items: TemplateVersionSummary[]; nextCursor: string | null }> {
    let before: number | undefined;
    if (page.cursor !== undefined) {
      before = Number(page.cursor);
      if (!Number.isInteger(before) || before < 1) {
        throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', message: 'is invalid' }] });
      }
    }
    const items = await this.#store.versions(tenantId, key, { limit: page.limit + 1, before });
    const more = items.length > page.limit;
    const shown = items.slice(0, page.limit);
    return { items: shown, nextCursor: more ? String(shown[shown.length - 1].version) : null };
  }

  /** Saves a new version (validated: syntax errors refused, undeclared variables reported as warnings). */
  /** Saves a version (`db`: inside the caller's transaction, e.g. a workflow saved with its templates). */
  async save(tenantId: string, key: TemplateKey, body: unknown, actor: string, db?: Knex): Promise<{ version: TemplateVersion; warnings: TemplateWarning[] }> {
    if (!validateSave(body)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid template', { errors: toFieldErrors(validateSave.errors ?? []) });
    const { parts, publish } = body as { parts: Record<string, string>; publish?: boolean };
    const problems = partProblems(key.channel, parts).map((p) => ({ pointer: `/parts/${p.part}`, message: p.message }));
    for (const [name, source] of Object.entries(parts)) {
      if (typeof source === 'string' && source.length > MAX_PART_CHARS) problems.push({ pointer: `/parts/${name}`, message: `must be at most ${MAX_PART_CHARS} characters` });
    }
    if (problems.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', `Invalid ${key.channel} template parts`, { errors: problems });
    // Empty optional parts are the same as absent ones.
    const kept = Object.fromEntries(Object.entries(parts).filter(([, source]) => source.trim() !== ''));
    this.#assertSyntax(Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, plainPart(v)])), '/parts');
    const layouts = await this.#store.layouts(tenantId);
    const warnings = await this.#warnings(tenantId, key.workflow, Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, plainPart(v)])), layouts, db);
    if (!this.bundled.workflow(key.workflow) && !(await this.#store.workflowTrigger(tenantId, key.workflow, db))) {
      warnings.unshift({ message: `There is no workflow ${key.workflow} yet: this template renders once a workflow with that key sends on ${key.channel}` });
    }
    const version = await this.#store.create(tenantId, key, kept, { actor, now: this.#clock.now(), publish: publish ?? false, db });
    return { version, warnings };
  }

  /** Checks template parts as `save` would (400 naming each problem), without storing them: an A/B variant's template. */
  async checkParts(tenantId: string, key: TemplateKey, parts: unknown, db?: Knex): Promise<TemplateWarning[]> {
    const body = { parts };
    if (!validateSave(body)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid template', { errors: toFieldErrors(validateSave.errors ?? []) });
    const given = parts as Record<string, string>;
    const problems = partProblems(key.channel, given).map((p) => ({ pointer: `/parts/${p.part}`, message: p.message }));
    for (const [name, source] of Object.entries(given)) {
      if (source.length > MAX_PART_CHARS) problems.push({ pointer: `/parts/${name}`, message: `must be at most ${MAX_PART_CHARS} characters` });
    }
    if (problems.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', `Invalid ${key.channel} template parts`, { errors: problems });
    const kept = Object.fromEntries(Object.entries(given).filter(([, source]) => source.trim() !== '').map(([k, v]) => [k, plainPart(v)]));
    this.#assertSyntax(kept, '/parts');
    return this.#warnings(tenantId, key.workflow, kept, await this.#store.layouts(tenantId), db);
  }

  async publish(tenantId: string, key: TemplateKey, version: number, actor: string): Promise<TemplateVersion> {
    return this.#store.publish(tenantId, key, version, { actor, now: this.#clock.now() });
  }

  /** Publishes a copy of an older version as a new version (published versions never change). */
  async rollback(tenantId: string, key: TemplateKey, version: number, actor: string): Promise<TemplateVersion> {
    const target = await this.#store.get(tenantId, key, version);
    if (!target) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `${capitalise(describe(key))} has no version ${version}`);
    if (target.status === 'published') throw new ClarionError('CLARION_ERR_TEMPLATE_VERSION_CONFLICT', `Version ${version} of ${describe(key)} is the published version already`);
    return this.#store.create(tenantId, key, target.parts, { actor, now: this.#clock.now(), publish: true, basedOnVersion: version, action: 'template.rolled_back' });
  }

  /** Archives the published version, so the bundled template (if any) renders again. */
  async unpublish(tenantId: string, key: TemplateKey, actor: string): Promise<{ archivedVersion: number; source: 'bundled' | 'none' }> {
    const archivedVersion = await this.#store.unpublish(tenantId, key, { actor });
    return { archivedVersion, source: this.bundled.file(key.workflow, key.channel, key.locale) ? 'bundled' : 'none' };
  }

  // ------------------------------------------------------------------ layouts

  async layouts(tenantId: string): Promise<LayoutView[]> {
    const own = await this.#store.layouts(tenantId);
    const views = new Map<string, LayoutView>();
    for (const [name, content] of this.bundled.layouts()) views.set(name, { name, source: 'bundled', content, overridesBundled: false, updatedAt: null, updatedBy: null });
    for (const row of own) views.set(row.name, layoutView(row, this.bundled.layouts().has(row.name)));
    return [...views.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async layout(tenantId: string, name: string): Promise<LayoutView> {
    checkLayoutName(name);
    const row = await this.#store.layout(tenantId, name);
    if (row) return layoutView(row, this.bundled.layouts().has(name));
    const bundled = this.bundled.layouts().get(name);
    if (bundled === undefined) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `There is no layout "${name}"`);
    return { name, source: 'bundled', content: bundled, overridesBundled: false, updatedAt: null, updatedBy: null };
  }

  async putLayout(tenantId: string, name: string, body: unknown, actor: string): Promise<{ layout: LayoutView; created: boolean; warnings: TemplateWarning[] }> {
    checkLayoutName(name);
    // The schema (layoutInputSchema) decides; the messages say what a layout is.
    const found = validateLayout(body) ? [] : (validateLayout.errors ?? []);
    const errors: FieldError[] = [];
    if (found.some((e) => e.instancePath === '' && e.keyword === 'type')) errors.push({ pointer: '', message: 'must be an object {"content": "<nunjucks source>"}' });
    else {
      if (found.some((e) => e.instancePath === '/content' || e.keyword === 'required')) errors.push({ pointer: '/content', message: 'must be a non-empty string (nunjucks source)' });
      else if ((body as Static<typeof layoutInputSchema>).content.length > MAX_PART_CHARS) errors.push({ pointer: '/content', message: `must be at most ${MAX_PART_CHARS} characters` });
      errors.push(...toFieldErrors(found.filter((e) => e.keyword === 'additionalProperties')));
    }
    if (errors.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid layout', { errors });
    const source = (body as Static<typeof layoutInputSchema>).content;
    const problem = syntaxProblem('content', source);
    if (problem) throw syntaxError([problem], () => '/content', `The layout "${name}"`);
    const own = await this.#store.layouts(tenantId);
    const warnings = analyseParts({ content: source }, {
      workflow: `the layout ${name}`,
      schema: true,
      schemaName: 'the layout',
      resources: this.translations.resources,
      locales: this.translations.locales,
      layouts: new Set([...this.bundled.layouts().keys(), ...own.map((l) => l.name), name]),
    }).filter((w) => !w.variable?.startsWith('data'));
    if (!/\{%-?\s*block\s+html\b/.test(source)) {
      warnings.push({ message: 'The layout has no {% block html %}: email templates that extend it put their body in that block' });
    }
    const { layout, created } = await this.#store.putLayout(tenantId, name, source, { actor, now: this.#clock.now() });
    return { layout: layoutView(layout, this.bundled.layouts().has(name)), created, warnings };
  }

  async deleteLayout(tenantId: string, name: string, actor: string): Promise<void> {
    checkLayoutName(name);
    if (!(await this.#store.deleteLayout(tenantId, name, { actor }))) {
      throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `The tenant has no layout "${name}"${this.bundled.layouts().has(name) ? ' (the bundled one cannot be deleted)' : ''}`);
    }
  }

  // ------------------------------------------------------------------ validation

  #assertSyntax(parts: Record<string, PartSource>, pointerBase: string): void {
    const problems: SyntaxProblem[] = [];
    for (const [name, part] of Object.entries(parts)) {
      const problem = syntaxProblem(name, part);
      if (problem) problems.push(problem);
    }
    if (problems.length > 0) throw syntaxError(problems, (part) => `${pointerBase}/${part}`, 'The template');
  }

  async #warnings(tenantId: string, workflow: string, parts: Record<string, PartSource>, layouts: LayoutRow[], db?: Knex): Promise<TemplateWarning[]> {
    const contract = await this.#contract(tenantId, workflow, db);
    return analyseParts(parts, {
      workflow,
      schema: contract?.schema,
      schemaName: contract?.name ?? '',
      resources: this.translations.resources,
      locales: this.translations.locales,
      layouts: new Set([...this.bundled.layouts().keys(), ...layouts.map((l) => l.name)]),
    });
  }

  /** The workflow's contract: the tenant's contract for its trigger type, else the bundled schema.json. */
  async #contract(tenantId: string, workflow: string, db?: Knex): Promise<{ schema: unknown; name: string } | undefined> {
    const trigger = await this.#trigger(tenantId, workflow, db);
    if (trigger) {
      const contract = await this.#contracts.get(tenantId, trigger);
      if (contract) return { schema: contract.schema, name: `the contract of ${trigger} (version ${contract.version})` };
    }
    const schema = this.bundled.workflow(workflow)?.schema;
    return schema ? { schema, name: `templates/${workflow}/schema.json` } : undefined;
  }

  /** The event type that starts the workflow: the tenant's workflow, else the bundled workflow.json. */
  async #trigger(tenantId: string, workflow: string, db?: Knex): Promise<string | undefined> {
    const own = await this.#store.workflowTrigger(tenantId, workflow, db);
    if (own) return own;
    // Only bundled workflows are cached: any other key may come from a request.
    if (!this.bundled.workflow(workflow)) return undefined;
    if (!this.#bundledTriggers.has(workflow)) {
      let trigger: string | undefined;
      const file = path.join(this.#templatesDir, workflow, 'workflow.json');
      if (existsSync(file)) {
        try {
          const value = (JSON.parse(readFileSync(file, 'utf8')) as { trigger?: unknown }).trigger;
          if (typeof value === 'string') trigger = value;
        } catch {
          // a broken workflow.json is reported by the workflow service
        }
      }
      this.#bundledTriggers.set(workflow, trigger ?? workflow);
    }
    return this.#bundledTriggers.get(workflow);
  }
}

/** Validates the path parameters of a template route. */
export function templateKey(params: { workflow?: string; channel?: string; locale?: string }): TemplateKey {
  const errors: FieldError[] = [];
  if (!params.workflow || !WORKFLOW_KEY.test(params.workflow)) errors.push({ pointer: '/path/workflow', message: 'must be a workflow key: lowercase letters, digits and . _ -, up to 100 characters' });
  if (!params.channel || !CHANNELS.includes(params.channel as Channel)) errors.push({ pointer: '/path/channel', message: `must be one of ${CHANNELS.join(', ')}` });
  const locale = canonicalLocale(params.locale);
  if (!locale) errors.push({ pointer: '/path/locale', message: 'must be a BCP 47 locale such as en, fr or fr-CA' });
  if (errors.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid template path', { errors });
  return { workflow: params.workflow!, channel: params.channel as Channel, locale: locale! };
}

/** The version a rollback body names (rollbackSchema). */
export function rollbackVersion(body: unknown): number {
  if (validateRollback(body)) return (body as Static<typeof rollbackSchema>).version;
  const found = validateRollback.errors ?? [];
  const version = body && typeof body === 'object' && !Array.isArray(body) ? (body as { version?: unknown }).version : undefined;
  const errors: FieldError[] = [];
  if (typeof version !== 'number') errors.push({ pointer: '/version', message: 'is required: the version to publish again (an integer)' });
  else if (found.some((e) => e.instancePath === '/version')) errors.push({ pointer: '/version', message: 'must be a positive integer' });
  const extra = toFieldErrors(found.filter((e) => e.keyword === 'additionalProperties'));
  throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', typeof version === 'number' && extra.length === 0 ? 'Invalid version' : 'Invalid rollback', { errors: [...errors, ...extra] });
}

export function parseVersion(value: string | undefined, pointer: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1 || version > 2_147_483_647) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid version', { errors: [{ pointer, message: 'must be a positive integer' }] });
  }
  return version;
}

function checkLayoutName(name: string): void {
  if (!LAYOUT_NAME.test(name)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid layout name', {
      errors: [{ pointer: '/path/name', message: 'must be 1-64 lowercase letters, digits, _ or -, starting with a letter or digit' }],
    });
  }
}

function syntaxError(problems: SyntaxProblem[], pointer: (part: string) => string, what: string): ClarionError {
  const first = problems[0];
  const where = (p: SyntaxProblem) => `line ${p.line}, column ${p.column}: `;
  const named = (p: SyntaxProblem) => (p.name !== undefined ? { name: p.name } : {});
  return new ClarionError('CLARION_ERR_TEMPLATE_SYNTAX', `${what} has a syntax error in ${first.part === 'content' ? 'its source' : `part "${first.part}"`} at ${where(first)}${first.message}`, {
    errors: problems.map((p): FieldError & { line: number; column: number; name?: string } => ({ pointer: pointer(p.part), message: `${where(p)}${p.message}`, line: p.line, column: p.column, ...named(p) })),
    extensions: { part: first.part, line: first.line, column: first.column, ...named(first) },
  });
}

function renderFailureMessage(chosen: Chosen, info: RenderFailureInfo): string {
  const which = chosen.source === 'bundled' ? `${chosen.name} (bundled)` : chosen.version !== null ? `${chosen.name} (version ${chosen.version})` : chosen.name;
  const part = info.part ? `, part "${info.part}"` : '';
  const layout = info.template ? `, in layout ${info.template}` : '';
  const position = info.line !== null ? `, line ${info.line}${info.column !== null ? `, column ${info.column}` : ''}` : '';
  return `Template ${which}${part}${layout}${position}: ${info.message}`;
}

function fromVersion(version: TemplateVersion): Chosen {
  return {
    locale: version.locale,
    source: 'tenant',
    version: version.version,
    parts: Object.fromEntries(Object.entries(version.parts).map(([k, v]) => [k, plainPart(v)])),
    name: `${version.workflow}/${version.channel}/${version.locale}`,
  };
}

function plainPart(source: string): PartSource {
  return { source, line: 1, column: 1, prefix: 0 };
}

function layoutView(row: LayoutRow, overridesBundled: boolean): LayoutView {
  return { name: row.name, source: 'tenant', content: row.content, overridesBundled, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

