import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { insertDeliveries } from '../db/repositories/deliveries.ts';
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

interface DigestRow {
  id: string;
  tenant_id: string;
  subscriber_id: string;
  key: string;
  template: string;
  channels: Channel[];
  status: string;
  item_ids: string[] | null;
  send_at: Date;
  sent_at: Date | null;
}

/** A `batch` decision: the notification joins its subscriber's open digest for the key. */
export async function batch(trx: Knex, input: { tenantId: string; notificationId: string; subscriberId: string; key: string; until: Date; details: Record<string, unknown> }): Promise<void> {
  const template = typeof input.details.template === 'string' ? input.details.template : 'digest.daily';
  const channels = Array.isArray(input.details.channels) && input.details.channels.length > 0 ? input.details.channels : ['email'];
  const { rows } = await trx.raw(
    `insert into digests (tenant_id, subscriber_id, key, template, channels, send_at) values (?, ?, ?, ?, ?::jsonb, ?)
     on conflict (tenant_id, subscriber_id, key) where status = 'open' do update set key = excluded.key
     returning id, send_at`,
    [input.tenantId, input.subscriberId, input.key, template, JSON.stringify(channels), input.until],
  );
  const digest = rows[0] as { id: string; send_at: Date };
  await trx('notifications').where({ id: input.notificationId }).update({ digest_id: digest.id });
  // One job per open digest: later items keep the first item's time (preserve_run_at).
  await enqueue(trx, 'send_digest', { digestId: digest.id, tenantId: input.tenantId }, { runAt: new Date(digest.send_at), jobKey: `digest:${digest.id}`, jobKeyMode: 'preserve_run_at' });
}

/** `send_digest`: the window closed; its items become one notification, rendered with the digest template. */
export async function sendDigest(ctx: NotificationsContext, digestId: string, tenantId: string): Promise<{ items: number }> {
  const { knex, clock, log } = ctx;
  return knex.transaction(async (trx) => {
    const digest: DigestRow | undefined = await trx('digests').where({ id: digestId, tenant_id: tenantId }).forUpdate().first();
    if (!digest || digest.status !== 'open') return { items: 0 };
    const ids: string[] = Array.isArray(digest.item_ids)
      ? digest.item_ids
      : (await trx('notifications').where({ tenant_id: tenantId, digest_id: digestId }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('id')).map((r) => r.id);
    const now = clock.now();
    if (ids.length === 0) {
      await trx('digests').where({ id: digestId }).update({ status: 'empty', sent_at: now });
      return { items: 0 };
    }
    const last = await trx('notifications').whereIn('id', ids).orderBy('created_at', 'desc').first('event_id');
    const [notification] = await trx('notifications')
      .insert({
        tenant_id: tenantId,
        event_id: last.event_id,
        subscriber_id: digest.subscriber_id,
        workflow_key: digest.template,
        priority: 'low',
        status: 'pending',
        channels: JSON.stringify(digest.channels),
        decisions: JSON.stringify([{ plugin: 'digest', decision: 'continue', at: now.toISOString(), reason: `digest of ${ids.length} notification(s)`, details: { digestId, key: digest.key, items: ids } }]),
      })
      .returning(['id']);
    await trx('digests').where({ id: digestId }).update({ status: 'sent', notification_id: notification.id, sent_at: now });
    notificationsTotal.inc({ status: 'pending' });
    await insertDeliveries(trx, { tenantId, notificationId: notification.id, channels: digest.channels });
    log.info({ digestId, tenantId, items: ids.length, notificationId: notification.id }, 'digest sent');
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
  const digest: DigestRow | undefined = await knex('digests').where({ notification_id: notification.id }).first();
  if (!digest) return undefined;
  const { subscriber, tenant } = input;
  const rows: NotificationRow[] = Array.isArray(digest.item_ids)
    ? await knex('notifications').whereIn('id', digest.item_ids).orderBy([{ column: 'created_at' }, { column: 'id' }])
    : await knex('notifications').where({ tenant_id: digest.tenant_id, digest_id: digest.id }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
  const renderer = ctx.templates();
  const items = [];
  for (const row of rows) {
    const event = await knex('events').where({ id: row.event_id }).first();
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
  const tenants: Array<{ tenant_id: string }> = await knex('preferences').whereRaw(`settings->'digest'->>'daily' = 'true'`).distinct('tenant_id');
  let sent = 0;
  for (const { tenant_id: tenantId } of tenants) {
    const subscribers = await knex('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').select('id', 'external_id', 'teams', 'projects', 'timezone');
    for (const subscriber of subscribers) {
      const choice = (await preferencesOf(ctx, knex, tenantId, subscriber)).digest();
      if (!choice?.value.daily) continue;
      const zone = subscriber.timezone && validZone(subscriber.timezone) ? subscriber.timezone : 'UTC';
      const local = DateTime.fromJSDate(now, { zone });
      if (local.hour !== (choice.value.hour ?? 8)) continue;
      const key = `daily:${local.toISODate()}`;
      if (await knex('digests').where({ tenant_id: tenantId, subscriber_id: subscriber.id, key }).first('id')) continue;
      const items = await knex('notifications')
        .where({ tenant_id: tenantId, subscriber_id: subscriber.id })
        .where('created_at', '>', new Date(now.getTime() - 24 * 3600_000))
        .whereNot('workflow_key', 'digest.daily')
        .whereNotIn('status', ['suppressed', 'batched'])
        .orderBy('created_at')
        .limit(200)
        .select('id');
      if (items.length === 0) continue;
      const [digest] = await knex('digests')
        .insert({ tenant_id: tenantId, subscriber_id: subscriber.id, key, template: 'digest.daily', channels: JSON.stringify(['email']), send_at: now, item_ids: JSON.stringify(items.map((i) => i.id)) })
        .returning('id');
      await sendDigest(ctx, digest.id, tenantId);
      sent++;
    }
  }
  if (sent > 0) log.info({ sent }, 'daily summaries sent');
  return sent;
}
