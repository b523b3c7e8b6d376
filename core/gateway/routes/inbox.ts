import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { readJson } from '../http.ts';

/** Reads an optional JSON body: none (no Content-Type and no length) is `{}`. */
async function optionalJson(ctx: Context, limit: number): Promise<unknown> {
  if (!ctx.get('content-type') && !Number(ctx.get('content-length'))) return {};
  return readJson(ctx, limit);
}

/** What the tenant's servers do for the inbox (API key): the inbox secret, and tokens for subscribers. */
export function inboxAdminRoutes(services: Services, router: Router): void {
  router.get('/v1/tenant/inbox-secret', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.auth.secret(tenant.id, actor);
  });
  router.post('/v1/tenant/inbox-secret', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.auth.rotate(tenant.id, actor);
  });
  router.post('/v1/subscribers/:subscriberId/inbox-token', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const body = await optionalJson(ctx, services.config.maxBodyBytes);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = await services.inbox.mintToken(tenant.id, ctx.params.subscriberId, body, actor);
  });
}

/** The subscriber's own routes (an inbox token, or a subscriber hash exchanged for one). */
export function inboxRoutes(services: Services, router: Router): void {
  router.post('/v1/inbox/session', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = await services.inbox.session(body);
  });
}
