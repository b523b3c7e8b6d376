import { definePlugin, type NotificationContext } from '../../core/pipeline/types.ts';

/**
 * Deduplication: a repeat of the same key inside the window is suppressed as `duplicate`. The key
 * is a template over the notification (default workflow + recipient + event subject), independent
 * of the CloudEvent-id deduplication at ingest: two distinct events about one subject collapse.
 */
export interface DedupOptions {
  /** Placeholders: {workflow} {subscriber} {subject} {type} {source} {category} and {data.<path>}. */
  key: string;
  windowSeconds: number;
}

const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;

/** The key for this notification, or undefined when a placeholder has no value (nothing to compare). */
export function dedupKey(template: string, ctx: Pick<NotificationContext, 'workflow' | 'subscriber' | 'event'>): { key?: string; missing: string[] } {
  const missing: string[] = [];
  const key = template.replace(PLACEHOLDER, (_, name: string) => {
    let value: unknown;
    if (name === 'workflow') value = ctx.workflow.key;
    else if (name === 'subscriber') value = ctx.subscriber.externalId;
    else if (name === 'subject') value = ctx.event.subject;
    else if (name === 'type') value = ctx.event.type;
    else if (name === 'source') value = ctx.event.source;
    else if (name === 'category') value = ctx.workflow.category;
    else if (name.startsWith('data.')) {
      value = ctx.event.data;
      for (const part of name.slice(5).split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (value === undefined || value === null || value === '' || typeof value === 'object') {
      missing.push(name);
      return '';
    }
    return encodeURIComponent(String(value));
  });
  return missing.length > 0 ? { missing } : { key, missing };
}

export default definePlugin<DedupOptions>({
  name: 'dedup',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      key: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\{[A-Za-z0-9_.-]+\\}', default: '{workflow}:{subscriber}:{subject}' },
      windowSeconds: { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600, default: 3600 },
    },
  },
  defaults: { key: '{workflow}:{subscriber}:{subject}', windowSeconds: 3600 },
  async run(ctx, options) {
    const { key, missing } = dedupKey(options.key, ctx);
    if (!key) return { decision: 'continue', reason: `no value for ${missing.map((m) => `{${m}}`).join(', ')}: nothing to deduplicate on` };
    const expires = new Date(ctx.now.getTime() + options.windowSeconds * 1000);
    // Claims the key unless a live claim exists (the row lock serialises concurrent repeats).
    const { rows } = await ctx.db.raw(
      `insert into dedup_keys (tenant_id, key, notification_id, first_at, expires_at) values (?, ?, ?, ?, ?)
       on conflict (tenant_id, key) do update
         set notification_id = excluded.notification_id, first_at = excluded.first_at, expires_at = excluded.expires_at
         where dedup_keys.expires_at <= excluded.first_at
       returning notification_id`,
      [ctx.tenantId, key, ctx.notificationId, ctx.now, expires],
    );
    if (rows.length > 0) return { decision: 'continue', reason: 'first of its key in the window', details: { key, windowSeconds: options.windowSeconds } };
    const first = await ctx.db('dedup_keys').where({ tenant_id: ctx.tenantId, key }).first('notification_id', 'first_at', 'expires_at');
    return {
      decision: 'suppress',
      reason: 'duplicate',
      details: { key, windowSeconds: options.windowSeconds, duplicateOf: first?.notification_id ?? null, windowEndsAt: first ? new Date(first.expires_at).toISOString() : null },
    };
  },
});
