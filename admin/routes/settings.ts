import { CHANNELS } from '@clarion/adapter-kit';
import type { Context } from 'koa';
import { isClarionError } from '../../core/errors.ts';
import { redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import { query } from './explorers.ts';

const SCOPES = ['tenant', 'team', 'project', 'subscriber'];
const MESSAGE_STATUSES = ['pending', 'retrying', 'delivered', 'failed'];

function pageBase(ctx: Context): string {
  const params = new URLSearchParams(ctx.querystring);
  params.delete('cursor');
  const text = params.toString();
  return `${ctx.path}${text ? `?${text}` : ''}`;
}

const actor = (state: AdminState) => `admin:${state.session!.user.id}`;

/** Webhook endpoints, API keys, the audit log, the sandbox outbox and preferences at each scope. */
export function settingsRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;

  // ---- webhook endpoints
  routes.get('/admin/webhooks', async (ctx, state) => {
    const page = await services.webhooks.listEndpoints(state.tenant!.id, { limit: 100, cursor: query(ctx, 'cursor') });
    deps.render(ctx, 'webhooks.njk', { page, base: pageBase(ctx), eventTypes: services.webhooks.eventTypes() });
  });

  const endpointBody = (state: AdminState) => {
    const types = (state.form.text('eventTypes') ?? '').split(/[\s,]+/).filter(Boolean);
    const rate = state.form.text('rateLimit');
    return { url: state.form.text('url') ?? '', description: state.form.text('description') ?? null, eventTypes: types.length ? types : null, rateLimit: rate ? Number(rate) : null };
  };

  routes.post('/admin/webhooks', 'manage', async (ctx, state) => {
    try {
      const endpoint = await services.webhooks.createEndpoint(state.tenant!.id, endpointBody(state), actor(state));
      redirect(ctx, deps, `/admin/webhooks/${endpoint.id}`, { kind: 'ok', message: state.t('Endpoint created. Its signing secret:'), secret: endpoint.secret });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      redirect(ctx, deps, '/admin/webhooks', { kind: 'error', message: `${err.message}${err.errors.length ? `: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}` : ''}` });
    }
  });

  routes.get('/admin/webhooks/:id', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const endpoint = await services.webhooks.getEndpoint(tenantId, ctx.params.id);
    const [messages, attempts, stats] = await Promise.all([
      services.webhooks.listMessages(tenantId, endpoint.id, { limit: 50, status: query(ctx, 'status', MESSAGE_STATUSES) }),
      services.webhooks.listAttempts(tenantId, endpoint.id, { limit: 50 }),
      services.webhooks.stats(tenantId, endpoint.id),
    ]);
    deps.render(ctx, 'webhook.njk', { endpoint, messages, attempts, stats, statuses: MESSAGE_STATUSES, status: query(ctx, 'status') });
  });

  routes.post('/admin/webhooks/:id', 'manage', async (ctx, state) => {
    const body: Record<string, unknown> = endpointBody(state);
    try {
      await services.webhooks.updateEndpoint(state.tenant!.id, ctx.params.id, body, actor(state));
      redirect(ctx, deps, `/admin/webhooks/${ctx.params.id}`, { kind: 'ok', message: state.t('Endpoint saved.') });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      redirect(ctx, deps, `/admin/webhooks/${ctx.params.id}`, { kind: 'error', message: `${err.message}${err.errors.length ? `: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}` : ''}` });
    }
  });

  routes.post('/admin/webhooks/:id/enabled', 'manage', async (ctx, state) => {
    const enabled = state.form.get('enabled') === 'true';
    await services.webhooks.updateEndpoint(state.tenant!.id, ctx.params.id, { enabled }, actor(state));
    redirect(ctx, deps, `/admin/webhooks/${ctx.params.id}`, { kind: 'ok', message: enabled ? state.t('Endpoint enabled.') : state.t('Endpoint disabled.') });
  });

  routes.post('/admin/webhooks/:id/rotate', 'manage', async (ctx, state) => {
    const grace = state.form.text('gracePeriodSeconds');
    const endpoint = await services.webhooks.rotateSecret(state.tenant!.id, ctx.params.id, grace === undefined ? {} : { gracePeriodSeconds: Number(grace) }, actor(state));
    redirect(ctx, deps, `/admin/webhooks/${endpoint.id}`, { kind: 'ok', message: state.t('Secret rotated. The new signing secret:'), secret: endpoint.secret });
  });

  routes.post('/admin/webhooks/:id/recover', 'manage', async (ctx, state) => {
    const since = state.form.text('since');
    const body: Record<string, unknown> = { since: since && !Number.isNaN(Date.parse(since)) ? new Date(since).toISOString() : since };
    try {
      const result = await services.webhooks.recover(state.tenant!.id, ctx.params.id, body, actor(state));
      redirect(ctx, deps, `/admin/webhooks/${ctx.params.id}`, { kind: 'ok', message: state.t('{n} messages queued again.', { n: result.queued }) });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      redirect(ctx, deps, `/admin/webhooks/${ctx.params.id}`, { kind: 'error', message: `${err.message}${err.errors.length ? `: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}` : ''}` });
    }
  });

  routes.post('/admin/webhooks/messages/:id/replay', 'manage', async (ctx, state) => {
    const message = await services.webhooks.getMessage(state.tenant!.id, ctx.params.id);
    await services.webhooks.replay(state.tenant!.id, message.id, actor(state));
    redirect(ctx, deps, `/admin/webhooks/${message.endpointId}`, { kind: 'ok', message: state.t('Message {id} replayed.', { id: message.msgId }) });
  });

  routes.post('/admin/webhooks/:id/delete', 'manage', async (ctx, state) => {
    await services.webhooks.deleteEndpoint(state.tenant!.id, ctx.params.id, actor(state));
    redirect(ctx, deps, '/admin/webhooks', { kind: 'ok', message: state.t('Endpoint deleted.') });
  });

  // ---- API keys
  routes.get('/admin/api-keys', async (ctx, state) => {
    const page = await services.apiKeys.list(state.tenant!.id, { limit: 200, cursor: query(ctx, 'cursor') });
    deps.render(ctx, 'api-keys.njk', { page, base: pageBase(ctx) });
  });
  routes.post('/admin/api-keys', 'manage', async (ctx, state) => {
    const created = await services.apiKeys.create(state.tenant!.id, { name: state.form.text('name') ?? 'console' }, actor(state));
    redirect(ctx, deps, '/admin/api-keys', { kind: 'ok', message: state.t('API key {name} created:', { name: created.name }), secret: created.key });
  });
  routes.post('/admin/api-keys/:id/revoke', 'manage', async (ctx, state) => {
    const { key } = await services.apiKeys.revoke(state.tenant!.id, ctx.params.id, actor(state));
    redirect(ctx, deps, '/admin/api-keys', { kind: 'ok', message: state.t('API key {name} revoked.', { name: key.name }) });
  });

  // ---- audit log and sandbox outbox
  routes.get('/admin/audit', async (ctx, state) => {
    const filters = { targetType: query(ctx, 'targetType'), targetId: query(ctx, 'targetId'), action: query(ctx, 'action') };
    const page = await services.views.audit(state.tenant!.id, { limit: 100, cursor: query(ctx, 'cursor'), ...filters });
    deps.render(ctx, 'audit.njk', { page, filters, base: pageBase(ctx) });
  });
  routes.get('/admin/outbox', async (ctx, state) => {
    const filters = { channel: query(ctx, 'channel', CHANNELS), to: query(ctx, 'to') };
    const page = await services.views.outbox(state.tenant!.id, { limit: 50, cursor: query(ctx, 'cursor'), ...filters });
    deps.render(ctx, 'outbox.njk', { page, filters, channels: CHANNELS, base: pageBase(ctx) });
  });

  // ---- preferences at each scope
  routes.get('/admin/preferences', async (ctx, state) => {
    const scope = query(ctx, 'scope', SCOPES) ?? 'tenant';
    const scopeId = scope === 'tenant' ? state.tenant!.id : query(ctx, 'scopeId');
    const current = scopeId ? await services.preferences.get(state.tenant!.id, scope, scopeId) : undefined;
    deps.render(ctx, 'preferences.njk', { scopes: SCOPES, scope, scopeId, current, settingsText: JSON.stringify(current?.settings ?? {}, null, 2) });
  });
  routes.post('/admin/preferences', 'manage', async (ctx, state) => {
    const scope = state.form.text('scope') ?? 'tenant';
    const scopeId = scope === 'tenant' ? state.tenant!.id : (state.form.text('scopeId') ?? '');
    const back = `/admin/preferences?scope=${encodeURIComponent(scope)}${scope === 'tenant' ? '' : `&scopeId=${encodeURIComponent(scopeId)}`}`;
    let settings: unknown;
    try {
      settings = JSON.parse(state.form.get('settings') ?? '');
    } catch (err) {
      return redirect(ctx, deps, back, { kind: 'error', message: state.t('The settings are not valid JSON: {error}', { error: (err as Error).message }) });
    }
    try {
      await services.preferences.put(state.tenant!.id, scope, scopeId, { settings }, actor(state));
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      return redirect(ctx, deps, back, { kind: 'error', message: `${err.message}${err.errors.length ? `: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}` : ''}` });
    }
    redirect(ctx, deps, back, { kind: 'ok', message: state.t('Preferences saved.') });
  });

}
