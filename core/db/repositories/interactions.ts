import type { Knex } from 'knex';

/**
 * Interactions (opens, clicks, dismissals, replies, actions) and the first genuine open and click
 * they leave on their delivery and notification. One statement per interaction: the row, the
 * delivery's and the notification's `opened_at`/`clicked_at` (a click implies an open: images may
 * be blocked), and what its webhook says. Nothing is recorded for an erased subscriber's
 * notification (a forwarded email opened later would otherwise bring her IP back), nor twice for
 * one provider event (providers resend their webhooks).
 */

export type InteractionKind = 'open' | 'click' | 'dismiss' | 'reply' | 'action';
export type InteractionSource = 'pixel' | 'redirect' | 'provider' | 'api' | 'inbox';
export const INTERACTION_KINDS: readonly InteractionKind[] = ['open', 'click', 'dismiss', 'reply', 'action'];

export interface NewInteraction {
  kind: InteractionKind;
  source: InteractionSource;
  /** Overrides the delivery's channel (or gives one when there is no delivery). */
  channel?: string | null;
  adapter?: string | null;
  link?: string | null;
  action?: string | null;
  userAgent?: string | null;
  /** Already truncated (privacy.ts). */
  ip?: string | null;
  prefetch: boolean;
  providerEventId?: string | null;
  at: Date;
}

export interface RecordedInteraction {
  id: string;
  tenant_id: string;
  notification_id: string;
  delivery_id: string | null;
  channel: string | null;
  workflow_key: string;
  external_id: string | null;
  /** This interaction set the delivery's (or notification's) first open or click. */
  first: boolean;
}

/**
 * Records an interaction with a delivery (found by its id, in `tenantId` when given) or, with
 * `notificationId` and no delivery, with a notification. Undefined when there is nothing to record
 * it on (no such delivery, an erased subscriber) or the provider event was recorded before.
 */
export async function insertInteraction(
  db: Knex,
  target: { deliveryId: string; tenantId?: string } | { notificationId: string; tenantId: string },
  i: NewInteraction,
): Promise<RecordedInteraction | undefined> {
  const byDelivery = 'deliveryId' in target;
  const engaged = !i.prefetch && (i.kind === 'open' || i.kind === 'click');
  const clicked = !i.prefetch && i.kind === 'click';
  const { rows } = await db.raw(
    `with target as (
       select n.tenant_id, n.id as notification_id, ${byDelivery ? 'd.id' : 'null::uuid'} as delivery_id,
              coalesce(?::text, ${byDelivery ? 'd.channel' : 'null::text'}) as channel, coalesce(?::text, ${byDelivery ? 'd.adapter' : 'null::text'}) as adapter,
              n.workflow_key, s.external_id
         from ${byDelivery ? 'deliveries d join notifications n on n.id = d.notification_id' : 'notifications n'}
         join subscribers s on s.id = n.subscriber_id and s.erased_at is null
        where ${byDelivery ? 'd.id = ?' : 'n.id = ?'} and (?::uuid is null or n.tenant_id = ?::uuid)
     ), inserted as (
       insert into interactions (tenant_id, notification_id, delivery_id, kind, channel, source, adapter, link, action, user_agent, ip, prefetch, provider_event_id, occurred_at)
       select tenant_id, notification_id, delivery_id, ?, channel, ?, adapter, ?, ?, ?, ?::inet, ?::boolean, ?, ?::timestamptz from target
       on conflict (tenant_id, adapter, provider_event_id) where provider_event_id is not null do nothing
       returning id, tenant_id, notification_id, delivery_id, channel
     ), delivery as (
       update deliveries d set opened_at = coalesce(d.opened_at, ?::timestamptz), clicked_at = case when ?::boolean then coalesce(d.clicked_at, ?::timestamptz) else d.clicked_at end
         from inserted i
        where ?::boolean and d.id = i.delivery_id and (d.opened_at is null or (?::boolean and d.clicked_at is null))
       returning d.id
     ), notification as (
       update notifications n set opened_at = coalesce(n.opened_at, ?::timestamptz), clicked_at = case when ?::boolean then coalesce(n.clicked_at, ?::timestamptz) else n.clicked_at end
         from inserted i
        where ?::boolean and n.id = i.notification_id and (n.opened_at is null or (?::boolean and n.clicked_at is null))
       returning n.id
     )
     select i.*, t.workflow_key, t.external_id,
            (exists (select 1 from delivery) or exists (select 1 from notification)) as first
       from inserted i cross join target t`,
    [
      i.channel ?? null, i.adapter ?? null,
      byDelivery ? target.deliveryId : target.notificationId, target.tenantId ?? null, target.tenantId ?? null,
      i.kind, i.source, i.link ?? null, i.action ?? null, i.userAgent ?? null, i.ip ?? null, i.prefetch, i.providerEventId ?? null, i.at,
      i.at, clicked, i.at, engaged, clicked,
      i.at, clicked, i.at, engaged, clicked,
    ],
  );
  return rows[0];
}
