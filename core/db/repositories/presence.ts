import type { Knex } from 'knex';

/**
 * Presence rows (`inbox_presence`): one per subscriber and gateway process holding open inbox
 * streams, refreshed by that process (core/realtime/presence.ts). The notification stage reads
 * them (the `presence` plugin), the inbox stage writes them.
 */

export interface SubscriberPresence {
  /** Some process refreshed a row of the subscriber within the TTL. */
  online: boolean;
  /** Open streams over the live rows. */
  connections: number;
  /** The latest refresh of any row (live or not), null if none is left. */
  lastSeenAt: Date | null;
}

/** Whether the subscriber has open streams now (`now` and `ttlMs`: a row older than that is a dead process's). */
export async function presenceOf(db: Knex, tenantId: string, subscriberId: string, now: Date, ttlMs: number): Promise<SubscriberPresence> {
  const row = await db('inbox_presence')
    .where({ tenant_id: tenantId, subscriber_id: subscriberId })
    .first(
      db.raw('coalesce(sum(connections) filter (where last_seen_at > ?), 0)::int as connections', [new Date(now.getTime() - ttlMs)]),
      db.raw('max(last_seen_at) as last_seen_at'),
    );
  return { online: (row?.connections ?? 0) > 0, connections: row?.connections ?? 0, lastSeenAt: row?.last_seen_at ? new Date(row.last_seen_at) : null };
}
