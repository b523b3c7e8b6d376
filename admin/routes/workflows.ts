import { CHANNELS } from '@clarion/adapter-kit';
import type { Context } from 'koa';
import { ClarionError, isClarionError, type FieldError } from '../../core/errors.ts';
import type { Workflow } from '../../core/workflows/service.ts';
import { redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import { readSchemaForm, schemaFields } from '../forms.ts';

const PRIORITIES = ['low', 'normal', 'high', 'critical'];

/** Workflows: list, edit (channels, fallbacks, plugins with option forms from each plugin's schema), delete. */
export function workflowRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;
  const plugins = () => services.pipeline.describe();

  routes.get('/admin/workflows', async (ctx, state) => {
    deps.render(ctx, 'workflows.njk', { workflows: await services.workflows.list(state.tenant!.id) });
  });

  const show = (ctx: Context, key: string | undefined, workflow: Partial<Workflow> & { templatesText?: string }, errors: FieldError[] = [], error?: string) => {
    const configured = (workflow.plugins ?? {}) as Record<string, unknown>;
    deps.render(ctx, 'workflow.njk', {
      key,
      w: workflow,
      channels: CHANNELS,
      priorities: PRIORITIES,
      plugins: plugins().map((p) => {
        const options = configured[p.name];
        return {
          name: p.name,
          description: p.description,
          mode: options === undefined ? 'default' : options === false ? 'off' : 'on',
          fields: schemaFields(p.optionsSchema, typeof options === 'object' && options ? (options as Record<string, unknown>) : {}, `plugin.${p.name}.`, errors, `/plugins/${p.name}`),
        };
      }),
      abTest: abTestRows(workflow),
      errors,
      error,
    });
  };

  routes.get('/admin/workflows/new', (ctx) => show(ctx, undefined, { recipients: '/data/recipients', priority: 'normal', channels: ['email'] }));

  routes.get('/admin/workflows/:key', async (ctx, state) => {
    const workflow = await services.workflows.get(state.tenant!.id, ctx.params.key);
    show(ctx, workflow.key, workflow);
  });

  /** The workflow definition a form describes, as PUT /v1/workflows/{key} takes it. */
  const readWorkflow = (state: AdminState): { body: Record<string, unknown>; errors: FieldError[] } => {
    const form = state.form;
    const errors: FieldError[] = [];
    const body: Record<string, unknown> = {
      trigger: form.text('trigger') ?? '',
      channels: form.all('channels'),
      priority: form.text('priority') ?? 'normal',
      recipients: form.text('recipients') ?? '/data/recipients',
      retryOriginal: form.get('retryOriginal') === 'true',
      enabled: form.get('enabled') === 'true',
    };
    for (const field of ['name', 'description', 'category'] as const) {
      const value = form.text(field);
      if (value !== undefined) body[field] = value;
    }
    if (form.get('required') === 'true') body.required = true;
    const fallbacks: Record<string, string[]> = {};
    for (const channel of CHANNELS) {
      const list = (form.get(`fallback.${channel}`) ?? '').split(/[\s,]+/).filter(Boolean);
      if (list.length) fallbacks[channel] = list;
    }
    body.fallbacks = fallbacks;
    const configured: Record<string, unknown> = {};
    for (const plugin of plugins()) {
      const mode = form.get(`plugin.${plugin.name}`);
      if (mode === 'off') configured[plugin.name] = false;
      if (mode !== 'on') continue;
      const { value, errors: optionErrors } = readSchemaForm(plugin.optionsSchema, form, `plugin.${plugin.name}.`, `/plugins/${plugin.name}`);
      errors.push(...optionErrors);
      configured[plugin.name] = Object.keys(value).length > 0 ? value : true;
    }
    body.plugins = configured;
    const routing = form.text('routing');
    if (routing) body.routing = routing;
    readAbTest(state, body, errors);
    const templates = form.text('templates');
    if (templates) {
      try {
        body.templates = JSON.parse(templates);
      } catch (err) {
        errors.push({ pointer: '/templates', message: `is not valid JSON: ${(err as Error).message}` });
      }
    }
    return { body, errors };
  };

  routes.post('/admin/workflows', 'author', async (ctx, state) => save(ctx, state, state.form.text('key') ?? ''));
  routes.post('/admin/workflows/:key', 'author', async (ctx, state) => save(ctx, state, ctx.params.key, true));

  const save = async (ctx: Context, state: AdminState, key: string, existing = false) => {
    const { body, errors } = readWorkflow(state);
    try {
      if (errors.length) throw new ClarionError('CLARION_ERR_WORKFLOW_INVALID', 'Invalid workflow', { errors });
      // The form shows some of a workflow's fields: the others (steps, tracking, tags,
      // correlation...) are kept as stored, not dropped by a save from the console.
      if (existing) Object.assign(body, { ...unshown(await services.workflows.get(state.tenant!.id, key)), ...body });
      const { created, warnings } = await services.workflowAuthoring.save(state.tenant!, key, body, `admin:${state.session!.user.id}`);
      const notes = warnings.map((w) => `${w.channel}: ${w.message}`).join(' ');
      redirect(ctx, deps, `/admin/workflows/${encodeURIComponent(key)}`, { kind: 'ok', message: `${created ? state.t('Workflow created.') : state.t('Workflow saved.')}${notes ? ` ${notes}` : ''}` });
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500) throw err;
      show(ctx, existing ? key : undefined, { ...(body as Partial<Workflow>), key, templatesText: state.form.get('templates'), abTestTyped: typedAbTest(state) } as Partial<Workflow>, err.errors, err.message);
      ctx.status = err.status;
    }
  };

  /** Ends the workflow's A/B test: the variant's template is published for its channel (POST /v1/workflows/{key}/variants/{variant}/win). */
  routes.post('/admin/workflows/:key/variants/:variant/win', 'author', async (ctx, state) => {
    await services.workflowAuthoring.endAbTest(state.tenant!, ctx.params.key, ctx.params.variant, `admin:${state.session!.user.id}`);
    redirect(ctx, deps, `/admin/workflows/${encodeURIComponent(ctx.params.key)}`, { kind: 'ok', message: state.t('A/B test ended: {variant} published.', { variant: ctx.params.variant }) });
  });

  routes.post('/admin/workflows/:key/delete', 'author', async (ctx, state) => {
    await services.workflows.remove(state.tenant!.id, ctx.params.key, `admin:${state.session!.user.id}`);
    redirect(ctx, deps, '/admin/workflows', { kind: 'ok', message: state.t('Workflow deleted.') });
  });
}

/** Variant rows the form shows: the test's variants, then empty rows to add some (at most 10). */
const AB_ROWS = 4;

interface AbRow {
  key: string;
  weight: string;
  template: string;
}

/** The fields of the workflow edit form: a save takes these from the form only (an emptied one is cleared). */
const FORM_FIELDS = ['trigger', 'channels', 'priority', 'recipients', 'retryOriginal', 'enabled', 'name', 'description', 'category', 'required', 'fallbacks', 'plugins', 'routing', 'abTest', 'templates'];

/** What a stored workflow has beyond the form's fields and its read-only ones. */
function unshown(workflow: Workflow): Record<string, unknown> {
  const { key: _key, source: _source, updatedAt: _updatedAt, ...definition } = workflow;
  return Object.fromEntries(Object.entries(definition).filter(([name]) => !FORM_FIELDS.includes(name)));
}

function abTestRows(workflow: Partial<Workflow> & { abTestTyped?: { channel: string; rows: AbRow[] } }): { channel: string; rows: AbRow[]; variants: string[] } {
  if (workflow.abTestTyped) return { ...workflow.abTestTyped, variants: [] };
  const test = workflow.abTest;
  const rows: AbRow[] = (test?.variants ?? []).map((v) => ({ key: v.key, weight: String(v.weight), template: v.template ? JSON.stringify(v.template) : '' }));
  while (rows.length < Math.min(10, Math.max(AB_ROWS, rows.length + 1))) rows.push({ key: '', weight: '', template: '' });
  return { channel: test?.channel ?? '', rows, variants: (test?.variants ?? []).map((v) => v.key) };
}

function typedAbTest(state: AdminState): { channel: string; rows: AbRow[] } {
  const rows: AbRow[] = [];
  for (let i = 0; state.form.get(`ab.key.${i}`) !== undefined; i++) {
    rows.push({ key: state.form.get(`ab.key.${i}`) ?? '', weight: state.form.get(`ab.weight.${i}`) ?? '', template: state.form.get(`ab.template.${i}`) ?? '' });
  }
  return { channel: state.form.get('ab.channel') ?? '', rows };
}

/**
 * The A/B test rows as `abTest` (no channel chosen: no test). Rows without a key are left out;
 * a weight must be a whole number and a template JSON (empty: the published template, the
 * control); the workflow's own checks name the rest (`/abTest/...`).
 */
function readAbTest(state: AdminState, body: Record<string, unknown>, errors: FieldError[]): void {
  const { channel, rows } = typedAbTest(state);
  if (!channel) return;
  const variants: Array<Record<string, unknown>> = [];
  for (const [i, row] of rows.entries()) {
    const key = row.key.trim();
    if (!key) continue;
    const variant: Record<string, unknown> = { key };
    const weight = row.weight.trim();
    if (!/^\d+$/.test(weight)) errors.push({ pointer: `/abTest/variants/${variants.length}/weight`, message: `row ${i + 1}: must be a whole number` });
    else variant.weight = Number(weight);
    const template = row.template.trim();
    if (template) {
      try {
        variant.template = JSON.parse(template);
      } catch (err) {
        errors.push({ pointer: `/abTest/variants/${variants.length}/template`, message: `row ${i + 1}: is not valid JSON: ${(err as Error).message}` });
      }
    }
    variants.push(variant);
  }
  body.abTest = { channel, variants };
}
