import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import { parseEvents } from '../../ingest/cloudevents.ts';
import { auth } from '../auth.ts';
import { pageParams, queryString, readBody } from '../http.ts';
import { ClarionError } from '../../errors.ts';

const EVENT_STATUSES = ['received', 'processing', 'processed', 'failed'];

export function eventRoutes(services: Services, router: Router): void {
  // CloudEvents HTTP webhook abuse protection (CloudEvents "HTTP 1.1 Web Hooks" spec, section 4).
  router.options('/v1/events', (ctx) => {
    ctx.status = 200;
    ctx.set('Allow', 'POST, OPTIONS');
    ctx.set('WebHook-Allowed-Origin', services.config.ingestAllowedOrigin);
    ctx.set('WebHook-Allowed-Rate', String(services.config.ingestAllowedRate));
    ctx.body = '';
  });

  router.post('/v1/events', async (ctx) => {
    const body = await readBody(ctx, services.config.maxBodyBytes);
    const { mode, events } = parseEvents(ctx.headers, body);
    const result = await services.ingest.ingest(auth(ctx).tenant, mode, events);
    ctx.status = 202;
    ctx.body = result;
  });

  router.get('/v1/events', async (ctx) => {
    const { limit, cursor } = pageParams(ctx);
    const status = queryString(ctx, 'status');
    if (status && !EVENT_STATUSES.includes(status)) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', {
        errors: [{ pointer: '/query/status', message: `must be one of ${EVENT_STATUSES.join(', ')}` }],
      });
    }
    const page = await services.events.list(auth(ctx).tenant.id, { limit, cursor, status, type: queryString(ctx, 'type'), source: queryString(ctx, 'source') });
    ctx.body = page;
  });

  router.get('/v1/events/:id', async (ctx) => {
    const tenantId = auth(ctx).tenant.id;
    const event = await services.events.get(tenantId, ctx.params.id, queryString(ctx, 'source'));
    ctx.body = { ...event, notifications: await services.views.forEvent(tenantId, event.id), topicFanOuts: await services.views.topicFanOuts(tenantId, event.id) };
  });
}
