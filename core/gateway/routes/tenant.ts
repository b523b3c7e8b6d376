import type Router from '@koa/router';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { tenantPatchSchema, type TenantPatch } from '../../tenants.ts';
import { schemaAjv } from '../../kernel/schema.ts';
import { auth } from '../auth.ts';
import { readJson } from '../http.ts';
import { toFieldErrors } from '../../kernel/validation.ts';

const validatePatch = schemaAjv().compile<TenantPatch>(tenantPatchSchema);

export function tenantRoutes(services: Services, router: Router): void {
  router.get('/v1/tenant', (ctx) => {
    const { tenant } = auth(ctx);
    ctx.body = { id: tenant.id, name: tenant.name, settings: tenant.settings, createdAt: tenant.createdAt };
  });

  router.patch('/v1/tenant', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    if (!validatePatch(body)) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid tenant settings', { errors: toFieldErrors(validatePatch.errors ?? []) });
    }
    const { tenant, actor } = auth(ctx);
    const updated = await services.tenants.updateSettings(tenant.id, body.settings, actor);
    services.apiKeys.forgetCached(); // cached keys carry the tenant's settings (other processes hear of the change)
    ctx.body = { id: updated.id, name: updated.name, settings: updated.settings, createdAt: updated.createdAt };
  });
}
