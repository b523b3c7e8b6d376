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
  const [inbox] = await lockInboxes(trx, [{ tenantId, subscriberId }]);
  return inbox;
}

/**
 * Locks several inboxes for this transaction, in the order of their subscriber ids (so two
 * writers of overlapping sets wait for each other rather than deadlock), and returns them in the
 * order given. The ids must be distinct.
 */
export async function lockInboxes(trx: Knex, inboxes: Array<{ tenantId: string; subscriberId: string }>): Promise<LockedInbox[]> {
  const { rows } = await trx.raw(
    `insert into inbox_cursors (subscriber_id, tenant_id, seq)
     select s, t, 0 from unnest(?::uuid[], ?::uuid[]) as i(s, t) order by s
     on conflict (subscriber_id) do update set seq = inbox_cursors.seq
     returning subscriber_id, seq`,
    [inboxes.map((i) => i.subscriberId), inboxes.map((i) => i.tenantId)],
  );
  const seqs = new Map<string, number>(rows.map((r: { subscriber_id: string; seq: string }) => [r.subscriber_id, Number(r.seq)]));
  return inboxes.map((i) => ({ ...i, seq: seqs.get(i.subscriberId)! }));
}

/** The counts of one inbox, in one query (per category, and in total). */
export async function inboxCounts(db: Knex, tenantId: string, subscriberId: string, filter?: (query: Knex.QueryBuilder) => void): Promise<InboxCounts> {
  const counts = await countsOf(db, [{ tenantId, subscriberId }], filter);
  return counts.get(subscriberId)!;
}

/** The counts of several inboxes, in one query, by subscriber id. */
async function countsOf(db: Knex, inboxes: Array<{ tenantId: string; subscriberId: string }>, filter?: (query: Knex.QueryBuilder) => void): Promise<Map<string, InboxCounts>> {
  const query = db('inbox_items')
    .whereIn(['tenant_id', 'subscriber_id'], inboxes.map((i) => [i.tenantId, i.subscriberId]))
    .whereNull('archived_at')
    .whereNull('snoozed_until')
    .select(
      'subscriber_id',
      'category',
      db.raw('grouping(category) as everything'),
      db.raw('count(*)::int as total'),
      db.raw('(count(*) filter (where read_at is null))::int as unread'),
      db.raw('(count(*) filter (where seen_at is null))::int as unseen'),
    )
    .groupByRaw('grouping sets ((subscriber_id), (subscriber_id, category))');
  filter?.(query);
  const rows: Array<{ subscriber_id: string; category: string | null; everything: number; total: number; unread: number; unseen: number }> = await query;
  const counts = new Map<string, InboxCounts>();
  for (const { subscriberId } of inboxes) {
    const own = rows.filter((r) => r.subscriber_id === subscriberId);
    const all = own.find((r) => r.everything === 1) ?? { total: 0, unread: 0, unseen: 0 };
    const categories = own
      .filter((r) => r.everything === 0)
      .map((r) => ({ category: r.category, total: r.total, unread: r.unread, unseen: r.unseen }))
      .sort((a, b) => (a.category ?? '').localeCompare(b.category ?? ''));
    counts.set(subscriberId, { total: all.total, unread: all.unread, unseen: all.unseen, categories });
  }
  return counts;
}

/**
 * Records one change of a locked inbox (with the counts after it) and announces it at commit.
 * The inbox's number moves on, so a transaction may record several changes.
 */
export async function recordChange(trx: Knex, inbox: LockedInbox, body: InboxChangeBody): Promise<StoredChange> {
  const [stored] = await recordChanges(trx, [{ inbox, body }]);
  return stored;
}

/**
 * Records one change in each of several locked inboxes (distinct subscribers), with the counts
 * after it, and announces them at commit: the same statements for any number of inboxes.
 */
export async function recordChanges(trx: Knex, changes: Array<{ inbox: LockedInbox; body: InboxChangeBody }>): Promise<StoredChange[]> {
  const counts = await countsOf(trx, changes.map((c) => c.inbox));
  const stored = changes.map(({ inbox, body }) => ({ inbox, seq: inbox.seq + 1, change: { ...body, counts: counts.get(inbox.subscriberId)! } as InboxChange }));
  await trx('inbox_changes').insert(stored.map(({ inbox, seq, change }) => ({ tenant_id: inbox.tenantId, subscriber_id: inbox.subscriberId, seq, change: JSON.stringify(change) })));
  await trx.raw('update inbox_cursors c set seq = v.seq from unnest(?::uuid[], ?::int8[]) as v(id, seq) where c.subscriber_id = v.id', [stored.map((s) => s.inbox.subscriberId), stored.map((s) => s.seq)]);
  const payloads = stored.map(({ inbox, seq, change }) => {
    inbox.seq = seq;
    const payload = JSON.stringify({ t: inbox.tenantId, s: inbox.subscriberId, q: seq, c: change } satisfies InboxAnnouncement);
    return Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES ? JSON.stringify({ t: inbox.tenantId, s: inbox.subscriberId, q: seq } satisfies InboxAnnouncement) : payload;
  });
  // One statement, one announcement per change (an unnest yields its array in order).
  await trx.raw('select pg_notify(?, p) from unnest(?::text[]) as p', [INBOX_CHANNEL, payloads]);
  return stored.map(({ seq, change }) => ({ seq, change }));
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
