import type Router from '@koa/router';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { readJson, readQuery } from '../http.ts';
import { auditQuery, deliveryListQuery, notificationListQuery, outboxQuery, providerListQuery, subscriberListQuery } from '../../delivery/list-queries.ts';
import { providerTestInputSchema, type ProviderTestInput } from '../../delivery/provider-schemas.ts';
import { DEFAULT_PAGE_SIZE, queryReader, schemaAjv } from '../../kernel/schema.ts';

const validateProviderTest = schemaAjv().compile<ProviderTestInput>(providerTestInputSchema);
const readNotificationList = queryReader(notificationListQuery);
const readDeliveryList = queryReader(deliveryListQuery);
const readOutbox = queryReader(outboxQuery);
const readSubscriberList = queryReader(subscriberListQuery);
const readProviderList = queryReader(providerListQuery);
const readAudit = queryReader(auditQuery);

/** Workflows, subscribers, providers, notifications, deliveries, outbox and audit. */
export function deliveryRoutes(services: Services, router: Router): void {
  // ---- workflows
  router.get('/v1/workflows', async (ctx) => {
    ctx.body = { items: await services.workflows.list(auth(ctx).tenant.id) };
  });
  router.get('/v1/workflows/:key', async (ctx) => {
    ctx.body = await services.workflows.get(auth(ctx).tenant.id, ctx.params.key);
  });
  router.put('/v1/workflows/:key', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    const { workflow, created, warnings } = await services.workflowAuthoring.save(tenant, ctx.params.key, body, actor);
    ctx.status = created ? 201 : 200;
    ctx.body = { ...workflow, warnings };
  });
  router.post('/v1/workflows/:key/variants/:variant/win', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.workflowAuthoring.endAbTest(tenant, ctx.params.key, ctx.params.variant, actor);
  });
  router.delete('/v1/workflows/:key', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.workflows.remove(tenant.id, ctx.params.key, actor);
    ctx.status = 204;
  });

  // ---- subscribers
  router.get('/v1/subscribers', async (ctx) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor, ...filters } = readQuery(ctx, readSubscriberList);
    ctx.body = await services.subscribers.list(auth(ctx).tenant.id, { limit, after: cursor, ...filters });
  });
  // The colon is literal (Google's custom-method style): escaped for the router.
  router.post('/v1/subscribers\\:bulk', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.subscribers.bulkUpsert(tenant.id, body, actor);
  });
  router.get('/v1/subscribers/:subscriberId', async (ctx) => {
    ctx.body = await services.subscribers.get(auth(ctx).tenant.id, ctx.params.subscriberId);
  });
  router.put('/v1/subscribers/:subscriberId', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    const { subscriber, created } = await services.subscribers.put(tenant.id, ctx.params.subscriberId, body, actor);
    ctx.status = created ? 201 : 200;
    ctx.body = subscriber;
  });
  router.delete('/v1/subscribers/:subscriberId', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.subscribers.erase(tenant.id, ctx.params.subscriberId, actor);
    ctx.status = 204;
  });

  // ---- adapters and providers
  router.get('/v1/adapters', (ctx) => {
    ctx.body = { items: services.adapters.list() };
  });
  router.get('/v1/providers', async (ctx) => {
    const { channel } = readQuery(ctx, readProviderList);
    ctx.body = { items: await services.providers.list(auth(ctx).tenant.id, channel) };
  });
  router.post('/v1/providers', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    const provider = await services.providers.create(tenant.id, body, actor);
    ctx.status = 201;
    ctx.set('Location', `/v1/providers/${provider.id}`);
    ctx.body = provider;
  });
  router.get('/v1/providers/:id', async (ctx) => {
    ctx.body = await services.providers.get(auth(ctx).tenant.id, ctx.params.id);
  });
  router.patch('/v1/providers/:id', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.providers.update(tenant.id, ctx.params.id, body, actor);
  });
  router.post('/v1/providers/:id/test', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    // One message for every way of getting it wrong: what `to` may be.
    if (!validateProviderTest(body)) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Say where to send the test message', {
        errors: [{ pointer: '/to', message: 'must be an email address, an E.164 phone number, or a recipient object ({email, phone, devices, chat})' }],
      });
    }
    const to = body.to;
    const recipient = typeof to === 'string' ? (to.includes('@') ? { email: to } : { phone: to }) : to;
    const { tenant, actor } = auth(ctx);
    ctx.body = await services.delivery.testProvider(tenant.id, ctx.params.id, { id: 'test', ...(recipient as object) }, actor);
  });
  router.delete('/v1/providers/:id', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.providers.remove(tenant.id, ctx.params.id, actor);
    ctx.status = 204;
  });

  // ---- notifications and deliveries
  router.get('/v1/notifications', async (ctx) => {
    const { limit = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readNotificationList);
    ctx.body = await services.views.list(auth(ctx).tenant.id, { limit, ...filters });
  });
  router.get('/v1/notifications/:id', async (ctx) => {
    ctx.body = await services.views.get(auth(ctx).tenant.id, ctx.params.id);
  });
  router.get('/v1/deliveries', async (ctx) => {
    const { limit = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readDeliveryList);
    ctx.body = await services.views.deliveries(auth(ctx).tenant.id, { limit, ...filters });
  });
  router.get('/v1/deliveries/:id', async (ctx) => {
    ctx.body = await services.views.delivery(auth(ctx).tenant.id, ctx.params.id);
  });
  router.post('/v1/deliveries/:id/requeue', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await services.delivery.requeue(tenant.id, ctx.params.id, actor);
    ctx.status = 202;
    ctx.body = await services.views.delivery(tenant.id, ctx.params.id);
  });

  // ---- sandbox outbox and audit trail
  router.get('/v1/outbox', async (ctx) => {
    const { limit = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readOutbox);
    ctx.body = await services.views.outbox(auth(ctx).tenant.id, { limit, ...filters });
  });
  router.get('/v1/audit', async (ctx) => {
    const { limit = DEFAULT_PAGE_SIZE, ...filters } = readQuery(ctx, readAudit);
    ctx.body = await services.views.audit(auth(ctx).tenant.id, { limit, ...filters });
  });
}
