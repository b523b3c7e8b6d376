import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
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
      return { workflow, created, warnings };
    });
  }
}
