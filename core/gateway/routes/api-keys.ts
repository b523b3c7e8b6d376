import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { pageParams, readJson } from '../http.ts';

/** The tenant's own API keys (core/api-keys/service.ts): never another tenant's, never a key's hash. */
export function apiKeyRoutes(services: Services, router: Router): void {
  router.get('/v1/api-keys', async (ctx) => {
    ctx.body = await services.apiKeys.list(auth(ctx).tenant.id, pageParams(ctx));
  });

  router.post('/v1/api-keys', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    const created = await services.apiKeys.create(tenant.id, body, actor);
    ctx.status = 201;
    // The key is in this answer only: nothing on the way may keep it.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = created;
  });

  router.delete('/v1/api-keys/:id', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.apiKeys.revoke(tenant.id, ctx.params.id, actor);
    ctx.status = 204;
  });
}
