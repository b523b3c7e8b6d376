import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { pageParams, readJson } from '../http.ts';

/** Recurring schedules (core/schedules/service.ts). */
export function scheduleRoutes(services: Services, router: Router): void {
  router.get('/v1/schedules', async (ctx) => {
    ctx.body = await services.schedules.list(auth(ctx).tenant.id, pageParams(ctx));
  });
  router.post('/v1/schedules', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    ctx.status = 201;
    ctx.body = await services.schedules.create(tenant.id, body, actor);
  });
  router.get('/v1/schedules/:key', async (ctx) => {
    ctx.body = await services.schedules.get(auth(ctx).tenant.id, ctx.params.key);
  });
  router.patch('/v1/schedules/:key', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.schedules.update(tenant.id, ctx.params.key, body, actor);
  });
  router.delete('/v1/schedules/:key', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.schedules.remove(tenant.id, ctx.params.key, actor);
    ctx.status = 204;
  });
}
