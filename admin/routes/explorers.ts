import { CHANNELS } from '@clarion/adapter-kit';
import type { Context } from 'koa';
import { ClarionError, isClarionError, type FieldError } from '../../core/errors.ts';
import { DELIVERY_STATUSES, NOTIFICATION_STATUSES } from '../../core/notifications/status.ts';
import { redirect, type AdminDeps, type AdminRouter } from '../app.ts';

const EVENT_STATUSES = ['received', 'processing', 'processed', 'failed'];
const PAGE = 50;

/** A query parameter, checked against what it may be; a bad one is refused with the field named. */
export function query(ctx: Context, name: string, allowed?: readonly string[]): string | undefined {
  const value = ctx.query[name];
  if (value === undefined || value === '') return undefined;
  const errors: FieldError[] = [];
  if (typeof value !== 'string') errors.push({ pointer: `/query/${name}`, message: 'must be given once' });
  else if (allowed && !allowed.includes(value)) errors.push({ pointer: `/query/${name}`, message: `must be one of ${allowed.join(', ')}` });
  else if (value.length > 1000) errors.push({ pointer: `/query/${name}`, message: 'is too long' });
  if (errors.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid filter', { errors });
  return value as string;
}

function timeQuery(ctx: Context, name: string): string | undefined {
  const value = query(ctx, name);
  if (value !== undefined && Number.isNaN(Date.parse(value))) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid filter', { errors: [{ pointer: `/query/${name}`, message: 'must be a date and time (2040-01-02T09:00Z)' }] });
  }
  return value;
}

/** The link of the current filters without the cursor, to page on. */
function base(ctx: Context): string {
  const params = new URLSearchParams(ctx.querystring);
  params.delete('cursor');
  const text = params.toString();
  return `${ctx.path}${text ? `?${text}` : ''}`;
}

/** Events, notifications and deliveries with their details; dead letters with requeue. */
export function explorerRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;

  routes.get('/admin/events', async (ctx, state) => {
    const filters = { status: query(ctx, 'status', EVENT_STATUSES), type: query(ctx, 'type'), source: query(ctx, 'source') };
    const page = await services.events.list(state.tenant!.id, { limit: PAGE, cursor: query(ctx, 'cursor'), ...filters });
    deps.render(ctx, 'events.njk', { page, filters, statuses: EVENT_STATUSES, base: base(ctx) });
  });

  routes.get('/admin/events/:id', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const event = await services.events.get(tenantId, ctx.params.id, query(ctx, 'source'));
    deps.render(ctx, 'event.njk', { event, notifications: await services.views.forEvent(tenantId, event.id) });
  });

  routes.get('/admin/notifications', async (ctx, state) => {
    const filters = {
      status: query(ctx, 'status', NOTIFICATION_STATUSES), workflow: query(ctx, 'workflow'), subscriber: query(ctx, 'subscriber'),
      since: timeQuery(ctx, 'since'), until: timeQuery(ctx, 'until'),
    };
    const page = await services.views.list(state.tenant!.id, { limit: PAGE, cursor: query(ctx, 'cursor'), ...filters });
    deps.render(ctx, 'notifications.njk', { page, filters, statuses: NOTIFICATION_STATUSES, base: base(ctx) });
  });

  routes.get('/admin/notifications/:id', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const notification = await services.views.get(tenantId, ctx.params.id);
    const history = await services.views.audit(tenantId, { limit: 200, targetType: 'notification', targetId: notification.id as string });
    const deliveries = notification.deliveries as Array<Record<string, unknown>>;
    const deliveryHistory = await Promise.all(deliveries.map((d) => services.views.audit(tenantId, { limit: 100, targetType: 'delivery', targetId: d.id as string })));
    deps.render(ctx, 'notification.njk', { n: notification, history: history.items, deliveryHistory: deliveryHistory.map((p) => p.items) });
  });

  routes.get('/admin/deliveries', async (ctx, state) => {
    const filters = { status: query(ctx, 'status', DELIVERY_STATUSES), channel: query(ctx, 'channel', CHANNELS) };
    const page = await services.views.deliveries(state.tenant!.id, { limit: PAGE, cursor: query(ctx, 'cursor'), ...filters });
    deps.render(ctx, 'deliveries.njk', { page, filters, statuses: DELIVERY_STATUSES, channels: CHANNELS, base: base(ctx), title: 'Deliveries' });
  });

  routes.get('/admin/deliveries/:id', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const delivery = await services.views.delivery(tenantId, ctx.params.id);
    const history = await services.views.audit(tenantId, { limit: 200, targetType: 'delivery', targetId: delivery.id as string });
    deps.render(ctx, 'delivery.njk', { d: delivery, history: history.items });
  });

  routes.get('/admin/dead-letters', async (ctx, state) => {
    const filters = { status: 'dead', channel: query(ctx, 'channel', CHANNELS) };
    const page = await services.views.deliveries(state.tenant!.id, { limit: PAGE, cursor: query(ctx, 'cursor'), ...filters });
    deps.render(ctx, 'dead-letters.njk', { page, filters, channels: CHANNELS, base: base(ctx) });
  });

  routes.post('/admin/deliveries/:id/requeue', 'manage', async (ctx, state) => {
    const { tenant, session } = state;
    await services.delivery.requeue(tenant!.id, ctx.params.id, `admin:${session!.user.id}`);
    redirect(ctx, deps, `/admin/deliveries/${ctx.params.id}`, { kind: 'ok', message: state.t('Delivery requeued: it is sent again now.') });
  });

  routes.post('/admin/dead-letters/requeue', 'manage', async (ctx, state) => {
    const ids = state.form.all('id').slice(0, 500);
    if (ids.length === 0) return redirect(ctx, deps, '/admin/dead-letters', { kind: 'error', message: state.t('Choose the dead letters to requeue.') });
    let requeued = 0;
    const refused: string[] = [];
    for (const id of ids) {
      try {
        await services.delivery.requeue(state.tenant!.id, id, `admin:${state.session!.user.id}`);
        requeued++;
      } catch (err) {
        if (!isClarionError(err) || err.status >= 500) throw err;
        refused.push(`${id}: ${err.message}`);
      }
    }
    const message = state.t('{n} requeued.', { n: requeued }) + (refused.length ? ` ${state.t('Not requeued:')} ${refused.join('; ')}` : '');
    redirect(ctx, deps, '/admin/dead-letters', { kind: refused.length ? 'error' : 'ok', message });
  });
}
