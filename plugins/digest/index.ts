import type { Channel } from '@clarion/adapter-kit';
import { definePlugin } from '../../core/pipeline/types.ts';

/**
 * Digests: notifications of the chosen priorities (low by default) for one subscriber within a
 * window (and an optional key) are batched and go out as one delivery rendered with a
 * `digest.daily`-style template listing the items. The engine keeps one open digest per
 * subscriber and key, and one `send_digest` job per digest (jobKey, preserve_run_at), so the window
 * starts at the first item. A subscriber may opt out of digests (`digest.enabled: false`).
 */
export interface DigestOptions {
  windowSeconds: number;
  /** Groups items into separate digests; placeholders {workflow} {category} {subject} {type} {data.<path>}. */
  key: string;
  priorities: Array<'low' | 'normal' | 'high'>;
  /** The workflow whose templates render the digest (they receive `items`). */
  template: string;
  channels: Channel[];
}

const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;
const CHANNELS = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook', 'in_app'];

export default definePlugin<DigestOptions>({
  name: 'digest',
  after: ['dedup', 'preferences', 'quiet-hours', 'rate-limit'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      windowSeconds: { type: 'integer', minimum: 60, maximum: 7 * 24 * 3600, default: 3600 },
      key: { type: 'string', minLength: 1, maxLength: 300, default: '{workflow}' },
      priorities: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['low', 'normal', 'high'] }, default: ['low'] },
      template: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', default: 'digest.daily' },
      channels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: CHANNELS }, default: ['email'] },
    },
  },
  defaults: { windowSeconds: 3600, key: '{workflow}', priorities: ['low'], template: 'digest.daily', channels: ['email'] },
  // The digest goes out rendered with the templates of its own workflow.
  channels(options) {
    return options.channels.map((channel, i) => ({ channel, pointer: `/channels/${i}`, workflow: options.template }));
  },
  async run(ctx, options) {
    if (!(options.priorities as string[]).includes(ctx.workflow.priority)) return { decision: 'continue', reason: `${ctx.workflow.priority} priority: not digested` };
    const choice = ctx.preferences ? (await ctx.preferences()).digest() : undefined;
    if (choice?.value.enabled === false) return { decision: 'continue', reason: 'the subscriber opted out of digests', details: { source: choice.source } };
    const key = options.key.replace(PLACEHOLDER, (_, name: string) => {
      let value: unknown;
      if (name === 'workflow') value = ctx.workflow.key;
      else if (name === 'category') value = ctx.workflow.category;
      else if (name === 'subject') value = ctx.event.subject;
      else if (name === 'type') value = ctx.event.type;
      else if (name.startsWith('data.')) {
        value = ctx.event.data;
        for (const part of name.slice(5).split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
      }
      return value === undefined || value === null || typeof value === 'object' ? '-' : String(value);
    });
    const channels = ctx.channels.length > 0 ? options.channels : [];
    if (channels.length === 0) return { decision: 'continue', reason: 'no channel left to digest into' };
    const until = new Date(ctx.now.getTime() + options.windowSeconds * 1000);
    return { decision: 'batch', key, until, reason: 'digested', details: { key, windowSeconds: options.windowSeconds, template: options.template, channels } };
  },
});
