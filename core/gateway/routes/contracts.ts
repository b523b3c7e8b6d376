import type Router from '@koa/router';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { MAX_TYPE_BYTES } from '../../ingest/limits.ts';
import { auth } from '../auth.ts';
import { readJson, readQuery } from '../http.ts';
import { contractReadQuery } from '../../ingest/openapi.ts';
import { queryReader } from '../../kernel/schema.ts';

/** ASCII only, so characters are bytes: as long as an event's `type` may be. */
const TYPE = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,${MAX_TYPE_BYTES - 1}}$`);

const readContractQuery = queryReader(contractReadQuery);

export function contractRoutes(services: Services, router: Router): void {
  router.put('/v1/contracts/:type', async (ctx) => {
    const type = checkType(ctx.params.type);
    const schema = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    const contract = await services.contracts.put(tenant.id, type, schema, actor);
    ctx.status = contract.version === 1 ? 201 : 200;
    ctx.set('Location', `/v1/contracts/${encodeURIComponent(type)}`);
    ctx.body = contract;
  });

  router.get('/v1/contracts', async (ctx) => {
    ctx.body = { items: await services.contracts.list(auth(ctx).tenant.id) };
  });

  router.get('/v1/contracts/:type', async (ctx) => {
    const type = checkType(ctx.params.type);
    const { version } = readQuery(ctx, readContractQuery);
    const tenantId = auth(ctx).tenant.id;
    // Without a version: the contract in effect, which is the bundled one until the tenant registers its own.
    const contract = version === undefined ? await services.contracts.effective(tenantId, type) : await services.contracts.get(tenantId, type, version);
    if (!contract) throw new ClarionError('CLARION_ERR_CONTRACT_NOT_FOUND', `No contract${version ? ` version ${version}` : ''} for ${type}`);
    ctx.body = { ...contract, versions: await services.contracts.versions(tenantId, type) };
  });
}

function checkType(type: string): string {
  if (!TYPE.test(type)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid event type', {
      errors: [{ pointer: '/path/type', message: `must be 1-${MAX_TYPE_BYTES} characters: letters, digits and . _ : / -, starting with a letter or digit` }],
    });
  }
  return type;
}
