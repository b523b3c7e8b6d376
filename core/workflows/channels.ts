import type { Channel } from '@clarion/adapter-kit';
import { ClarionError, type FieldError } from '../errors.ts';
import type { PluginChannel } from '../pipeline/types.ts';
import type { WorkflowDefinition } from './service.ts';

/**
 * Every channel a workflow can send on must have a template: a channel without one fails each of
 * its deliveries (a ConfigError), and the workflow's save was where that could still be told. So a
 * workflow is refused when one of its channels, fallback channels or plugin channels (escalation
 * steps, a digest's channels) has no template in any locale: neither inline in the workflow
 * (`templates`), nor a published version of the tenant's, nor a bundled file of that workflow key.
 */

export type PlannedChannel = PluginChannel;

/** The channels of the definition, with their pointers: its channels, its fallbacks, then its plugins'. */
export function plannedChannels(definition: WorkflowDefinition, pluginChannels: PluginChannel[]): PlannedChannel[] {
  const planned: PlannedChannel[] = definition.channels.map((channel, i) => ({ channel, pointer: `/channels/${i}` }));
  for (const [from, fallbacks] of Object.entries(definition.fallbacks ?? {})) {
    (fallbacks ?? []).forEach((channel, i) => planned.push({ channel, pointer: `/fallbacks/${from}/${i}` }));
  }
  return [...planned, ...pluginChannels];
}

export type TemplateLookup = (workflow: string) => Promise<{ channels: Set<Channel>; draftsOnly: Set<Channel> }>;

/** Throws `CLARION_ERR_WORKFLOW_TEMPLATE_MISSING` naming each channel (by pointer) that has no template. */
export async function assertTemplates(key: string, definition: WorkflowDefinition, planned: PlannedChannel[], lookup: TemplateLookup): Promise<void> {
  const inline = new Set(Object.keys(definition.templates ?? {}) as Channel[]);
  const known = new Map<string, Awaited<ReturnType<TemplateLookup>>>();
  const errors: FieldError[] = [];
  const missing = new Set<Channel>();
  for (const { channel, pointer, workflow = key } of planned) {
    if (workflow === key && inline.has(channel)) continue;
    if (!known.has(workflow)) known.set(workflow, await lookup(workflow));
    const found = known.get(workflow)!;
    if (found.channels.has(channel)) continue;
    const drafts = found.draftsOnly.has(channel) ? ' (it has drafts, none published)' : '';
    const fix =
      workflow === key
        ? `add "templates": {"${channel}": {...}} to the workflow, publish one (POST /v1/templates/${key}/${channel}/{locale}/versions with "publish": true), or remove the channel`
        : `publish one (POST /v1/templates/${workflow}/${channel}/{locale}/versions with "publish": true), or remove the channel`;
    errors.push({ pointer, message: `${channel} has no template for workflow ${workflow} in any locale${drafts}: ${fix}` });
    missing.add(channel);
  }
  if (errors.length > 0) {
    throw new ClarionError('CLARION_ERR_WORKFLOW_TEMPLATE_MISSING', `Workflow ${key} sends on ${[...missing].join(', ')} without a template: every delivery there would fail`, { errors });
  }
}
