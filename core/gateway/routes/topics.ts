import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { pageParams, readJson } from '../http.ts';

/** Topics and their members (core/topics/service.ts). */
export function topicRoutes(services: Services, router: Router): void {
  router.get('/v1/topics', async (ctx) => {
    ctx.body = await services.topics.list(auth(ctx).tenant.id, pageParams(ctx));
  });
  router.get('/v1/topics/:key', async (ctx) => {
    ctx.body = await services.topics.get(auth(ctx).tenant.id, ctx.params.key);
  });
  router.put('/v1/topics/:key', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    const { topic, created } = await services.topics.put(tenant.id, ctx.params.key, body, actor);
    ctx.status = created ? 201 : 200;
    ctx.body = topic;
  });
  router.delete('/v1/topics/:key', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.topics.remove(tenant.id, ctx.params.key, actor);
    ctx.status = 204;
  });
  router.get('/v1/topics/:key/subscribers', async (ctx) => {
    ctx.body = await services.topics.members(auth(ctx).tenant.id, ctx.params.key, pageParams(ctx));
  });
  router.put('/v1/topics/:key/subscribers', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.topics.addSubscribers(tenant.id, ctx.params.key, body, actor);
  });
  router.delete('/v1/topics/:key/subscribers', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.topics.removeSubscribers(tenant.id, ctx.params.key, body, actor);
  });
}
