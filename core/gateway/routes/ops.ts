import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import { registry } from '../../metrics.ts';
import { metricsTokenCheck } from '../auth.ts';
import { openApiDocument } from '../openapi.ts';

export function opsRoutes(services: Services, router: Router): void {
  /** Liveness: the process answers. */
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  /** Readiness: the database answers and its schema is current. */
  router.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      const pending = await services.database.pendingMigrations();
      checks.database = 'ok';
      checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
    } catch (err) {
      checks.database = `unreachable: ${(err as Error).message}`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });

  /** Prometheus metrics of this process; behind a bearer token when CLARION_METRICS_TOKEN is set. */
  const checkToken = services.config.metricsToken ? metricsTokenCheck(services.config.metricsToken) : undefined;
  router.get('/metrics', async (ctx) => {
    checkToken?.(ctx);
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });

  router.get('/v1/openapi.json', (ctx) => {
    ctx.body = openApiDocument(services.config.publicUrl);
  });
}
