import type { Channel } from '@clarion/adapter-kit';
import { definePlugin, type PreferenceSource } from '../../core/pipeline/types.ts';

/**
 * Preferences: the subscriber's opt-ins and opt-outs (scopes tenant -> team -> project ->
 * subscriber, most specific wins; per workflow, per category, per channel) narrow the channel
 * plan over the workflow's own defaults. Required workflows (critical by default) ignore opt-outs
 * and say so. Channels ruled out are listed in `details.blocked`, so no fallback brings them back.
 */
export interface PreferencesOptions {
  /** The workflow's defaults per channel when no scope says anything (true: on). */
  defaults: Partial<Record<Channel, boolean>>;
}

const CHANNELS = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook', 'in_app'];

export default definePlugin<PreferencesOptions>({
  name: 'preferences',
  after: ['dedup'],
  // Opt-outs and one-click unsubscribes hold for every workflow but the required ones.
  enabledByDefault: true,
  // Nothing to narrow without a preference stored anywhere and without workflow defaults.
  inert: (options, facts) => !facts.tenantHasPreferences && Object.keys(options.defaults ?? {}).length === 0,
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      defaults: { type: 'object', propertyNames: { enum: CHANNELS }, additionalProperties: { type: 'boolean' }, default: {} },
    },
  },
  defaults: { defaults: {} },
  async run(ctx, options) {
    const resolved = ctx.preferences ? await ctx.preferences() : undefined;
    const verdict = (channel: Channel): { enabled: boolean; source: PreferenceSource | 'workflow default' | 'default' } => {
      const said = resolved?.channel(channel, { key: ctx.workflow.key, category: ctx.workflow.category });
      if (said?.enabled !== undefined) return { enabled: said.enabled, source: said.source! };
      if (options.defaults[channel] !== undefined) return { enabled: options.defaults[channel]!, source: 'workflow default' };
      return { enabled: true, source: 'default' };
    };
    const verdicts = Object.fromEntries(ctx.channels.map((c) => [c, verdict(c)]));
    const off = ctx.channels.filter((c) => !verdicts[c].enabled);
    if (ctx.workflow.required) {
      return off.length === 0
        ? { decision: 'continue', reason: 'no opt-out applies', details: { channels: verdicts } }
        : { decision: 'continue', reason: `required workflow: opt-outs of ${off.join(', ')} ignored`, details: { channels: verdicts, ignored: off } };
    }
    // Every channel the subscriber turned off, in the plan or not: a fallback must not bring one back.
    const blocked = (CHANNELS as Channel[]).filter((c) => !(verdicts[c] ?? verdict(c)).enabled);
    if (off.length === 0) return { decision: 'continue', reason: 'no opt-out applies', details: { channels: verdicts, ...(blocked.length ? { blocked } : {}) } };
    const on = ctx.channels.filter((c) => verdicts[c].enabled);
    if (on.length === 0) return { decision: 'suppress', reason: 'opted_out', details: { channels: verdicts, blocked } };
    return { decision: 'continue', channels: on, reason: `opted out of ${off.join(', ')}`, details: { channels: verdicts, blocked } };
  },
});
