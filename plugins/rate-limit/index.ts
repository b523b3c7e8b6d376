import type { Channel } from '@clarion/adapter-kit';
import { definePlugin } from '../../core/pipeline/types.ts';

/**
 * Frequency caps per subscriber per channel per window (e.g. at most 3 SMS an hour). A capped
 * channel is dropped from the plan (`suppress`: the notification is suppressed when nothing is
 * left) or the notification waits until every capped channel has room (`defer`). Each message let
 * through counts at the time it goes out; a subscriber's checks are serialised with an advisory lock.
 */
export interface Limit {
  channel: Channel;
  max: number;
  windowSeconds: number;
}

export interface RateLimitOptions {
  limits: Limit[];
  action: 'suppress' | 'defer';
}

const CHANNELS = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook', 'in_app'];

export default definePlugin<RateLimitOptions>({
  name: 'rate-limit',
  after: ['dedup', 'preferences', 'quiet-hours'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limits: {
        type: 'array',
        maxItems: 20,
        items: {
          type: 'object',
          required: ['channel', 'max', 'windowSeconds'],
          additionalProperties: false,
          properties: {
            channel: { enum: CHANNELS },
            max: { type: 'integer', minimum: 1, maximum: 100000 },
            windowSeconds: { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 },
          },
        },
        default: [{ channel: 'sms', max: 3, windowSeconds: 3600 }],
      },
      action: { enum: ['suppress', 'defer'], default: 'suppress' },
    },
  },
  defaults: { limits: [{ channel: 'sms', max: 3, windowSeconds: 3600 }], action: 'suppress' },
  async run(ctx, options) {
    const limits = options.limits.filter((l) => ctx.channels.includes(l.channel));
    if (limits.length === 0) return { decision: 'continue', reason: 'no cap on these channels' };
    await ctx.db.raw('select pg_advisory_xact_lock(hashtext(?))', [`clarion:rate-limit:${ctx.tenantId}:${ctx.subscriber.id}`]);
    const capped = new Map<Channel, { limit: Limit; count: number; freeAt: Date }>();
    const counts: Record<string, string> = {};
    for (const limit of limits) {
      const since = new Date(ctx.now.getTime() - limit.windowSeconds * 1000);
      // Hits inside the window, newest excluded from "when is there room": the oldest ones leave first.
      const hits: Array<{ at: Date }> = await ctx.db('rate_limit_hits')
        .where({ tenant_id: ctx.tenantId, subscriber_id: ctx.subscriber.id, channel: limit.channel })
        .where('at', '>', since)
        .orderBy('at', 'asc')
        .select('at');
      counts[`${limit.channel}/${limit.windowSeconds}s`] = `${hits.length}/${limit.max}`;
      if (hits.length >= limit.max) {
        const freeAt = new Date(new Date(hits[hits.length - limit.max].at).getTime() + limit.windowSeconds * 1000);
        const previous = capped.get(limit.channel);
        if (!previous || previous.freeAt < freeAt) capped.set(limit.channel, { limit, count: hits.length, freeAt });
      }
    }
    const record = async (channels: Channel[], at: Date) => {
      if (channels.length === 0) return;
      await ctx.db('rate_limit_hits').insert(channels.map((channel) => ({ tenant_id: ctx.tenantId, subscriber_id: ctx.subscriber.id, channel, notification_id: ctx.notificationId, at })));
    };
    const limited = new Set(limits.map((l) => l.channel));
    if (capped.size === 0) {
      await record(ctx.channels.filter((c) => limited.has(c)), ctx.now);
      return { decision: 'continue', reason: 'under every cap', details: { counts } };
    }
    const caps = Object.fromEntries([...capped].map(([channel, c]) => [channel, { max: c.limit.max, windowSeconds: c.limit.windowSeconds, sent: c.count, roomAt: c.freeAt.toISOString() }]));
    if (options.action === 'defer') {
      const until = new Date(Math.max(...[...capped.values()].map((c) => c.freeAt.getTime())));
      await record(ctx.channels.filter((c) => limited.has(c)), until);
      return { decision: 'defer', until, reason: 'rate_limited', details: { caps, counts } };
    }
    const left = ctx.channels.filter((c) => !capped.has(c));
    const blocked = [...capped.keys()];
    if (left.length === 0) return { decision: 'suppress', reason: 'rate_limited', details: { caps, counts, blocked } };
    await record(left.filter((c) => limited.has(c)), ctx.now);
    return { decision: 'continue', channels: left, reason: `capped: ${blocked.join(', ')}`, details: { caps, counts, blocked } };
  },
});
