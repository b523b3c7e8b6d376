import type { Knex } from 'knex';
import type { InboxCounts } from './views.ts';

export type { InboxCounts };

/**
 * The change log of each subscriber's inbox: every write to an inbox (an item arriving, a state
 * changing, a bulk mark) is one numbered change, stored with the inbox's counts after it and
 * announced on the `clarion_inbox` channel at commit. Streams push changes as they are announced
 * and replay them after a reconnecting client's cursor (core/realtime/hub.ts).
 *
 * Numbers are per subscriber, without gaps, and commit in order: a writer locks the subscriber's
 * `inbox_cursors` row first (`lockInbox`) and holds it until it commits, so no change with a
 * smaller number can commit after a larger one has been seen. Writers take that lock before any
 * other row of the inbox, which also keeps two writers of one inbox from deadlocking.
 */

export const INBOX_CHANNEL = 'clarion_inbox';
/** PostgreSQL refuses NOTIFY payloads from 8000 bytes: larger changes are announced without their body, and read from the log. */
const MAX_PAYLOAD_BYTES = 7800;

/** What a change carries: an item as it is now, or the ids a bulk mark changed and how. */
export type InboxChangeBody =
  | { type: 'item.created' | 'item.updated'; item: Record<string, unknown>; reason?: string }
  | { type: 'items.updated'; ids: string[] | null; patch: Record<string, unknown>; reason: string };

export type InboxChange = InboxChangeBody & { counts: InboxCounts };

/** A change as it is stored and announced: its number (the stream's cursor) and its body. */
export interface StoredChange {
  seq: number;
  change: InboxChange;
}

/**
 * The announcement: tenant, subscriber row id, change number, and the change when it fits; or
 * `end`: the subscriber's streams end everywhere (`erased`: the subscriber is no more).
 */
export interface InboxAnnouncement {
  t: string;
  s: string;
  q: number;
  c?: InboxChange;
  end?: 'erased';
}

/** A locked inbox inside a transaction: the number of its last change so far. */
export interface LockedInbox {
  tenantId: string;
  subscriberId: string;
  seq: number;
}

/** Locks the subscriber's inbox for this transaction (waiting for another writer) and returns it. */
export async function lockInbox(trx: Knex, tenantId: string, subscriberId: string): Promise<LockedInbox> {
  const { rows } = await trx.raw(
    `insert into inbox_cursors (subscriber_id, tenant_id, seq) values (?, ?, 0)
     on conflict (subscriber_id) do update set seq = inbox_cursors.seq
     returning seq`,
    [subscriberId, tenantId],
  );
  return { tenantId, subscriberId, seq: Number(rows[0].seq) };
}

/** The counts of one inbox, in one query (per category, and in total). */
export async function inboxCounts(db: Knex, tenantId: string, subscriberId: string, filter?: (query: Knex.QueryBuilder) => void): Promise<InboxCounts> {
  const query = db('inbox_items')
    .where({ tenant_id: tenantId, subscriber_id: subscriberId })
    .whereNull('archived_at')
    .whereNull('snoozed_until')
    .select(
      'category',
      db.raw('grouping(category) as everything'),
      db.raw('count(*)::int as total'),
      db.raw('(count(*) filter (where read_at is null))::int as unread'),
      db.raw('(count(*) filter (where seen_at is null))::int as unseen'),
    )
    .groupByRaw('grouping sets ((), (category))');
  filter?.(query);
  const rows: Array<{ category: string | null; everything: number; total: number; unread: number; unseen: number }> = await query;
  const all = rows.find((r) => r.everything === 1) ?? { total: 0, unread: 0, unseen: 0 };
  const categories = rows
    .filter((r) => r.everything === 0)
    .map((r) => ({ category: r.category, total: r.total, unread: r.unread, unseen: r.unseen }))
    .sort((a, b) => (a.category ?? '').localeCompare(b.category ?? ''));
  return { total: all.total, unread: all.unread, unseen: all.unseen, categories };
}

/**
 * Records one change of a locked inbox (with the counts after it) and announces it at commit.
 * The inbox's number moves on, so a transaction may record several changes.
 */
export async function recordChange(trx: Knex, inbox: LockedInbox, body: InboxChangeBody): Promise<StoredChange> {
  const counts = await inboxCounts(trx, inbox.tenantId, inbox.subscriberId);
  const change = { ...body, counts } as InboxChange;
  const seq = inbox.seq + 1;
  await trx('inbox_changes').insert({ tenant_id: inbox.tenantId, subscriber_id: inbox.subscriberId, seq, change: JSON.stringify(change) });
  await trx('inbox_cursors').where({ subscriber_id: inbox.subscriberId }).update({ seq });
  inbox.seq = seq;
  const full: InboxAnnouncement = { t: inbox.tenantId, s: inbox.subscriberId, q: seq, c: change };
  let payload = JSON.stringify(full);
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) payload = JSON.stringify({ t: inbox.tenantId, s: inbox.subscriberId, q: seq } satisfies InboxAnnouncement);
  await trx.raw('select pg_notify(?, ?)', [INBOX_CHANNEL, payload]);
  return { seq, change };
}

/** Ends every open stream of the subscriber, on every gateway, once `trx` commits (an erasure). */
export async function announceEnd(trx: Knex, tenantId: string, subscriberId: string): Promise<void> {
  await trx.raw('select pg_notify(?, ?)', [INBOX_CHANNEL, JSON.stringify({ t: tenantId, s: subscriberId, q: 0, end: 'erased' } satisfies InboxAnnouncement)]);
}

/** The changes of an inbox after `after`, in order (at most `limit`). */
export async function changesAfter(db: Knex, subscriberId: string, after: number, limit: number): Promise<StoredChange[]> {
  const rows = await db('inbox_changes').where({ subscriber_id: subscriberId }).where('seq', '>', after).orderBy('seq').limit(limit).select('seq', 'change');
  return rows.map((r) => ({ seq: Number(r.seq), change: r.change }));
}

/** The number of the inbox's last change (0 before any). */
export async function currentSeq(db: Knex, subscriberId: string): Promise<number> {
  const row = await db('inbox_cursors').where({ subscriber_id: subscriberId }).first('seq');
  return row ? Number(row.seq) : 0;
}
