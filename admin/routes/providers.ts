import type { Context } from 'koa';
import { ClarionError, isClarionError, type FieldError } from '../../core/errors.ts';
import { redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import { readSchemaForm, schemaFields } from '../forms.ts';

/**
 * Providers: forms generated from each adapter's configSchema (secrets write-only), test sends,
 * enable/disable, the order of a channel's providers (buttons, or drag and drop), circuit state
 * and last error.
 */
export function providerRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;
  const adapterOf = (name: string | undefined) => services.adapters.list().find((a) => a.name === name);

  routes.get('/admin/providers', async (ctx, state) => {
    const providers = await services.providers.list(state.tenant!.id);
    const channels = new Map<string, typeof providers>();
    for (const p of [...providers].sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt))) {
      channels.set(p.channel, [...(channels.get(p.channel) ?? []), p]);
    }
    // Each row's "move up": the channel's order with it swapped with the one before.
    const withMoves = [...channels.entries()].map(([channel, list]) => [channel, list.map((p, i) => {
      const ids = list.map((q) => q.id);
      if (i > 0) [ids[i - 1], ids[i]] = [ids[i], ids[i - 1]];
      return { ...p, upOrder: ids };
    })]);
    deps.render(ctx, 'providers.njk', { channels: withMoves, adapters: services.adapters.list().filter((a) => !a.implicit) });
  });

  const showForm = (ctx: Context, state: AdminState, input: { adapter: string; provider?: Awaited<ReturnType<typeof services.providers.get>>; values?: Record<string, unknown>; meta?: Record<string, unknown>; errors?: FieldError[]; error?: string }) => {
    const adapter = adapterOf(input.adapter);
    if (!adapter) throw new ClarionError('CLARION_ERR_PROVIDER_UNKNOWN_ADAPTER', `No adapter ${input.adapter}`);
    const errors = input.errors ?? [];
    deps.render(ctx, 'provider.njk', {
      adapter,
      provider: input.provider,
      meta: input.meta ?? (input.provider ? { name: input.provider.name ?? '', priority: input.provider.priority, maxPerSecond: input.provider.maxPerSecond ?? '', channel: input.provider.channel, ...priceFields(input.provider.price) } : { priority: 0, channel: adapter.channel, priceUnit: 'perMessage' }),
      fields: schemaFields(adapter.configSchema, input.values ?? input.provider?.config ?? {}, 'config.', errors, '/config'),
      errors: errors.filter((e) => !e.pointer.startsWith('/config/')),
      error: input.error,
    });
  };

  routes.get('/admin/providers/new', (ctx, state) => {
    const adapter = typeof ctx.query.adapter === 'string' ? ctx.query.adapter : undefined;
    if (!adapter) return redirect(ctx, deps, '/admin/providers');
    showForm(ctx, state, { adapter });
  });

  /** The non-config fields of the form, read for the service. */
  const readMeta = (state: AdminState) => {
    const meta: Record<string, unknown> = { name: state.form.text('name') ?? null, channel: state.form.text('channel') };
    const errors: FieldError[] = [];
    for (const [field, fallback] of [['priority', 0], ['maxPerSecond', null]] as const) {
      const raw = state.form.text(field);
      if (raw === undefined) meta[field] = fallback;
      else if (!/^\d+$/.test(raw)) errors.push({ pointer: `/${field}`, message: 'must be a whole number' });
      else meta[field] = Number(raw);
    }
    meta.price = readPrice(state, errors);
    return { meta, errors };
  };
  /** What was typed, shown again with the errors. */
  const typed = (state: AdminState) => ({
    priority: state.form.get('priority'), maxPerSecond: state.form.get('maxPerSecond'),
    priceCurrency: state.form.get('priceCurrency') ?? '', priceUnit: state.form.get('priceUnit') ?? 'perMessage', priceAmount: state.form.get('priceAmount') ?? '', priceByPrefix: state.form.get('priceByPrefix') ?? '',
  });

  routes.post('/admin/providers', 'manage', async (ctx, state) => {
    const adapterName = state.form.text('adapter') ?? '';
    const adapter = adapterOf(adapterName);
    if (!adapter) throw new ClarionError('CLARION_ERR_PROVIDER_UNKNOWN_ADAPTER', `No adapter ${adapterName}`);
    const { value: config, errors: configErrors } = readSchemaForm(adapter.configSchema, state.form, 'config.', '/config');
    const { meta, errors } = readMeta(state);
    const values = { ...config };
    try {
      if (errors.length + configErrors.length > 0) throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', 'Invalid provider', { errors: [...errors, ...configErrors] });
      const provider = await services.providers.create(state.tenant!.id, { adapter: adapterName, ...meta, name: meta.name ?? undefined, config }, `admin:${state.session!.user.id}`);
      redirect(ctx, deps, `/admin/providers/${provider.id}`, { kind: 'ok', message: state.t('Provider created.') });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      ctx.status = err.status;
      showForm(ctx, state, { adapter: adapterName, values, meta: { ...meta, ...typed(state) }, errors: err.errors, error: err.message });
      ctx.status = err.status;
    }
  });

  /** A channel's providers in the order given (ids): priorities 0, 10, 20... */
  routes.post('/admin/providers/order', 'manage', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const ids = state.form.all('id');
    const providers = await services.providers.list(tenantId);
    const chosen = ids.map((id) => providers.find((p) => p.id === id));
    if (chosen.some((p) => !p) || new Set(chosen.map((p) => p!.channel)).size !== 1 || new Set(ids).size !== ids.length) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Give the providers of one channel, each once', { errors: [{ pointer: '/id', message: 'must list providers of one channel' }] });
    }
    for (const [index, provider] of chosen.entries()) {
      if (provider!.priority !== index * 10) await services.providers.update(tenantId, provider!.id, { priority: index * 10 }, `admin:${state.session!.user.id}`);
    }
    redirect(ctx, deps, '/admin/providers', { kind: 'ok', message: state.t('Order saved.') });
  });

  routes.get('/admin/providers/:id', async (ctx, state) => {
    const provider = await services.providers.get(state.tenant!.id, ctx.params.id);
    showForm(ctx, state, { adapter: provider.adapter, provider });
  });

  routes.post('/admin/providers/:id', 'manage', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const provider = await services.providers.get(tenantId, ctx.params.id);
    const adapter = adapterOf(provider.adapter)!;
    const { value: config, errors: configErrors } = readSchemaForm(adapter.configSchema, state.form, 'config.', '/config');
    const { meta, errors } = readMeta(state);
    // Fields emptied in the form are removed from the configuration; empty secrets are kept.
    for (const field of schemaFields(adapter.configSchema, {}, '')) if (!(field.property in config) && field.kind !== 'password' && field.kind !== 'checkbox') config[field.property] = null;
    try {
      if (errors.length + configErrors.length > 0) throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', 'Invalid provider change', { errors: [...errors, ...configErrors] });
      await services.providers.update(tenantId, provider.id, { name: meta.name, priority: meta.priority, maxPerSecond: meta.maxPerSecond, price: meta.price, config }, `admin:${state.session!.user.id}`);
      redirect(ctx, deps, `/admin/providers/${provider.id}`, { kind: 'ok', message: state.t('Provider saved.') });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      showForm(ctx, state, { adapter: provider.adapter, provider, values: { ...provider.config, ...config }, meta: { name: state.form.get('name') ?? '', channel: provider.channel, ...typed(state) }, errors: err.errors, error: err.message });
      ctx.status = err.status;
    }
  });

  routes.post('/admin/providers/:id/enabled', 'manage', async (ctx, state) => {
    const enabled = state.form.get('enabled') === 'true';
    await services.providers.update(state.tenant!.id, ctx.params.id, { enabled }, `admin:${state.session!.user.id}`);
    redirect(ctx, deps, '/admin/providers', { kind: 'ok', message: enabled ? state.t('Provider enabled.') : state.t('Provider disabled.') });
  });

  routes.post('/admin/providers/:id/test', 'manage', async (ctx, state) => {
    const to = state.form.text('to');
    if (!to) return redirect(ctx, deps, `/admin/providers/${ctx.params.id}`, { kind: 'error', message: state.t('Say where to send the test message.') });
    const recipient = to.includes('@') ? { id: 'test', email: to } : { id: 'test', phone: to };
    try {
      const result = await services.delivery.testProvider(state.tenant!.id, ctx.params.id, recipient, `admin:${state.session!.user.id}`);
      redirect(ctx, deps, `/admin/providers/${ctx.params.id}`, { kind: 'ok', message: state.t('Test message sent ({status}, provider message id {id}).', { status: result.status, id: result.providerMessageId ?? '–' }) });
    } catch (err) {
      if (!isClarionError(err) || err.code !== 'CLARION_ERR_PROVIDER_TEST_FAILED') throw err;
      redirect(ctx, deps, `/admin/providers/${ctx.params.id}`, { kind: 'error', message: `${err.message} (${err.extensions.errorClass}${err.extensions.errorCode ? ` ${err.extensions.errorCode}` : ''})` });
    }
  });

  routes.post('/admin/providers/:id/delete', 'manage', async (ctx, state) => {
    await services.providers.remove(state.tenant!.id, ctx.params.id, `admin:${state.session!.user.id}`);
    redirect(ctx, deps, '/admin/providers', { kind: 'ok', message: state.t('Provider deleted.') });
  });
}

type Price = { currency: string; perMessage?: number; perSegment?: number; perMinute?: number; byPrefix?: Record<string, number> };
const UNITS = ['perMessage', 'perSegment', 'perMinute'] as const;

/** A stored price as the form's fields. */
function priceFields(price: Price | null | undefined) {
  if (!price) return { priceCurrency: '', priceUnit: 'perMessage', priceAmount: '', priceByPrefix: '' };
  return {
    priceCurrency: price.currency,
    priceUnit: UNITS.find((u) => price[u] !== undefined) ?? 'perMessage',
    priceAmount: String(price.perSegment ?? price.perMinute ?? price.perMessage ?? ''),
    priceByPrefix: Object.entries(price.byPrefix ?? {}).map(([prefix, amount]) => `${prefix}=${amount}`).join('\n'),
  };
}

/**
 * The price fields as the API takes them: all empty is no price (null); the API's own checks
 * (currency, amounts, prefixes) then name what is wrong. Here only what a form cannot carry as
 * JSON: numbers, and `prefix=amount` lines.
 */
function readPrice(state: AdminState, errors: FieldError[]): Price | null {
  const currency = state.form.text('priceCurrency');
  const amount = state.form.text('priceAmount');
  const lines = (state.form.text('priceByPrefix') ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (!currency && !amount && lines.length === 0) return null;
  const unit = UNITS.find((u) => u === state.form.text('priceUnit')) ?? 'perMessage';
  const price: Price = { currency: currency ?? '' };
  if (amount === undefined || !Number.isFinite(Number(amount))) errors.push({ pointer: `/price/${unit}`, message: 'must be a number' });
  else price[unit] = Number(amount);
  if (lines.length > 0) {
    price.byPrefix = {};
    for (const [i, line] of lines.entries()) {
      const m = /^\+?([^=\s]+)\s*=\s*(\S+)$/.exec(line);
      if (!m || !Number.isFinite(Number(m[2]))) errors.push({ pointer: '/price/byPrefix', message: `line ${i + 1}: must be prefix=amount, e.g. 44=0.04` });
      else price.byPrefix[m[1]] = Number(m[2]);
    }
  }
  return price;
}
