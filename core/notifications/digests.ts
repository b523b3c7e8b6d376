import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { insertDeliveries } from '../db/repositories/deliveries.ts';
import {
  closeDigest, createNotificationRow, createSummaryDigest, digestExists, digestItems, digestOfNotification, getEvent, joinDigest, lockDigest, summaryItems, tenantsWithDailySummaries,
} from '../db/repositories/notifications.ts';
import type { NotificationRow, SubscriberRowShape, TenantShape } from '../db/repositories/rows.ts';
import { enqueue } from '../jobs/tasks.ts';
import { notificationsTotal } from '../metrics.ts';
import { validZone } from '../preferences/model.ts';
import type { NotificationsContext } from './context.ts';
import { preferencesOf } from './preferences.ts';
import { digestWindow } from './digest-window.ts';

/**
 * Digests: a `batch` decision puts a notification into its subscriber's open digest for a key;
 * when the window closes (`send_digest`, one job per digest, keeping the first item's time), the
 * items become one notification rendered with the digest's template. The daily summary (an hourly
 * crontab) makes one for each subscriber whose preferences ask for it, at their local hour.
 */

/** A `batch` decision: the notification joins its subscriber's open digest for the key. */
export async function batch(trx: Knex, input: { tenantId: string; notificationId: string; subscriberId: string; key: string; until: Date; details: Record<string, unknown> }): Promise<void> {
  const template = typeof input.details.template === 'string' ? input.details.template : 'digest.daily';
  const channels = (Array.isArray(input.details.channels) && input.details.channels.length > 0 ? input.details.channels : ['email']) as Channel[];
  const digest = await joinDigest(trx, { tenantId: input.tenantId, subscriberId: input.subscriberId, notificationId: input.notificationId, key: input.key, template, channels, until: input.until });
  // One job per open digest: later items keep the first item's time (preserve_run_at).
  await enqueue(trx, 'send_digest', { digestId: digest.id, tenantId: input.tenantId }, { runAt: new Date(digest.send_at), jobKey: `digest:${digest.id}`, jobKeyMode: 'preserve_run_at' });
}

/** `send_digest`: the window closed; its items become one notification, rendered with the digest template. */
export async function sendDigest(ctx: NotificationsContext, digestId: string, tenantId: string): Promise<{ items: number }> {
  const { knex, clock, log } = ctx;
  return knex.transaction(async (trx) => {
    const digest = await lockDigest(trx, tenantId, digestId);
    if (!digest || digest.status !== 'open') return { items: 0 };
    const items = await digestItems(trx, digest);
    const now = clock.now();
    if (items.length === 0) {
      await closeDigest(trx, digestId, { status: 'empty', sent_at: now });
      return { items: 0 };
    }
    const ids = items.map((i) => i.id);
    const last = items.reduce((a, b) => (new Date(b.created_at).getTime() >= new Date(a.created_at).getTime() ? b : a));
    const notificationId = await createNotificationRow(trx, {
      tenantId, eventId: last.event_id, subscriberId: digest.subscriber_id, workflowKey: digest.template, priority: 'low', status: 'pending', channels: digest.channels,
      decisions: [{ plugin: 'digest', decision: 'continue', at: now.toISOString(), reason: `digest of ${ids.length} notification(s)`, details: { digestId, key: digest.key, items: ids } }],
    });
    await closeDigest(trx, digestId, { status: 'sent', notification_id: notificationId, sent_at: now });
    notificationsTotal.inc({ status: 'pending' });
    await insertDeliveries(trx, { tenantId, notificationId, channels: digest.channels });
    log.info({ digestId, tenantId, items: ids.length, notificationId }, 'digest sent');
    return { items: ids.length };
  });
}

/**
 * What a digest's template gets besides the usual context: `data.date`, `data.items` (each item's
 * own in-app title, else its email subject, else its event type) and `data.window`. Undefined for
 * a notification that is not a digest. The delivery stage asks for it through its context.
 */
export async function digestTemplateData(ctx: NotificationsContext, notification: NotificationRow, input: { subscriber: SubscriberRowShape; tenant: TenantShape }): Promise<Record<string, unknown> | undefined> {
  // A digest's own notification says so in its first decision; others need no digest lookup.
  const first = Array.isArray(notification.decisions) ? notification.decisions[0] : undefined;
  if (first?.plugin !== 'digest' || !first.details?.digestId) return undefined;
  const { knex } = ctx;
  const digest = await digestOfNotification(knex, notification.id);
  if (!digest) return undefined;
  const { subscriber, tenant } = input;
  const rows = await digestItems(knex, digest);
  const renderer = ctx.templates();
  const items = [];
  for (const row of rows) {
    const event = (await getEvent(knex, row.event_id))!;
    const context = {
      event: { id: event.ce_id, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined },
      data: event.data ?? {},
      subscriber: { id: subscriber.external_id, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, data: subscriber.data },
      tenant: { name: tenant.name, brand: tenant.settings?.brand ?? {} },
      notification: { id: row.id, priority: row.priority },
    };
    let title: string | undefined;
    let summary: string | undefined;
    let url: string | undefined;
    for (const channel of ['in_app', 'email'] as Channel[]) {
      try {
        const parts = (await renderer!.render({ tenantId: digest.tenant_id, workflowKey: row.workflow_key, channel, locale: subscriber.locale, tenantDefaultLocale: tenant.settings?.defaultLocale ?? null, context })).parts;
        title = (channel === 'in_app' ? parts.title : parts.subject)?.trim() || undefined;
        summary = channel === 'in_app' ? parts.body?.trim() || undefined : undefined;
        url = parts.url ?? undefined;
        if (title) break;
      } catch {
        // No template for that channel: try the next, else name the event.
      }
    }
    items.push({ title: title ?? `${event.type}${event.subject ? `: ${event.subject}` : ''}`, summary, url: url && /^https?:\/\//.test(url) ? url : undefined, at: new Date(row.created_at).toISOString(), workflow: row.workflow_key });
  }
  const zone = subscriber.timezone && validZone(subscriber.timezone) ? subscriber.timezone : 'UTC';
  const date = DateTime.fromJSDate(new Date(digest.sent_at ?? ctx.clock.now()), { zone }).toISODate();
  return { data: { date, items, window: digestWindow(digest.key, rows) }, items };
}

/**
 * The daily summary (crontab, hourly): each subscriber whose preferences ask for `digest.daily`
 * gets, at their local hour, one digest of their notifications of the last 24 hours.
 */
export async function dailySummaries(ctx: NotificationsContext): Promise<number> {
  const { knex, clock, log } = ctx;
  const now = clock.now();
  let sent = 0;
  for (const tenantId of await tenantsWithDailySummaries(knex)) {
    for (const subscriber of await ctx.subscribers.active(tenantId)) {
      const choice = (await preferencesOf(ctx, knex, tenantId, subscriber)).digest();
      if (!choice?.value.daily) continue;
      const zone = subscriber.timezone && validZone(subscriber.timezone) ? subscriber.timezone : 'UTC';
      const local = DateTime.fromJSDate(now, { zone });
      if (local.hour !== (choice.value.hour ?? 8)) continue;
      const key = `daily:${local.toISODate()}`;
      if (await digestExists(knex, tenantId, subscriber.id, key)) continue;
      const items = await summaryItems(knex, tenantId, subscriber.id, new Date(now.getTime() - 24 * 3600_000));
      if (items.length === 0) continue;
      const digestId = await createSummaryDigest(knex, { tenantId, subscriberId: subscriber.id, key, items, at: now });
      await sendDigest(ctx, digestId, tenantId);
      sent++;
    }
  }
  if (sent > 0) log.info({ sent }, 'daily summaries sent');
  return sent;
}
