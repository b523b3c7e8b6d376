import type { Knex } from 'knex';
import type { SubscriberRow } from '../../subscribers/service.ts';

/**
 * The rows of a topic fan-out (core/notifications/topic-fan-out.ts): where each stream is, and
 * the pages of members it reads.
 */

export interface TopicFanOutRow {
  id: string;
  tenant_id: string;
  event_id: string;
  workflow_key: string;
  topic_ids: string[];
  topic_keys: string[];
  skip: string[];
  snapshot: string;
  range_from: string | null;
  range_to: string | null;
  cursor: string | null;
  status: 'running' | 'done' | 'cancelled';
  pages: number;
  notifications: number;
  started_at: Date;
  finished_at: Date | null;
}

/** The tenant's topics by key (those that exist). */
export async function topicsByKey(db: Knex, tenantId: string, keys: string[]): Promise<Map<string, string>> {
  const rows: Array<{ id: string; key: string }> = await db('topics').where({ tenant_id: tenantId }).whereIn('key', keys).orderBy('key').select('id', 'key');
  return new Map(rows.map((r) => [r.key, r.id]));
}

export async function topicFanOutHead(db: Knex, id: string, tenantId: string): Promise<Pick<TopicFanOutRow, 'status' | 'workflow_key'> | undefined> {
  return db('topic_fan_outs').where({ id, tenant_id: tenantId }).first('status', 'workflow_key');
}

export async function lockTopicFanOut(db: Knex, id: string, tenantId: string): Promise<TopicFanOutRow | undefined> {
  return db('topic_fan_outs').where({ id, tenant_id: tenantId }).forUpdate().first();
}

/**
 * The next page of members: after the cursor in subscriber id order, joined before the snapshot,
 * not erased, not skipped; once each when the stream spans several topics.
 */
export function topicMembersPage(db: Knex, row: TopicFanOutRow, size: number, columns: string[] = ['s.*']): Knex.QueryBuilder {
  const members = (q: Knex.QueryBuilder) =>
    q
      .where('m.tenant_id', row.tenant_id)
      .modify((inner) => (row.topic_ids.length === 1 ? inner.where('m.topic_id', row.topic_ids[0]) : inner.whereRaw('m.topic_id = any(?::uuid[])', [row.topic_ids])))
      .where('m.id', '<=', row.snapshot)
      .modify((inner) => {
        const after = row.cursor ?? row.range_from;
        if (after) inner.where('m.subscriber_id', '>', after);
        if (row.range_to) inner.where('m.subscriber_id', '<=', row.range_to);
      });
  const filters = (q: Knex.QueryBuilder) => q.whereNull('s.erased_at').whereRaw('not (s.external_id = any(?::text[]))', [row.skip]).limit(size);
  if (row.topic_ids.length === 1) {
    // One topic: its (topic_id, subscriber_id) index gives the members in order, no sort.
    return filters(members(db('topic_subscriptions as m').join('subscribers as s', 's.id', 'm.subscriber_id')).orderBy('m.subscriber_id').select(columns));
  }
  return filters(db('subscribers as s').whereIn('s.id', members(db('topic_subscriptions as m').select('m.subscriber_id'))).orderBy('s.id').select(columns));
}

/** After a page: the cursor moves to its last member; the stream ends when a page was not full. */
export async function finishTopicPage(db: Knex, row: TopicFanOutRow, page: { last: string | null; notifications: number; done: boolean; now: Date }): Promise<void> {
  await db('topic_fan_outs')
    .where({ id: row.id })
    .update({
      cursor: page.last ?? row.cursor,
      pages: db.raw('pages + 1'),
      notifications: db.raw('notifications + ?', [page.notifications]),
      ...(page.done ? { status: 'done', finished_at: page.now } : {}),
    });
}

/** Members of the topics when the fan-out begins, counted up to `upTo` (enough to choose how many streams). */
export async function countMembers(db: Knex, tenantId: string, topicIds: string[], upTo: number): Promise<number> {
  const { rows } = await db.raw(`select count(*)::int as n from (select 1 from topic_subscriptions where tenant_id = ? and topic_id = any(?::uuid[]) limit ?) m`, [tenantId, topicIds, upTo]);
  return rows[0].n;
}

/** The topic fan-outs of an event, for its view. */
export async function topicFanOutsOf(db: Knex, tenantId: string, eventId: string): Promise<TopicFanOutRow[]> {
  return db('topic_fan_outs').where({ tenant_id: tenantId, event_id: eventId }).orderBy('started_at').orderBy('id');
}

export type { SubscriberRow };
