import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { readJson, readQuery } from '../http.ts';
import { DEFAULT_PAGE_SIZE, queryReader } from '../../kernel/schema.ts';
import { attemptListQuery, endpointListQuery, messageListQuery, statsQuery } from '../../webhooks/schemas.ts';

const BASE = '/v1/webhooks';

/** A JSON body that may be left out: no body at all reads as `{}`. */
async function optionalJson(ctx: Context, limit: number): Promise<unknown> {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx, limit) : {};
}

// A repeat of any of these was always ignored.
const readEndpointList = queryReader(endpointListQuery, { ignoreRepeated: ['enabled'] });
const readAttemptList = queryReader(attemptListQuery, { ignoreRepeated: ['outcome'] });
const readMessageList = queryReader(messageListQuery, { ignoreRepeated: ['status'] });
const readStats = queryReader(statsQuery, { ignoreRepeated: ['since'] });

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
    const { limit: pageSize = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readEndpointList);
    ctx.body = await hub.listEndpoints(auth(ctx).tenant.id, { limit: pageSize, ...filters });
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
    const { limit: pageSize = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readAttemptList);
    ctx.body = await hub.listAttempts(auth(ctx).tenant.id, ctx.params.id, { limit: pageSize, ...filters });
  });

  router.get(`${BASE}/endpoints/:id/messages`, async (ctx) => {
    const { limit: pageSize = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readMessageList);
    ctx.body = await hub.listMessages(auth(ctx).tenant.id, ctx.params.id, { limit: pageSize, ...filters });
  });

  router.get(`${BASE}/endpoints/:id/stats`, async (ctx) => {
    ctx.body = await hub.stats(auth(ctx).tenant.id, ctx.params.id, readQuery(ctx, readStats).since);
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
