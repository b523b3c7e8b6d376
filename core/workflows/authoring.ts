import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError } from '../errors.ts';
import type { PipelineRunner } from '../pipeline/runner.ts';
import type { TemplateService } from '../templates/service.ts';
import type { TemplateWarning } from '../templates/types.ts';
import type { TenantRow } from '../tenants.ts';
import { assertTemplates, plannedChannels } from './channels.ts';
import { checkKey, checkWorkflow, type Workflow, type WorkflowService } from './service.ts';

/**
 * Saving a workflow as `PUT /v1/workflows/:key` (and the console) does it: its plugin options
 * checked (the subscribers' choices may be turned off only by a required workflow), a template for
 * every channel it can send on, then the workflow and its inline templates, published, in one
 * transaction: a template that does not compile leaves the workflow as it was.
 */
export class WorkflowAuthoring {
  readonly #knex: Knex;
  readonly #workflows: WorkflowService;
  readonly #templates: () => TemplateService;
  readonly #pipeline: PipelineRunner;

  constructor(deps: { knex: Knex; workflows: WorkflowService; templates: () => TemplateService; pipeline: PipelineRunner }) {
    this.#knex = deps.knex;
    this.#workflows = deps.workflows;
    this.#templates = deps.templates;
    this.#pipeline = deps.pipeline;
  }

  async save(tenant: TenantRow, key: string, body: unknown, actor: string): Promise<{ workflow: Workflow; created: boolean; warnings: Array<TemplateWarning & { channel: string }> }> {
    const fields = (body && typeof body === 'object' ? body : {}) as { plugins?: unknown; required?: unknown; priority?: unknown };
    const required = fields.required === true || (fields.required === undefined && fields.priority === 'critical');
    const pluginErrors = fields.plugins && typeof fields.plugins === 'object' ? this.#pipeline.check(fields.plugins as Record<string, unknown>, { required }) : [];
    if (pluginErrors.length > 0) throw new ClarionError('CLARION_ERR_WORKFLOW_INVALID', 'Invalid plugin settings', { errors: pluginErrors });
    checkKey(key);
    const definition = checkWorkflow(body);
    const templates = this.#templates();
    const planned = plannedChannels(definition, this.#pipeline.channels(definition.plugins));
    await assertTemplates(key, definition, planned, (workflow) => templates.channelsWithTemplates(tenant.id, workflow));
    const sends = [...new Set(planned.map((p) => p.channel))];
    if (definition.abTest && !sends.includes(definition.abTest.channel)) {
      throw new ClarionError('CLARION_ERR_WORKFLOW_INVALID', 'Invalid A/B test', { errors: [{ pointer: '/abTest/channel', message: `must be a channel the workflow sends on (${sends.join(', ')})` }] });
    }
    return this.#knex.transaction(async (trx) => {
      // The workflow first, so its templates are checked against its contract.
      const { workflow, created } = await this.#workflows.put(tenant.id, key, body, actor, trx);
      const warnings: Array<TemplateWarning & { channel: string }> = [];
      for (const [channel, parts] of Object.entries(definition.templates ?? {})) {
        const locale = tenant.settings.defaultLocale ?? 'en';
        try {
          const saved = await templates.save(tenant.id, { workflow: key, channel: channel as Channel, locale }, { parts, publish: true }, actor, trx);
          warnings.push(...saved.warnings.map((w) => ({ ...w, channel })));
        } catch (err) {
          if (err instanceof ClarionError && err.errors.length > 0) {
            throw new ClarionError(err.code, `templates.${channel}: ${err.message}`, { errors: err.errors.map((e) => ({ ...e, pointer: `/templates/${channel}${e.pointer.replace(/^\/parts/, '')}` })), extensions: err.extensions });
          }
          throw err;
        }
      }
      for (const [i, variant] of (definition.abTest?.variants ?? []).entries()) {
        if (!variant.template) continue;
        const channel = definition.abTest!.channel;
        try {
          const found = await templates.checkParts(tenant.id, { workflow: key, channel, locale: tenant.settings.defaultLocale ?? 'en' }, variant.template, trx);
          warnings.push(...found.map((w) => ({ ...w, channel, variant: variant.key })));
        } catch (err) {
          if (err instanceof ClarionError && err.errors.length > 0) {
            throw new ClarionError(err.code, `abTest.variants[${i}].template: ${err.message}`, { errors: err.errors.map((e) => ({ ...e, pointer: `/abTest/variants/${i}/template${e.pointer.replace(/^\/parts/, '')}` })), extensions: err.extensions });
          }
          throw err;
        }
      }
      return { workflow, created, warnings };
    });
  }

  /**
   * Ends a workflow's A/B test with `winner`: its template (if it has its own) is published as the
   * channel's template in the tenant's default locale, and the workflow goes on without the test,
   * in one transaction. Deliveries sent during the test keep their variant in the analytics.
   */
  async endAbTest(tenant: TenantRow, key: string, winner: string, actor: string): Promise<Workflow> {
    const current = await this.#workflows.get(tenant.id, key);
    if (!current.abTest || current.source !== 'tenant') throw new ClarionError('CLARION_ERR_WORKFLOW_NOT_FOUND', `Workflow ${key} has no A/B test running`);
    const variant = current.abTest.variants.find((v) => v.key === winner);
    if (!variant) throw new ClarionError('CLARION_ERR_WORKFLOW_NOT_FOUND', `The A/B test of workflow ${key} has no variant ${winner} (it has ${current.abTest.variants.map((v) => v.key).join(', ')})`);
    const { key: _key, source: _source, updatedAt: _updatedAt, abTest, ...definition } = current;
    const channel = abTest.channel;
    if (variant.template) definition.templates = { ...definition.templates, [channel]: variant.template };
    return this.#knex.transaction(async (trx) => {
      if (variant.template) {
        await this.#templates().save(tenant.id, { workflow: key, channel, locale: tenant.settings.defaultLocale ?? 'en' }, { parts: variant.template, publish: true }, actor, trx);
      }
      const { workflow } = await this.#workflows.put(tenant.id, key, definition, actor, trx);
      await audit(trx, tenant.id, actor, 'workflow.ab_test_ended', key, { channel, winner, weights: Object.fromEntries(abTest.variants.map((v) => [v.key, v.weight])) });
      return workflow;
    });
  }
}
