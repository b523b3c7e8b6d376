import { CHANNELS, type Channel } from '@clarion/adapter-kit';
import { diffLines } from 'diff';
import type { Context } from 'koa';
import { ClarionError, isClarionError, type FieldError } from '../../core/errors.ts';
import { CHANNEL_PARTS } from '../../core/templates/parts.ts';
import { parseVersion, templateKey, type PreviewResult } from '../../core/templates/service.ts';
import type { TemplateKey } from '../../core/templates/store.ts';
import { redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import type { Form } from '../http.ts';

/** The preview shows every template in both console languages, side by side. */
const PREVIEW_LOCALES = ['en', 'fr'];
/** The sandbox of a rendered email: no scripts, no forms, no requests but images; inline styles as emails use them. */
const FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; font-src data: https:; frame-ancestors 'self'; sandbox";

/**
 * Templates: the list, the editor with live preview (en and fr side by side, SMS segments and
 * encoding, push size, the email in a sandboxed frame), versions with their differences,
 * publishing, rolling back, and a test sent to an address.
 */
export function templateRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;
  const keyOf = (ctx: Context): TemplateKey => templateKey(ctx.params);
  const path = (key: TemplateKey) => `/admin/templates/${encodeURIComponent(key.workflow)}/${key.channel}/${encodeURIComponent(key.locale)}`;
  const partsOf = (form: Form, channel: Channel) => {
    const parts: Record<string, string> = {};
    for (const name of Object.keys(CHANNEL_PARTS[channel])) {
      const value = form.get(`part.${name}`);
      if (value !== undefined && value.trim() !== '') parts[name] = value.replace(/\r\n/g, '\n');
    }
    return parts;
  };
  const sampleData = (form: Form): { data?: unknown; error?: FieldError } => {
    const text = form.text('data');
    if (!text) return {};
    try {
      return { data: JSON.parse(text) };
    } catch (err) {
      return { error: { pointer: '/data', message: `is not valid JSON: ${(err as Error).message}` } };
    }
  };

  /** The parts rendered in each preview language, or why they cannot be. */
  const previews = async (state: AdminState, key: TemplateKey, parts: Record<string, string>, data: unknown) =>
    Promise.all(
      PREVIEW_LOCALES.map(async (locale) => {
        try {
          const result: PreviewResult = await services.templates.preview(state.tenant!, { workflow: key.workflow, channel: key.channel, locale, template: parts, ...(data === undefined ? {} : { data }) });
          return { locale, result };
        } catch (err) {
          if (!isClarionError(err) || err.status >= 500) throw err;
          return { locale, error: err.message, errors: err.errors };
        }
      }),
    );

  routes.get('/admin/templates', async (ctx, state) => {
    const workflow = typeof ctx.query.workflow === 'string' && ctx.query.workflow ? ctx.query.workflow : undefined;
    const [templates, workflows] = await Promise.all([services.templates.list(state.tenant!.id, { workflow }), services.workflows.list(state.tenant!.id)]);
    deps.render(ctx, 'templates.njk', { templates, workflows, workflow, channels: CHANNELS });
  });

  routes.get('/admin/templates/open', (ctx) => {
    const key = templateKey({ workflow: String(ctx.query.workflow ?? ''), channel: String(ctx.query.channel ?? ''), locale: String(ctx.query.locale ?? '') });
    redirect(ctx, deps, path(key));
  });

  const showEditor = async (ctx: Context, state: AdminState, key: TemplateKey, edited?: { parts: Record<string, string>; dataText?: string; error?: string; errors?: FieldError[] }) => {
    const tenantId = state.tenant!.id;
    const version = typeof ctx.query.version === 'string' ? parseVersion(ctx.query.version, '/query/version') : undefined;
    let current: Awaited<ReturnType<typeof services.templates.get>> | undefined;
    try {
      current = await services.templates.get(tenantId, key, version);
    } catch (err) {
      if (!isClarionError(err) || err.code !== 'CLARION_ERR_TEMPLATE_NOT_FOUND' || version !== undefined) throw err;
    }
    const versions = await services.templates.versions(tenantId, key, { limit: 50 });
    const parts = edited?.parts ?? current?.parts ?? {};
    const dataText = edited?.dataText ?? '';
    let data: unknown;
    let dataError: string | undefined;
    try {
      data = dataText ? JSON.parse(dataText) : undefined;
    } catch (err) {
      dataError = (err as Error).message;
    }
    deps.render(ctx, 'template.njk', {
      key,
      path: path(key),
      current,
      parts,
      spec: Object.entries(CHANNEL_PARTS[key.channel]).map(([name, part]) => ({ name, ...part })),
      versions: versions.items,
      previews: await previews(state, key, parts, data),
      dataText,
      dataError,
      error: edited?.error,
      errors: edited?.errors ?? [],
    });
  };

  routes.get('/admin/templates/:workflow/:channel/:locale', async (ctx, state) => showEditor(ctx, state, keyOf(ctx)));

  routes.post('/admin/templates/:workflow/:channel/:locale', 'author', async (ctx, state) => {
    const key = keyOf(ctx);
    const parts = partsOf(state.form, key.channel);
    const dataText = state.form.text('data');
    const action = state.form.get('action');
    if (action === 'preview') return showEditor(ctx, state, key, { parts, dataText });
    try {
      const { version, warnings } = await services.templates.save(state.tenant!.id, key, { parts, publish: action === 'publish' }, `admin:${state.session!.user.id}`);
      const message = version.status === 'published' ? state.t('Version {v} saved and published.', { v: version.version }) : state.t('Version {v} saved as a draft.', { v: version.version });
      redirect(ctx, deps, path(key), { kind: 'ok', message: [message, ...warnings.map((w) => w.message)].join(' ') });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      await showEditor(ctx, state, key, { parts, dataText, error: err.message, errors: err.errors });
      ctx.status = err.status;
    }
  });

  /** JSON for the live preview of the editor (changes nothing). */
  routes.post('/admin/templates/:workflow/:channel/:locale/preview', 'read', async (ctx, state) => {
    const key = keyOf(ctx);
    const { data, error } = sampleData(state.form);
    if (error) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid sample data', { errors: [error] });
    ctx.body = { previews: await previews(state, key, partsOf(state.form, key.channel), data) };
  });

  /** The rendered email of the editor's parts (or of the stored template), in its own sandboxed document. */
  const frame = async (ctx: Context, state: AdminState, key: TemplateKey, parts: Record<string, string> | undefined, data: unknown) => {
    const locale = PREVIEW_LOCALES.includes(String(ctx.query.render)) ? String(ctx.query.render) : 'en';
    let html: string;
    try {
      const result = await services.templates.preview(state.tenant!, { workflow: key.workflow, channel: key.channel, locale, ...(parts ? { template: parts } : {}), ...(data === undefined ? {} : { data }) });
      html = result.parts.html ?? `<pre>${escapeHtml(result.parts.text ?? '')}</pre>`;
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      html = `<p>${escapeHtml(err.message)}</p>`;
    }
    ctx.set('Content-Security-Policy', FRAME_CSP);
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  };
  routes.post('/admin/templates/:workflow/:channel/:locale/frame', 'read', async (ctx, state) => {
    const key = keyOf(ctx);
    await frame(ctx, state, key, partsOf(state.form, key.channel), sampleData(state.form).data);
  });
  routes.get('/admin/templates/:workflow/:channel/:locale/frame', async (ctx, state) => {
    const key = keyOf(ctx);
    const version = typeof ctx.query.version === 'string' ? parseVersion(ctx.query.version, '/query/version') : undefined;
    // A stored version renders in either language: its parts are given inline.
    const stored = await services.templates.get(state.tenant!.id, key, version).catch((err) => {
      if (isClarionError(err) && err.code === 'CLARION_ERR_TEMPLATE_NOT_FOUND') return undefined;
      throw err;
    });
    await frame(ctx, state, key, stored?.parts ?? {}, undefined);
  });

  routes.get('/admin/templates/:workflow/:channel/:locale/diff', async (ctx, state) => {
    const key = keyOf(ctx);
    const from = parseVersion(String(ctx.query.from ?? ''), '/query/from');
    const to = parseVersion(String(ctx.query.to ?? ''), '/query/to');
    const [a, b] = await Promise.all([services.templates.get(state.tenant!.id, key, from), services.templates.get(state.tenant!.id, key, to)]);
    const names = [...new Set([...Object.keys(a.parts), ...Object.keys(b.parts)])];
    const parts = names.map((name) => ({ name, changes: diffLines(a.parts[name] ?? '', b.parts[name] ?? '') }));
    deps.render(ctx, 'template-diff.njk', { key, path: path(key), from, to, parts });
  });

  routes.post('/admin/templates/:workflow/:channel/:locale/versions/:version/publish', 'author', async (ctx, state) => {
    const key = keyOf(ctx);
    const version = await services.templates.publish(state.tenant!.id, key, parseVersion(ctx.params.version, '/path/version'), `admin:${state.session!.user.id}`);
    redirect(ctx, deps, path(key), { kind: 'ok', message: state.t('Version {v} published.', { v: version.version }) });
  });

  routes.post('/admin/templates/:workflow/:channel/:locale/versions/:version/rollback', 'author', async (ctx, state) => {
    const key = keyOf(ctx);
    const from = parseVersion(ctx.params.version, '/path/version');
    const version = await services.templates.rollback(state.tenant!.id, key, from, `admin:${state.session!.user.id}`);
    redirect(ctx, deps, path(key), { kind: 'ok', message: state.t('Rolled back: version {v} (a copy of version {from}) is published.', { v: version.version, from }) });
  });

  routes.post('/admin/templates/:workflow/:channel/:locale/test', 'author', async (ctx, state) => {
    const key = keyOf(ctx);
    const to = state.form.text('to');
    if (!to) return redirect(ctx, deps, path(key), { kind: 'error', message: state.t('Say where to send the test message.') });
    const { data } = sampleData(state.form);
    const parts = partsOf(state.form, key.channel);
    const locale = PREVIEW_LOCALES.includes(state.form.get('locale') ?? '') ? state.form.get('locale')! : key.locale;
    const preview = await services.templates.preview(state.tenant!, { workflow: key.workflow, channel: key.channel, locale, ...(Object.keys(parts).length ? { template: parts } : {}), ...(data === undefined ? {} : { data }) });
    const recipient = to.includes('@') ? { id: 'test', email: to, locale } : { id: 'test', phone: to, locale };
    try {
      await services.delivery.sendDirect(state.tenant!.id, key.channel, recipient, preview.parts, `admin:${state.session!.user.id}`, 'template.test_sent');
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      return redirect(ctx, deps, path(key), { kind: 'error', message: err.message });
    }
    redirect(ctx, deps, path(key), { kind: 'ok', message: state.t('Test sent to {to}.', { to }) });
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
