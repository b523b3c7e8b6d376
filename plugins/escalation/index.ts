import type { Channel } from '@clarion/adapter-kit';
import { definePlugin } from '../../core/pipeline/types.ts';

/**
 * Escalation chains: steps, each after a delay (from the notification), on its channels and
 * optionally to other recipients (an on-call list, `team:<id>` admins) instead of the subscriber.
 * A later step fires only while the notification is unacknowledged (API, signed link, SMS reply
 * ACK, voice keypress); the state of each step is kept on the notification (`escalation`).
 */
export interface Step {
  delaySeconds: number;
  channels: Channel[];
  recipients?: string[];
  /** `read`: this step is skipped if the notification was read by its time (not only when acknowledged). */
  unless?: 'read';
}

export interface EscalationOptions {
  steps: Step[];
}

const CHANNELS = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook', 'in_app'];

export default definePlugin<EscalationOptions>({
  name: 'escalation',
  after: ['dedup', 'preferences', 'quiet-hours', 'rate-limit'],
  optionsSchema: {
    type: 'object',
    required: ['steps'],
    additionalProperties: false,
    properties: {
      steps: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: {
          type: 'object',
          required: ['delaySeconds', 'channels'],
          additionalProperties: false,
          properties: {
            delaySeconds: { type: 'integer', minimum: 0, maximum: 7 * 24 * 3600 },
            channels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: CHANNELS } },
            recipients: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 255 } },
            unless: { enum: ['read'] },
          },
        },
      },
    },
  },
  channels(options) {
    return options.steps.flatMap((step, i) => step.channels.map((channel, j) => ({ channel, pointer: `/steps/${i}/channels/${j}` })));
  },
  async run(ctx, options) {
    const steps = [...options.steps].sort((a, b) => a.delaySeconds - b.delaySeconds);
    return {
      decision: 'schedule',
      reason: `escalation in ${steps.length} step(s) until acknowledged`,
      steps: steps.map((step) => ({ at: new Date(ctx.now.getTime() + step.delaySeconds * 1000), channels: step.channels, ...(step.recipients ? { recipients: step.recipients } : {}), ...(step.unless ? { unless: step.unless } : {}) })),
      details: { steps: steps.map((s, i) => ({ step: i + 1, delaySeconds: s.delaySeconds, channels: s.channels, recipients: s.recipients ?? null })) },
    };
  },
});
