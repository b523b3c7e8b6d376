import type Router from '@koa/router';
import type { Context } from 'koa';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { pageParams, queryString, readJson } from '../http.ts';

const BASE = '/v1/webhooks';

/** A JSON body that may be left out: no body at all reads as `{}`. */
async function optionalJson(ctx: Context, limit: number): Promise<unknown> {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx, limit) : {};
}

function booleanQuery(ctx: Context, name: string): boolean | undefined {
  const value = queryString(ctx, name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors: [{ pointer: `/query/${name}`, message: 'must be true or false' }] });
}

export function webhookRoutes(services: Services, router: Router): void {
  const hub = services.webhooks;
  const limit = services.config.maxBodyBytes;

  router.get(`${BASE}/event-types`, (ctx) => {
    ctx.body = { items: hub.eventTypes() };
  });

  router.post(`${BASE}/endpoints`, async (ctx) => {
    const body = await readJson(ctx, limit);
    const { tenant, actor } = auth(ctx);
    const endpoint = await hub.createEndpoint(tenant.id, body, actor);
    ctx.status = 201;
    ctx.set('Location', `${BASE}/endpoints/${endpoint.id}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = endpoint;
  });

  router.get(`${BASE}/endpoints`, async (ctx) => {
    const { limit: pageSize, cursor } = pageParams(ctx);
    ctx.body = await hub.listEndpoints(auth(ctx).tenant.id, { limit: pageSize, cursor, enabled: booleanQuery(ctx, 'enabled') });
  });

  router.get(`${BASE}/endpoints/:id`, async (ctx) => {
    ctx.body = await hub.getEndpoint(auth(ctx).tenant.id, ctx.params.id);
  });

  router.patch(`${BASE}/endpoints/:id`, async (ctx) => {
    const body = await readJson(ctx, limit);
    const { tenant, actor } = auth(ctx);
    ctx.body = await hub.updateEndpoint(tenant.id, ctx.params.id, body, actor);
  });

  router.delete(`${BASE}/endpoints/:id`, async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await hub.deleteEndpoint(tenant.id, ctx.params.id, actor);
    ctx.status = 204;
  });

  router.post(`${BASE}/endpoints/:id/rotate-secret`, async (ctx) => {
    const body = await optionalJson(ctx, limit);
    const { tenant, actor } = auth(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await hub.rotateSecret(tenant.id, ctx.params.id, body, actor);
  });

  router.get(`${BASE}/endpoints/:id/attempts`, async (ctx) => {
    const { limit: pageSize, cursor } = pageParams(ctx);
    ctx.body = await hub.listAttempts(auth(ctx).tenant.id, ctx.params.id, {
      limit: pageSize,
      cursor,
      messageId: queryString(ctx, 'messageId'),
      outcome: queryString(ctx, 'outcome'),
    });
  });

  router.get(`${BASE}/endpoints/:id/messages`, async (ctx) => {
    const { limit: pageSize, cursor } = pageParams(ctx);
    ctx.body = await hub.listMessages(auth(ctx).tenant.id, ctx.params.id, {
      limit: pageSize,
      cursor,
      status: queryString(ctx, 'status'),
      eventType: queryString(ctx, 'eventType'),
    });
  });

  router.get(`${BASE}/endpoints/:id/stats`, async (ctx) => {
    ctx.body = await hub.stats(auth(ctx).tenant.id, ctx.params.id, queryString(ctx, 'since'));
  });

  router.post(`${BASE}/endpoints/:id/recover`, async (ctx) => {
    const body = await readJson(ctx, limit);
    const { tenant, actor } = auth(ctx);
    ctx.status = 202;
    ctx.body = await hub.recover(tenant.id, ctx.params.id, body, actor);
  });

  router.get(`${BASE}/messages/:id`, async (ctx) => {
    ctx.body = await hub.getMessage(auth(ctx).tenant.id, ctx.params.id);
  });

  router.post(`${BASE}/messages/:id/replay`, async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const items = await hub.replay(tenant.id, ctx.params.id, actor);
    ctx.status = 202;
    ctx.body = { items };
  });
}
