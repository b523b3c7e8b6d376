import { ConfigError, DestinationRefused } from '@clarion/adapter-kit';
import { announceChange } from '../cache-invalidation.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import { keysetPage, type Page } from '../db/paging.ts';
import { webhookAttemptDuration, webhookAttempts, webhookMessagesFinished, webhookMessagesQueued } from '../metrics.ts';
import { audit, sealSecret, type WebhookContext } from './context.ts';
import { checkFilter } from './event-types.ts';
import { generateSecret, secretKey } from './signing.ts';
import { toEndpointView, type EndpointView } from './views.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { isUuid } from '../kernel/ids.ts';
import { schemaAjv } from '../kernel/schema.ts';
import { ATTEMPT_OUTCOMES, DEFAULT_ROTATION_GRACE_SECONDS, endpointInputSchema, endpointPatchSchema, rotateSecretSchema, TRIGGERS, type EndpointInput, type EndpointPatch } from './schemas.ts';

/** Endpoints: where a tenant's webhooks go, which types, how fast, and the signing secrets. */

export { DEFAULT_ROTATION_GRACE_SECONDS, MAX_ROTATION_GRACE_SECONDS, type EndpointInput, type EndpointPatch } from './schemas.ts';

const ajv = schemaAjv();
const validateCreate = ajv.compile(endpointInputSchema);
const validatePatch = ajv.compile(endpointPatchSchema);
const validateRotate = ajv.compile(rotateSecretSchema);

const COLUMNS = [
  'id', 'tenant_id', 'url', 'description', 'event_types', 'enabled', 'disabled_reason', 'disabled_at', 'rate_limit', 'failing_since',
  'previous_secret_encrypted', 'previous_secret_expires_at', 'created_at', 'updated_at',
];

function invalid(detail: string, errors: FieldError[]): ClarionError {
  return new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', detail, { errors });
}

/** The URL as stored, after the checks that need no DNS (host names are checked at every attempt). */
export function checkEndpointUrl(ctx: WebhookContext, url: string): string {
  try {
    return ctx.outbound.checkUrl(url).href;
  } catch (err) {
    if (err instanceof DestinationRefused) {
      throw new ClarionError(
        'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED',
        `The endpoint URL is not allowed: ${err.message.replace(/^refused: /, '')}. Outbound connections only go to public addresses unless CLARION_OUTBOUND_ALLOW_PRIVATE=true or CLARION_OUTBOUND_ALLOWLIST lets this one through`,
        { errors: [{ pointer: '/url', message: `is not allowed: ${err.message.replace(/^refused: /, '')}` }] },
      );
    }
    if (err instanceof ConfigError && /not a valid URL/.test(err.message)) {
      throw invalid('Invalid webhook endpoint', [{ pointer: '/url', message: 'must be an absolute http:// or https:// URL' }]);
    }
    if (err instanceof ConfigError) {
      throw new ClarionError('CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED', `The endpoint URL is not allowed: ${err.message}`, { errors: [{ pointer: '/url', message: err.message }] });
    }
    throw err;
  }
}

function checkBody<T>(validate: ReturnType<typeof ajv.compile>, body: unknown, what: string): T {
  if (!validate(body)) throw invalid(`Invalid ${what}`, toFieldErrors(validate.errors ?? []));
  const input = body as { eventTypes?: string[] | null; secret?: string };
  const errors: FieldError[] = [];
  if (input.eventTypes) errors.push(...checkFilter(input.eventTypes));
  if (input.secret !== undefined && !secretKey(input.secret)) {
    errors.push({ pointer: '/secret', message: 'must be whsec_ followed by the base64 of 24 to 64 random bytes' });
  }
  if (errors.length > 0) throw invalid(`Invalid ${what}`, errors);
  return body as T;
}

async function findRow(ctx: WebhookContext, tenantId: string, id: string) {
  const row = isUuid(id) ? await ctx.knex('webhook_endpoints').where({ tenant_id: tenantId, id }).first(COLUMNS) : undefined;
  if (!row) throw new ClarionError('CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}`);
  return row;
}

export async function createEndpoint(ctx: WebhookContext, tenantId: string, body: unknown, actor: string): Promise<EndpointView & { secret: string }> {
  const input = checkBody<EndpointInput>(validateCreate, body, 'webhook endpoint');
  const url = checkEndpointUrl(ctx, input.url);
  const secret = input.secret ?? generateSecret();
  const now = ctx.clock.now();
  return ctx.knex.transaction(async (trx) => {
    const [row] = await trx('webhook_endpoints')
      .insert({
        tenant_id: tenantId,
        url,
        description: input.description ?? null,
        event_types: input.eventTypes ?? null,
        enabled: input.enabled ?? true,
        disabled_reason: input.enabled === false ? `disabled by ${actor}` : null,
        disabled_at: input.enabled === false ? now : null,
        rate_limit: input.rateLimit ?? null,
        secret_encrypted: JSON.stringify(sealSecret(ctx.config, secret)),
        // created_at: the database's microsecond time, so lists keep the order of creation.
        updated_at: now,
      })
      .returning(COLUMNS);
    await audit(trx, { tenantId, actor, action: 'webhook_endpoint.created', targetType: 'webhook_endpoint', targetId: row.id, summary: { url, eventTypes: row.event_types } });
    await announceChange(trx, 'webhook_endpoints', tenantId);
    return { ...toEndpointView(row, now), secret };
  });
}

export async function getEndpoint(ctx: WebhookContext, tenantId: string, id: string): Promise<EndpointView> {
  return toEndpointView(await findRow(ctx, tenantId, id), ctx.clock.now());
}

export async function listEndpoints(ctx: WebhookContext, tenantId: string, options: { limit: number; cursor?: string; enabled?: boolean }): Promise<Page<EndpointView>> {
  const query = ctx.knex('webhook_endpoints').where({ tenant_id: tenantId }).select(COLUMNS);
  if (options.enabled !== undefined) query.where({ enabled: options.enabled });
  const now = ctx.clock.now();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return keysetPage(ctx.knex, query, { ts: 'created_at', id: 'id' }, options, (r) => toEndpointView(r as any, now));
}

export async function updateEndpoint(ctx: WebhookContext, tenantId: string, id: string, body: unknown, actor: string): Promise<EndpointView> {
  const patch = checkBody<EndpointPatch>(validatePatch, body, 'webhook endpoint change');
  const current = await findRow(ctx, tenantId, id);
  const now = ctx.clock.now();
  const changes: Record<string, unknown> = { updated_at: now };
  if (patch.url !== undefined) changes.url = checkEndpointUrl(ctx, patch.url);
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.eventTypes !== undefined) changes.event_types = patch.eventTypes;
  if (patch.rateLimit !== undefined) {
    changes.rate_limit = patch.rateLimit;
    changes.rate_tat = null;
  }
  if (patch.enabled === true && !current.enabled) {
    // Enabling starts afresh: the failure streak that disabled it is over.
    Object.assign(changes, { enabled: true, disabled_reason: null, disabled_at: null, failing_since: null });
  } else if (patch.enabled === false && current.enabled) {
    Object.assign(changes, { enabled: false, disabled_reason: `disabled by ${actor}`, disabled_at: now });
  }
  return ctx.knex.transaction(async (trx) => {
    const [row] = await trx('webhook_endpoints').where({ tenant_id: tenantId, id }).update(changes).returning(COLUMNS);
    if (!row) throw new ClarionError('CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}`);
    const action = changes.enabled === true ? 'webhook_endpoint.enabled' : changes.enabled === false ? 'webhook_endpoint.disabled' : 'webhook_endpoint.updated';
    await audit(trx, { tenantId, actor, action, targetType: 'webhook_endpoint', targetId: id, summary: { changed: Object.keys(patch) } });
    await announceChange(trx, 'webhook_endpoints', tenantId);
    return toEndpointView(row, now);
  });
}

export async function deleteEndpoint(ctx: WebhookContext, tenantId: string, id: string, actor: string): Promise<void> {
  const row = await findRow(ctx, tenantId, id);
  await ctx.knex.transaction(async (trx) => {
    // Messages and attempts go with it (cascade); queued jobs find nothing and end.
    await trx('webhook_endpoints').where({ tenant_id: tenantId, id }).delete();
    await audit(trx, { tenantId, actor, action: 'webhook_endpoint.deleted', targetType: 'webhook_endpoint', targetId: id, summary: { url: row.url } });
    await announceChange(trx, 'webhook_endpoints', tenantId);
  });
  forgetMetrics(id);
}

/** Drops a deleted endpoint's series from this process's metrics, so they do not pile up. */
function forgetMetrics(endpoint: string): void {
  for (const trigger of TRIGGERS) webhookMessagesQueued.remove({ endpoint, trigger });
  for (const outcome of ATTEMPT_OUTCOMES) webhookAttempts.remove({ endpoint, outcome });
  for (const status of ['delivered', 'failed']) webhookMessagesFinished.remove({ endpoint, status });
  webhookAttemptDuration.remove({ endpoint });
}

export async function rotateSecret(
  ctx: WebhookContext,
  tenantId: string,
  id: string,
  body: unknown,
  actor: string,
): Promise<EndpointView & { secret: string }> {
  const input = checkBody<{ gracePeriodSeconds?: number }>(validateRotate, body ?? {}, 'secret rotation');
  const grace = input.gracePeriodSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
  await findRow(ctx, tenantId, id);
  const secret = generateSecret();
  const now = ctx.clock.now();
  return ctx.knex.transaction(async (trx) => {
    const [row] = await trx('webhook_endpoints')
      .where({ tenant_id: tenantId, id })
      .update({
        // The outgoing secret keeps signing next to the new one until the grace period ends, so
        // receivers can switch without dropping a message.
        previous_secret_encrypted: grace > 0 ? trx.ref('secret_encrypted') : null,
        previous_secret_expires_at: grace > 0 ? new Date(now.getTime() + grace * 1000) : null,
        secret_encrypted: JSON.stringify(sealSecret(ctx.config, secret)),
        updated_at: now,
      })
      .returning(COLUMNS);
    if (!row) throw new ClarionError('CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}`);
    await audit(trx, { tenantId, actor, action: 'webhook_endpoint.secret_rotated', targetType: 'webhook_endpoint', targetId: id, summary: { gracePeriodSeconds: grace } });
    return { ...toEndpointView(row, now), secret };
  });
}
