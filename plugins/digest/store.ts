import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';

/**
 * The digest plugin's own rows: `digests` (its migration, ./migrations/) and the `digest_id`
 * column its migration adds to notifications. Engine rows go through the plugin host.
 */

export interface DigestRow {
  id: string;
  tenant_id: string;
  subscriber_id: string;
  key: string;
  template: string;
  channels: Channel[];
  status: 'open' | 'sent' | 'empty';
  /** Fixed items (the daily summary); otherwise the notifications that point to the digest. */
  item_ids: string[] | null;
  notification_id: string | null;
  send_at: Date;
  sent_at: Date | null;
}

/** The subscriber's open digest for a key (made if none), and the notification put into it. */
export async function joinDigest(db: Knex, input: { tenantId: string; subscriberId: string; notificationId: string; key: string; template: string; channels: Channel[]; until: Date }): Promise<{ id: string; send_at: Date }> {
  const { rows } = await db.raw(
    `insert into digests (tenant_id, subscriber_id, key, template, channels, send_at) values (?, ?, ?, ?, ?::jsonb, ?)
     on conflict (tenant_id, subscriber_id, key) where status = 'open' do update set key = excluded.key
     returning id, send_at`,
    [input.tenantId, input.subscriberId, input.key, input.template, JSON.stringify(input.channels), input.until],
  );
  const digest = rows[0] as { id: string; send_at: Date };
  await db('notifications').where({ id: input.notificationId }).update({ digest_id: digest.id });
  return digest;
}

export async function lockDigest(db: Knex, tenantId: string, digestId: string): Promise<DigestRow | undefined> {
  return db('digests').where({ id: digestId, tenant_id: tenantId }).forUpdate().first();
}

export async function digestOfNotification(db: Knex, tenantId: string, notificationId: string): Promise<DigestRow | undefined> {
  return db('digests').where({ tenant_id: tenantId, notification_id: notificationId }).first();
}

/** The ids of a digest's items: its fixed list (a daily summary), else the notifications batched into it. */
export async function digestItemIds(db: Knex, digest: Pick<DigestRow, 'id' | 'tenant_id' | 'item_ids'>): Promise<string[]> {
  if (Array.isArray(digest.item_ids)) return digest.item_ids;
  return db('notifications').where({ tenant_id: digest.tenant_id, digest_id: digest.id }).pluck('id');
}

export async function closeDigest(db: Knex, digestId: string, patch: { status: 'sent' | 'empty'; sent_at: Date; notification_id?: string }): Promise<void> {
  await db('digests').where({ id: digestId }).update(patch);
}

export async function digestExists(db: Knex, tenantId: string, subscriberId: string, key: string): Promise<boolean> {
  return (await db('digests').where({ tenant_id: tenantId, subscriber_id: subscriberId, key }).first('id')) !== undefined;
}

/** A daily summary of fixed items, due now. */
export async function createSummaryDigest(db: Knex, input: { tenantId: string; subscriberId: string; key: string; items: string[]; at: Date }): Promise<string> {
  const [row] = await db('digests')
    .insert({ tenant_id: input.tenantId, subscriber_id: input.subscriberId, key: input.key, template: 'digest.daily', channels: JSON.stringify(['email']), send_at: input.at, item_ids: JSON.stringify(input.items) })
    .returning('id');
  return (row as { id: string }).id;
}

/** Erasure: the subscriber's digests go (their keys may be built from her data). */
export async function deleteDigestsOf(db: Knex, tenantId: string, subscriberId: string): Promise<number> {
  return db('digests').where({ tenant_id: tenantId, subscriber_id: subscriberId }).delete();
}

/**
 * Retention: at most `limit` digests that were sent or came out empty before `cutoff` (an open
 * one still collects, whatever its age). Rows locked elsewhere are skipped, for the next run.
 */
export async function expireDigests(db: Knex, input: { tenantId: string; cutoff: Date; limit: number }): Promise<number> {
  const result = await db.raw(
    `delete from digests where id in (
       select id from digests where tenant_id = :tenant and status in ('sent', 'empty') and created_at < :cutoff
        limit :limit for update skip locked)`,
    { tenant: input.tenantId, cutoff: input.cutoff, limit: input.limit },
  );
  return (result as { rowCount: number | null }).rowCount ?? 0;
}

/** Cancellation: the batched ones of these notifications leave their digests. Returns how many did. */
export async function leaveDigests(db: Knex, tenantId: string, notificationIds: string[]): Promise<number> {
  if (notificationIds.length === 0) return 0;
  return db('notifications').where({ tenant_id: tenantId, status: 'batched' }).whereNotNull('digest_id').whereRaw('id = any(?::uuid[])', [notificationIds]).update({ digest_id: null });
}
