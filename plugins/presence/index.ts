import type { Channel } from '@clarion/adapter-kit';
import { definePlugin } from '../../core/pipeline/types.ts';

/**
 * Presence-aware delivery: a subscriber looking at the app (an in-app stream open on any
 * gateway) sees the in-app copy at once; the other channels (email, push, SMS by default) are
 * held and sent only if the in-app copy is still unread after `holdMinutes` (the escalation of
 * the in-app copy), or skipped. Offline subscribers get every channel at once. It needs `in_app`
 * in the workflow's channels: without an in-app copy there is nothing to hold the others for.
 */
export interface PresenceOptions {
  /** hold: send the channels later, only if unread; skip: do not send them at all. */
  action: 'hold' | 'skip';
  /** The channels held or skipped while the subscriber is online. */
  channels: Channel[];
  /** How long a held channel waits for the in-app copy to be read. */
  holdMinutes: number;
}

const HOLDABLE = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook'];

export default definePlugin<PresenceOptions>({
  name: 'presence',
  // Opt-outs, quiet hours, dedup and caps decide first: presence only times what is still to go.
  after: ['dedup', 'preferences', 'quiet-hours', 'rate-limit'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      action: { enum: ['hold', 'skip'], default: 'hold' },
      channels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: HOLDABLE }, default: ['email', 'push', 'sms'] },
      holdMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 5 },
    },
  },
  async run(ctx, options) {
    const plan = ctx.channels;
    const affected = plan.filter((c) => options.channels.includes(c));
    if (!plan.includes('in_app') || affected.length === 0) {
      return { decision: 'continue', reason: !plan.includes('in_app') ? 'no in-app copy in the plan: every channel goes now' : 'none of its channels is in the plan' };
    }
    const presence = ctx.presence ? await ctx.presence() : { online: false, connections: 0, lastSeenAt: null };
    const details = { online: presence.online, connections: presence.connections, lastSeenAt: presence.lastSeenAt?.toISOString() ?? null, channels: affected };
    if (!presence.online) return { decision: 'continue', reason: 'the subscriber is offline: every channel goes now', details };
    const now = plan.filter((c) => !affected.includes(c));
    if (options.action === 'skip') {
      return { decision: 'continue', channels: now, reason: `the subscriber is online: ${affected.join(', ')} skipped, the in-app copy is enough`, details: { ...details, skipped: affected } };
    }
    const at = new Date(ctx.now.getTime() + options.holdMinutes * 60_000);
    return {
      decision: 'schedule',
      reason: `the subscriber is online: ${affected.join(', ')} held ${options.holdMinutes} min, sent only if the in-app copy is still unread`,
      steps: [
        { at: ctx.now, channels: now },
        { at, channels: affected, unless: 'read' },
      ],
      details: { ...details, heldUntil: at.toISOString() },
    };
  },
});
