import type Router from '@koa/router';
import { Ajv } from 'ajv';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { readJson } from '../http.ts';
import { toFieldErrors } from '../../kernel/validation.ts';

const validatePatch = new Ajv({ allErrors: true }).compile({
  type: 'object',
  additionalProperties: false,
  required: ['settings'],
  properties: {
    settings: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        acceptUnvalidatedTypes: { type: 'boolean' },
        defaultLocale: { type: 'string', pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' },
        brand: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 200 },
            color: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
            logoUrl: { type: 'string', pattern: '^https?://' },
          },
        },
      },
    },
  },
});

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
    const updated = await services.tenants.updateSettings(tenant.id, (body as { settings: Record<string, unknown> }).settings, actor);
    services.apiKeys.forgetCached(); // cached keys carry the tenant's settings (other processes hear of the change)
    ctx.body = { id: updated.id, name: updated.name, settings: updated.settings, createdAt: updated.createdAt };
  });
}
