import { fileURLToPath } from 'node:url';
import type { Channel } from '@clarion/adapter-kit';
import { defineStatefulPlugin } from '../../core/pipeline/host.ts';
import { batch, dailySummaries, digestTemplateData, sendDigest } from './digests.ts';
import { deleteDigestsOf, expireDigests, leaveDigests } from './store.ts';

/**
 * Digests: notifications of the chosen priorities (low by default) for one subscriber within a
 * window (and an optional key) are batched and go out as one delivery rendered with a
 * `digest.daily`-style template listing the items. The plugin keeps one open digest per
 * subscriber and key (its `digests` table, ./migrations/), and one `send_digest` job per digest
 * (jobKey, preserve_run_at), so the window starts at the first item. A subscriber may opt out of
 * digests (`digest.enabled: false`); one may ask for a daily summary (`digest.daily`), sent by the
 * hourly `send_daily_summaries` task. It reaches the engine only through the plugin host
 * (core/pipeline/host.ts): ./digests.ts is its logic, ./store.ts its rows.
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

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

export default defineStatefulPlugin<DigestOptions>({
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
  migrations: fileURLToPath(new URL('./migrations/', import.meta.url)),
  tasks: {
    /** A digest window closed (job key `digest:<id>`, preserve_run_at): its items go out as one delivery. */
    send_digest: {
      payload: { type: 'object', required: ['digestId', 'tenantId'], properties: { digestId: UUID, tenantId: UUID } },
      run: (host, payload: { digestId: string; tenantId: string }) => sendDigest(host, payload.digestId, payload.tenantId),
    },
    /** Hourly (UTC, on the hour; local hours are matched per subscriber): the daily summaries due now. */
    send_daily_summaries: {
      payload: { type: 'object' },
      crontab: '0 * * * * ?max=1',
      run: (host) => dailySummaries(host),
    },
  },
  async decided(host, db, input) {
    if (input.decision.decision !== 'batch') return;
    await batch(host, db, { tenantId: input.tenantId, notificationId: input.notificationId, subscriberId: input.subscriberId, key: input.decision.key, until: input.decision.until, details: input.decision.details ?? {} });
  },
  templateData: (host, input) => digestTemplateData(host, input),
  async erase(db, input) {
    return { digests: await deleteDigestsOf(db, input.tenantId, input.subscriberId) };
  },
  async cancel(db, input) {
    return { batched: await leaveDigests(db, input.tenantId, input.notificationIds) };
  },
  async expire(db, input) {
    return { digests: await expireDigests(db, input) };
  },
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      send_digest: { digestId: string; tenantId: string };
      send_daily_summaries: Record<string, never>;
    }
  }
}
