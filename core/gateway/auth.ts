import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { ApiKeyService } from '../api-keys/service.ts';
import { ClarionError } from '../errors.ts';
import type { InboxScope } from '../realtime/auth.ts';
import type { InboxService, InboxSubscriber } from '../realtime/service.ts';
import type { TenantRow } from '../tenants.ts';

export interface AuthState {
  tenant: TenantRow;
  /** The API key of the request. */
  keyId: string;
  /** Who is acting, for the audit trail: `api_key:<id>`. */
  actor: string;
}

/** `Authorization: Bearer <api key>` resolves the tenant; everything under it is that tenant's. */
export function requireApiKey(apiKeys: ApiKeyService) {
  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    if (!header) {
      ctx.set('WWW-Authenticate', 'Bearer realm="clarion"');
      throw new ClarionError('CLARION_ERR_AUTH_MISSING', 'Send your API key as Authorization: Bearer <key>');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Keys are looked up by their hash and the answer cached; a revocation anywhere drops it at once.
    const found = match ? await apiKeys.authenticate(match[1]) : undefined;
    if (!found) {
      ctx.set('WWW-Authenticate', 'Bearer realm="clarion", error="invalid_token"');
      throw new ClarionError('CLARION_ERR_AUTH_INVALID', 'The API key is not valid (unknown, revoked, or not sent as Bearer <key>)');
    }
    ctx.state.auth = { tenant: found.tenant, keyId: found.keyId, actor: `api_key:${found.keyId}` } satisfies AuthState;
    ctx.state.log = ctx.state.log.child({ tenantId: found.tenant.id });
    await next();
  };
}

/**
 * The check of `/metrics` when CLARION_METRICS_TOKEN is set: `Authorization: Bearer <token>`.
 * Both sides are hashed before the constant-time comparison, so neither the time taken nor a
 * length mismatch tells anything about the token.
 */
export function metricsTokenCheck(token: string): (ctx: Context) => void {
  const expected = createHash('sha256').update(token).digest();
  return (ctx) => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = match ? createHash('sha256').update(match[1]).digest() : undefined;
    if (given && timingSafeEqual(given, expected)) return;
    ctx.set('WWW-Authenticate', `Bearer realm="clarion-metrics"${header ? ', error="invalid_token"' : ''}`);
    throw new ClarionError(
      'CLARION_ERR_METRICS_UNAUTHORIZED',
      header ? 'The metrics token is not valid' : 'This server requires its metrics token: send Authorization: Bearer <CLARION_METRICS_TOKEN>',
    );
  };
}

export function auth(ctx: Context): AuthState {
  return ctx.state.auth as AuthState;
}

/**
 * The inbox routes' credential: `Authorization: Bearer <inbox token>` (core/realtime/auth.ts), or
 * `?token=` where a browser cannot send headers (`allowQuery`: WebSocket and EventSource). The
 * token opens its own subscriber's inbox, for its scopes, and nothing else.
 */
export function requireSubscriber(inbox: InboxService, scope?: InboxScope, options: { allowQuery?: boolean } = {}) {
  return async (ctx: Context, next: Next) => {
    ctx.state.inbox = await inbox.fromRequest(ctx.get('authorization'), options.allowQuery ? ctx.query.token : undefined, scope, (name, value) => ctx.set(name, value));
    ctx.state.log = ctx.state.log.child({ tenantId: (ctx.state.inbox as InboxSubscriber).tenantId });
    await next();
  };
}

export function subscriber(ctx: Context): InboxSubscriber {
  return ctx.state.inbox as InboxSubscriber;
}
