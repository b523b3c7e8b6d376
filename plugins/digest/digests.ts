import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { HostNotification, HostSubscriber, HostTenant, PluginHost } from '../../core/pipeline/host.ts';
import { closeDigest, createSummaryDigest, digestExists, digestItemIds, digestOfNotification, joinDigest, lockDigest } from './store.ts';
import { digestWindow } from './window.ts';

/**
 * Digests: a `batch` decision puts a notification into its subscriber's open digest for a key;
 * when the window closes (`send_digest`, one job per digest, keeping the first item's time), the
 * items become one notification rendered with the digest's template. The daily summary (an hourly
 * crontab) makes one for each subscriber whose preferences ask for it, at their local hour.
 */

/** A `batch` decision: the notification joins its subscriber's open digest for the key. */
export async function batch(host: PluginHost, trx: Knex, input: { tenantId: string; notificationId: string; subscriberId: string; key: string; until: Date; details: Record<string, unknown> }): Promise<void> {
  const template = typeof input.details.template === 'string' ? input.details.template : 'digest.daily';
  const channels = (Array.isArray(input.details.channels) && input.details.channels.length > 0 ? input.details.channels : ['email']) as Channel[];
  const digest = await joinDigest(trx, { tenantId: input.tenantId, subscriberId: input.subscriberId, notificationId: input.notificationId, key: input.key, template, channels, until: input.until });
  // One job per open digest: later items keep the first item's time (preserve_run_at).
  await host.enqueue(trx, 'send_digest', { digestId: digest.id, tenantId: input.tenantId }, { runAt: new Date(digest.send_at), jobKey: `digest:${digest.id}`, jobKeyMode: 'preserve_run_at' });
}

/** `send_digest`: the window closed; its items become one notification, rendered with the digest template. */
export async function sendDigest(host: PluginHost, digestId: string, tenantId: string): Promise<{ items: number }> {
  return host.db.transaction(async (trx) => {
    const digest = await lockDigest(trx, tenantId, digestId);
    if (!digest || digest.status !== 'open') return { items: 0 };
    const items = await host.notifications.list(trx, tenantId, await digestItemIds(trx, digest));
    const now = host.now();
    if (items.length === 0) {
      await closeDigest(trx, digestId, { status: 'empty', sent_at: now });
      return { items: 0 };
    }
    const ids = items.map((i) => i.id);
    const last = items.reduce((a, b) => (b.createdAt.getTime() >= a.createdAt.getTime() ? b : a));
    const notificationId = await host.notifications.create(trx, {
      tenantId, eventId: last.eventId, subscriberId: digest.subscriber_id, workflowKey: digest.template, priority: 'low', channels: digest.channels,
      decisions: [{ plugin: 'digest', decision: 'continue', at: now.toISOString(), reason: `digest of ${ids.length} notification(s)`, details: { digestId, key: digest.key, items: ids } }],
    });
    await closeDigest(trx, digestId, { status: 'sent', notification_id: notificationId, sent_at: now });
    host.log.info({ digestId, tenantId, items: ids.length, notificationId }, 'digest sent');
    return { items: ids.length };
  });
}

/**
 * What a digest's template gets besides the usual context: `data.date`, `data.items` (each item's
 * own in-app title, else its email subject, else its event type) and `data.window`. Undefined for
 * a notification that is not a digest.
 */
export async function digestTemplateData(host: PluginHost, input: { notification: HostNotification; subscriber: HostSubscriber; tenant: HostTenant }): Promise<Record<string, unknown> | undefined> {
  const { notification, subscriber, tenant } = input;
  if (!notification.decisions[0]?.details?.digestId) return undefined;
  const db = host.db;
  const digest = await digestOfNotification(db, notification.tenantId, notification.id);
  if (!digest) return undefined;
  const rows = await host.notifications.list(db, digest.tenant_id, await digestItemIds(db, digest));
  const items = [];
  for (const row of rows) {
    const event = (await host.events.get(db, row.eventId))!;
    const context = {
      event: { id: event.ceId, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined },
      data: event.data ?? {},
      subscriber: { id: subscriber.externalId, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, data: subscriber.data },
      tenant: { name: tenant.name, brand: tenant.settings?.brand ?? {} },
      notification: { id: row.id, priority: row.priority },
    };
    let title: string | undefined;
    let summary: string | undefined;
    let url: string | undefined;
    for (const channel of ['in_app', 'email'] as Channel[]) {
      try {
        const parts = (await host.render({ tenantId: digest.tenant_id, workflowKey: row.workflowKey, channel, locale: subscriber.locale, tenantDefaultLocale: tenant.settings?.defaultLocale ?? null, context })).parts;
        title = (channel === 'in_app' ? parts.title : parts.subject)?.trim() || undefined;
        summary = channel === 'in_app' ? parts.body?.trim() || undefined : undefined;
        url = parts.url ?? undefined;
        if (title) break;
      } catch {
        // No template for that channel: try the next, else name the event.
      }
    }
    items.push({ title: title ?? `${event.type}${event.subject ? `: ${event.subject}` : ''}`, summary, url: url && /^https?:\/\//.test(url) ? url : undefined, at: row.createdAt.toISOString(), workflow: row.workflowKey });
  }
  const zone = zoneOf(subscriber.timezone);
  const date = DateTime.fromJSDate(new Date(digest.sent_at ?? host.now()), { zone }).toISODate();
  return { data: { date, items, window: digestWindow(digest.key, rows) }, items };
}

/**
 * The daily summary (crontab, hourly): each subscriber whose preferences ask for `digest.daily`
 * gets, at their local hour, one digest of their notifications of the last 24 hours.
 */
export async function dailySummaries(host: PluginHost): Promise<number> {
  const db = host.db;
  const now = host.now();
  let sent = 0;
  for (const tenantId of await host.tenantsWithPreference(db, ['digest', 'daily'])) {
    for (const subscriber of await host.subscribers.active(tenantId)) {
      const choice = (await host.preferences(db, tenantId, subscriber)).digest();
      if (!choice?.value.daily) continue;
      const local = DateTime.fromJSDate(now, { zone: zoneOf(subscriber.timezone) });
      if (local.hour !== (choice.value.hour ?? 8)) continue;
      const key = `daily:${local.toISODate()}`;
      if (await digestExists(db, tenantId, subscriber.id, key)) continue;
      const items = await host.notifications.recent(db, tenantId, subscriber.id, new Date(now.getTime() - 24 * 3600_000), { excludeWorkflow: 'digest.daily', limit: 200 });
      if (items.length === 0) continue;
      const digestId = await createSummaryDigest(db, { tenantId, subscriberId: subscriber.id, key, items, at: now });
      await sendDigest(host, digestId, tenantId);
      sent++;
    }
  }
  if (sent > 0) host.log.info({ sent }, 'daily summaries sent');
  return sent;
}

/** The subscriber's IANA zone when it is one, else UTC. */
function zoneOf(zone: string | null): string {
  if (!zone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}
