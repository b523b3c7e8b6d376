import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import { parseEvents } from '../../ingest/cloudevents.ts';
import { auth } from '../auth.ts';
import { readBody, readJson, readQuery } from '../http.ts';
import { DEFAULT_PAGE_SIZE, queryReader } from '../../kernel/schema.ts';
import { eventCancelQuery, eventListQuery, eventReadQuery } from '../../ingest/openapi.ts';
import { checkCancellation } from '../../notifications/cancellation.ts';

const readEventList = queryReader(eventListQuery, { ignoreRepeated: ['status'] });
const readEventRead = queryReader(eventReadQuery);
const readEventCancel = queryReader(eventCancelQuery);

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
    const { limit = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readEventList);
    const page = await services.events.list(auth(ctx).tenant.id, { limit, ...filters });
    ctx.body = page;
  });

  // Cancels what is still pending for the event; what providers already have is reported.
  router.delete('/v1/events/:id', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const { source, reason } = readQuery(ctx, readEventCancel);
    const event = await services.events.get(tenant.id, ctx.params.id, source);
    ctx.body = await services.notifications.cancel(tenant.id, { eventIds: [event.id] }, { reason, actor });
  });

  router.post('/v1/cancellations', async (ctx) => {
    const { key, reason } = checkCancellation(await readJson(ctx, services.config.maxBodyBytes));
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.notifications.cancel(tenant.id, { key }, { reason, actor });
  });

  router.get('/v1/events/:id', async (ctx) => {
    const tenantId = auth(ctx).tenant.id;
    const event = await services.events.get(tenantId, ctx.params.id, readQuery(ctx, readEventRead).source);
    ctx.body = { ...event, notifications: await services.views.forEvent(tenantId, event.id), topicFanOuts: await services.views.topicFanOuts(tenantId, event.id) };
  });
}
