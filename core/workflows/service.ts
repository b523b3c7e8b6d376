import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNELS, type Channel, type Priority } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { audit } from '../db/repositories/audit-log.ts';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import { checkCondition } from '../kernel/conditions.ts';
import { parseDelay } from '../kernel/durations.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { AnyObject, Dictionary, NullableDateTime, OneOf, schemaAjv, StringEnum, Type, type Static } from '../kernel/schema.ts';
import { routingModeSchema } from '../delivery/routing.ts';

/**
 * Workflows: what an event type becomes (who, which channels, fallbacks, plugin options,
 * templates). Every tenant sees the bundled workflows of `templates/<key>/workflow.json` until
 * it saves its own under the same key.
 */

export const WORKFLOW_KEY = /^[a-z0-9][a-z0-9._-]{0,99}$/;
export const BUNDLED_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const channel = StringEnum(CHANNELS as readonly Channel[]);

const POINTER = '^(/([^/~]|~[01])*)*$';
const DURATION = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';

/**
 * One step of a workflow (core/notifications/steps.ts): a send on some of its channels, or a wait
 * (`delay`: a duration such as `1h`, or until a time of the event, `{"until": "/data/dueAt",
 * "offset": "-3d"}`; a time without an offset is read in the subscriber's time zone). Either may
 * carry a `condition` (JSON Logic): a step whose condition is false is skipped.
 */
const stepFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  condition: Type.Optional(Type.Unknown({ description: 'A JSON Logic expression over data, event, subscriber and notification: the step runs only when it is true' })),
};
/** A step that sends. */
const sendStepSchema = Type.Object({
  name: stepFields.name,
  channels: Type.Array(channel, { minItems: 1, uniqueItems: true, description: 'Send on these channels (of the workflow\'s, as its plugins kept them)' }),
  condition: stepFields.condition,
});
/** A step that waits. */
const waitStepSchema = Type.Object({
  name: stepFields.name,
  delay: OneOf([
    Type.String({ pattern: DURATION, description: 'Wait this long (e.g. 30m, 1h, 3d; at most 366d)' }),
    Type.Object(
      {
        until: Type.String({ pattern: POINTER, description: 'JSON Pointer into the event to an RFC 3339 time (a local time is read in the subscriber\'s time zone)' }),
        offset: Type.Optional(Type.String({ pattern: '^-?\\d+(\\.\\d+)?(ms|s|m|h|d)$', description: 'Added to that time (e.g. -3d: three days before)' })),
      },
      { additionalProperties: false },
    ),
  ]),
  condition: stepFields.condition,
});
/**
 * The schema a step is checked against: the fields of both kinds, each optional, so that a step
 * with both or neither is told so in one message (checkSteps) rather than by a `oneOf` of the two.
 */
export const workflowStepSchema = Type.Object(
  {
    name: stepFields.name,
    channels: Type.Optional(sendStepSchema.properties.channels),
    delay: Type.Optional(waitStepSchema.properties.delay),
    condition: stepFields.condition,
  },
  { additionalProperties: false },
);
/** A checked step: a send or a wait. */
export type WorkflowStep = Static<typeof sendStepSchema> | Static<typeof waitStepSchema>;

/** The fields of a workflow as a client sends it (PUT /v1/workflows/{key}); also those of the answer. */
const workflowFields = {
  trigger: Type.String({ minLength: 1, maxLength: 255, description: 'The CloudEvent type that starts this workflow' }),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  category: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'For preferences' })),
  priority: Type.Optional(StringEnum(['low', 'normal', 'high', 'critical'] as const satisfies readonly Priority[], { default: 'normal' })),
  /** JSON Pointer into the event (e.g. `/data/recipients`), or a fixed list of recipients. */
  recipients: Type.Optional(
    OneOf([Type.String({ pattern: '^(/([^/~]|~[01])*)*$', description: 'JSON Pointer into the event' }), Type.Array(Type.Unknown(), { maxItems: 1000 })], { default: '/data/recipients' }),
  ),
  /**
   * JSON Pointer into the event to the subscriber ids that get nothing from it, whoever else names
   * them (a team, a topic): the actor who caused the event. Unset: `/data/exclude`.
   */
  exclude: Type.Optional(Type.String({ pattern: '^(/([^/~]|~[01])*)*$', description: 'JSON Pointer into the event to subscriber ids not to notify (the actor); default /data/exclude' })),
  channels: Type.Array(channel, { minItems: 1, uniqueItems: true }),
  fallbacks: Type.Optional(Dictionary(Type.Array(channel, { uniqueItems: true }), { default: {}, propertyNames: { enum: CHANNELS } })),
  /**
   * Keep retrying a channel after its fallback channels started (an outage long enough, or every
   * provider down). Default false: the fallback takes over and the original delivery stops.
   */
  retryOriginal: Type.Optional(Type.Boolean({ default: false, description: 'Keep retrying a channel after its fallback channels started (default: the fallback takes over)' })),
  templates: Type.Optional(Dictionary(AnyObject(), { propertyNames: { enum: CHANNELS } })),
  /** The order of sends and waits; without steps, every channel is sent on at once. */
  steps: Type.Optional(Type.Array(workflowStepSchema, { minItems: 1, maxItems: 20, description: 'Sends and waits in order (without steps, every channel at once)' })),
  /** A JSON Logic condition per channel, checked whenever a step would send on it. */
  conditions: Type.Optional(Dictionary(Type.Unknown(), { propertyNames: { enum: CHANNELS }, description: 'Per channel, a JSON Logic expression that must be true for it to be sent on (e.g. {">": [{"var": "data.amount"}, 1000]})' })),
  /**
   * What its events are about, for notifications that replace earlier ones: a JSON Pointer into
   * the event (`/data/quoteId`). The subscriber's in-app item of the same key is updated in place.
   */
  correlation: Type.Optional(
    Type.Object(
      {
        key: Type.String({ pattern: POINTER, description: 'JSON Pointer into the event to what it is about (e.g. /data/quoteId)' }),
        replace: Type.Optional(Type.Boolean({ description: 'A new notification cancels what earlier ones of the same subscriber and key still have pending on every channel (a deferred email, a delay step, a retry): superseded' })),
      },
      { additionalProperties: false, description: 'In-app items of the same subscriber and key are updated in place rather than stacked' },
    ),
  ),
  plugins: Type.Optional(AnyObject({ default: {} })),
  /** Delivered whatever the subscriber's opt-outs (critical workflows are required by default). */
  required: Type.Optional(Type.Boolean()),
  /** Labels of its in-app items, for the inbox's filters and tabs (`GET /v1/inbox?tags=`). */
  tags: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }), { maxItems: 20, uniqueItems: true, description: 'Labels of its in-app items, for the inbox filters and tabs' })),
  /**
   * Reading the in-app copy acknowledges the notification (its escalation stops). Absent or false:
   * reading is `read`, and only an explicit acknowledgement stops an escalation.
   */
  inAppReadAcknowledges: Type.Optional(Type.Boolean({ description: 'Reading the in-app copy acknowledges the notification (its escalation stops); default: only an explicit acknowledgement does' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  /**
   * Email open (pixel) and click (signed redirect) tracking for this workflow; unset: the tenant's
   * `settings.tracking`, except for critical workflows (off unless they say so themselves).
   */
  tracking: Type.Optional(
    Type.Object(
      {
        opens: Type.Optional(Type.Boolean({ description: 'Add a 1x1 tracking pixel to the HTML part' })),
        clicks: Type.Optional(Type.Boolean({ description: 'Lead the links of the HTML part through the signed click redirect' })),
      },
      { additionalProperties: false, description: "Email engagement tracking; unset: the tenant's settings.tracking (never inherited by critical workflows)" },
    ),
  ),
  /** Which provider of a channel goes first (core/delivery/routing.ts); unset: the tenant's `settings.routing`, else `priority`. */
  routing: Type.Optional(
    routingModeSchema(
      "Which of a channel's providers is tried first: `priority` (ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first, `price.byPrefix`); unset: the tenant's settings.routing, else priority",
    ),
  ),
  /**
   * An A/B test of one channel's template: each notification takes one variant, chosen by a hash
   * of its id weighted by `weight` (core/workflows/variants.ts); a variant without `template`
   * sends the channel's published template (the control). Analytics group by `variant`; ending
   * the test publishes the winner (POST /v1/workflows/{key}/variants/{variant}/win).
   */
  abTest: Type.Optional(
    Type.Object(
      {
        channel,
        variants: Type.Array(
          Type.Object(
            {
              key: Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$', description: 'Names the variant in the analytics' }),
              weight: Type.Integer({ minimum: 0, maximum: 1000, description: 'Share of the notifications (relative to the other weights)' }),
              template: Type.Optional(AnyObject({ description: "The variant's template parts (as in templates); absent: the channel's published template" })),
            },
            { additionalProperties: false },
          ),
          { minItems: 2, maxItems: 10 },
        ),
      },
      { additionalProperties: false, description: 'An A/B test of one channel\'s template' },
    ),
  ),
};

/** A workflow as sent: what `checkWorkflow` validates (defaults filled in). */
export const workflowSchema = Type.Object(workflowFields, { $id: 'https://clarion.dev/schemas/workflow.json', additionalProperties: false });

type WithDefaults = 'priority' | 'recipients' | 'fallbacks' | 'plugins' | 'enabled';
export type WorkflowDefinition = Omit<Static<typeof workflowSchema>, WithDefaults | 'fallbacks' | 'templates' | 'steps' | 'conditions'> &
  Required<Pick<Static<typeof workflowSchema>, Exclude<WithDefaults, 'fallbacks'>>> & {
    fallbacks: Partial<Record<Channel, Channel[]>>;
    templates?: Partial<Record<Channel, Record<string, unknown>>>;
    steps?: WorkflowStep[];
    conditions?: Partial<Record<Channel, unknown>>;
  };

/** A workflow as answered: its definition, defaults filled in, with where it comes from. */
export const workflowViewSchema = Type.Object({
  key: Type.String(),
  source: StringEnum(['tenant', 'bundled'] as const),
  updatedAt: NullableDateTime(),
  ...workflowFields,
});
export type Workflow = WorkflowDefinition & Pick<Static<typeof workflowViewSchema>, 'key' | 'source' | 'updatedAt'>;

const validate = schemaAjv({ useDefaults: true }).compile(workflowSchema);

export function checkWorkflow(input: unknown): WorkflowDefinition {
  const copy = structuredClone(input);
  if (!validate(copy)) throw new ClarionError('CLARION_ERR_WORKFLOW_INVALID', 'Invalid workflow', { errors: toFieldErrors(validate.errors ?? []) });
  const definition = copy as WorkflowDefinition;
  const errors: FieldError[] = [];
  for (const [channel, fallbacks] of Object.entries(definition.fallbacks)) {
    if (fallbacks?.includes(channel as Channel)) errors.push({ pointer: `/fallbacks/${channel}`, message: 'must not fall back to the same channel' });
  }
  errors.push(...checkSteps(definition));
  if (definition.abTest) {
    const { variants } = definition.abTest;
    const keys = variants.map((v) => v.key);
    keys.forEach((k, i) => {
      if (keys.indexOf(k) !== i) errors.push({ pointer: `/abTest/variants/${i}/key`, message: `repeats variant ${k}` });
    });
    if (variants.every((v) => v.weight === 0)) errors.push({ pointer: '/abTest/variants', message: 'must give at least one variant a weight above 0' });
  }
  if (errors.length > 0) throw new ClarionError('CLARION_ERR_WORKFLOW_INVALID', 'Invalid workflow', { errors });
  return definition;
}

/** What the schema cannot say of steps and conditions: channels of the workflow, one kind per step, delays in range, conditions Clarion runs. */
function checkSteps(definition: WorkflowDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const own = `is not one of the workflow's channels (${definition.channels.join(', ')})`;
  if (definition.steps) {
    definition.steps.forEach((step, i) => {
      const at = `/steps/${i}`;
      const sends = 'channels' in step && step.channels !== undefined;
      const waits = 'delay' in step && step.delay !== undefined;
      if (sends === waits) errors.push({ pointer: at, message: 'must have either "channels" (a send) or "delay" (a wait)' });
      if (sends) step.channels.forEach((c, j) => { if (!definition.channels.includes(c)) errors.push({ pointer: `${at}/channels/${j}`, message: own }); });
      if (waits) {
        const delay = step.delay;
        if (typeof delay === 'string' && parseDelay(delay) === undefined) errors.push({ pointer: `${at}/delay`, message: 'must be at most 366d' });
        if (typeof delay === 'object' && delay.offset !== undefined && parseDelay(delay.offset, true) === undefined) errors.push({ pointer: `${at}/delay/offset`, message: 'must be at most 366d either way' });
      }
      if (step.condition !== undefined) errors.push(...checkCondition(step.condition, `${at}/condition`));
    });
    if (!definition.steps.some((s) => 'channels' in s && s.channels !== undefined)) errors.push({ pointer: '/steps', message: 'must have at least one step that sends ({"channels": [...]})' });
  }
  for (const [channel, expression] of Object.entries(definition.conditions ?? {})) {
    if (!definition.channels.includes(channel as Channel)) errors.push({ pointer: `/conditions/${channel}`, message: own });
    else errors.push(...checkCondition(expression, `/conditions/${channel}`));
  }
  return errors;
}

function loadBundled(): Map<string, WorkflowDefinition> {
  const bundled = new Map<string, WorkflowDefinition>();
  if (!existsSync(BUNDLED_DIR)) return bundled;
  for (const entry of readdirSync(BUNDLED_DIR, { withFileTypes: true })) {
    const file = path.join(BUNDLED_DIR, entry.name, 'workflow.json');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    try {
      bundled.set(entry.name, checkWorkflow(JSON.parse(readFileSync(file, 'utf8'))));
    } catch (err) {
      throw new Error(`bundled workflow ${file} is invalid: ${err instanceof ClarionError ? JSON.stringify(err.errors) : (err as Error).message}`);
    }
  }
  return bundled;
}

interface WorkflowRow {
  key: string;
  trigger: string;
  definition: WorkflowDefinition;
  updated_at: Date;
}

export class WorkflowService {
  readonly #knex: Knex;
  readonly #bundled = loadBundled();
  /** A tenant's own workflows, read on every event and delivery. */
  readonly #rows: TtlCache<WorkflowRow[]>;

  constructor(knex: Knex, caches: CacheFactory = localCaches(0)) {
    this.#knex = knex;
    this.#rows = caches.cache('workflows');
  }

  #tenantRows(tenantId: string): Promise<WorkflowRow[]> {
    return this.#rows.get(tenantId, () => this.#knex('workflows').where({ tenant_id: tenantId }).select('key', 'trigger', 'definition', 'updated_at'));
  }

  bundled(): Map<string, WorkflowDefinition> {
    return this.#bundled;
  }

  async put(tenantId: string, key: string, input: unknown, actor: string, trx?: Knex): Promise<{ workflow: Workflow; created: boolean }> {
    checkKey(key);
    const definition = checkWorkflow(input);
    const run = async (db: Knex) => {
      const existing = await db('workflows').where({ tenant_id: tenantId, key }).first('id');
      const [row] = await db('workflows')
        .insert({ tenant_id: tenantId, key, trigger: definition.trigger, definition: JSON.stringify(definition), enabled: definition.enabled })
        .onConflict(['tenant_id', 'key'])
        .merge({ trigger: definition.trigger, definition: JSON.stringify(definition), enabled: definition.enabled, updated_at: db.fn.now() })
        .returning('*');
      await audit(db, tenantId, actor, existing ? 'workflow.updated' : 'workflow.created', key, { trigger: definition.trigger, channels: definition.channels });
      await announceChange(db, 'workflows', tenantId);
      return { workflow: toWorkflow(row.key, row.definition, 'tenant', row.updated_at), created: !existing };
    };
    const result = trx ? await run(trx) : await this.#knex.transaction(run);
    this.#rows.drop(tenantId); // after the commit, so no reader caches the old rows again
    return result;
  }

  async get(tenantId: string, key: string): Promise<Workflow> {
    const row = (await this.#tenantRows(tenantId)).find((r) => r.key === key);
    if (row) return toWorkflow(row.key, row.definition, 'tenant', row.updated_at);
    const bundled = this.#bundled.get(key);
    if (bundled) return toWorkflow(key, bundled, 'bundled', null);
    throw new ClarionError('CLARION_ERR_WORKFLOW_NOT_FOUND', `No workflow ${key}`);
  }

  async list(tenantId: string): Promise<Workflow[]> {
    const rows = await this.#knex('workflows').where({ tenant_id: tenantId });
    const own = new Map(rows.map((r) => [r.key as string, toWorkflow(r.key, r.definition, 'tenant', r.updated_at)]));
    for (const [key, definition] of this.#bundled) if (!own.has(key)) own.set(key, toWorkflow(key, definition, 'bundled', null));
    return [...own.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  async remove(tenantId: string, key: string, actor: string): Promise<void> {
    await this.#knex.transaction(async (trx) => {
      const deleted = await trx('workflows').where({ tenant_id: tenantId, key }).delete();
      if (deleted === 0) {
        if (this.#bundled.has(key)) throw new ClarionError('CLARION_ERR_WORKFLOW_BUNDLED', `${key} is a bundled workflow: disable it with PUT and "enabled": false instead`);
        throw new ClarionError('CLARION_ERR_WORKFLOW_NOT_FOUND', `No workflow ${key}`);
      }
      await audit(trx, tenantId, actor, 'workflow.deleted', key, { revertedTo: this.#bundled.has(key) ? 'bundled' : null });
      await announceChange(trx, 'workflows', tenantId);
    });
    this.#rows.drop(tenantId);
  }

  /** The enabled workflows an event type triggers for a tenant (its own, then bundled ones it did not override). */
  async forTrigger(tenantId: string, type: string): Promise<Workflow[]> {
    const rows = await this.#tenantRows(tenantId);
    const overridden = new Set(rows.map((r) => r.key as string));
    const result: Workflow[] = [];
    for (const row of rows) if (row.trigger === type && row.definition.enabled !== false) result.push(toWorkflow(row.key, row.definition, 'tenant', row.updated_at));
    for (const [key, definition] of this.#bundled) if (!overridden.has(key) && definition.trigger === type && definition.enabled) result.push(toWorkflow(key, definition, 'bundled', null));
    return result.sort((a, b) => a.key.localeCompare(b.key));
  }
}

export function checkKey(key: string): void {
  if (!WORKFLOW_KEY.test(key)) {
    throw new ClarionError('CLARION_ERR_WORKFLOW_INVALID', 'Invalid workflow key', { errors: [{ pointer: '/path/key', message: 'must be 1-100 lower-case letters, digits and . _ -' }] });
  }
}

function toWorkflow(key: string, definition: WorkflowDefinition, source: 'tenant' | 'bundled', updatedAt: Date | null): Workflow {
  return { key, source, ...definition, updatedAt: updatedAt ? new Date(updatedAt).toISOString() : null };
}
