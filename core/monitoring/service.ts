import type { Knex } from 'knex';
import { ClarionError } from '../errors.ts';
import type { Clock } from '../kernel/clock.ts';

/**
 * A tenant's figures for the console's dashboard: events, notifications and deliveries over
 * time, failure rate and latency per provider, circuit states, the work waiting, dead letters.
 * Each figure is one grouped query on an index that leads with tenant_id and the time column;
 * nothing here reads another tenant's rows or the shared job queue.
 */

export const RANGES = { '1h': { windowMs: 3_600_000, bucketMs: 60_000 }, '24h': { windowMs: 86_400_000, bucketMs: 3_600_000 }, '7d': { windowMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 } } as const;
export type Range = keyof typeof RANGES;

export interface ProviderFigures {
  id: string | null;
  name: string | null;
  adapter: string | null;
  channel: string | null;
  attempts: number;
  failures: number;
  failureRate: number;
  avgMs: number | null;
  p95Ms: number | null;
  circuit: string | null;
  lastError: string | null;
}

export interface DashboardSnapshot {
  range: Range;
  bucketMs: number;
  /** The start of each bucket (ISO), oldest first. */
  buckets: string[];
  totals: { events: number; notifications: number; deliveries: number; failedDeliveries: number; deadLetters: number };
  events: Record<string, number[]>;
  notifications: Record<string, number[]>;
  deliveriesByChannel: Record<string, number[]>;
  deliveriesByStatus: Record<string, number>;
  providers: ProviderFigures[];
  waiting: { events: number; deliveries: number; retrying: number };
  generatedAt: string;
}

export class MonitoringService {
  readonly #knex: Knex;
  readonly #clock: Clock;

  constructor(knex: Knex, clock: Clock) {
    this.#knex = knex;
    this.#clock = clock;
  }

  async snapshot(tenantId: string, range: string = '1h'): Promise<DashboardSnapshot> {
    if (!Object.hasOwn(RANGES, range)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid range', { errors: [{ pointer: '/query/range', message: `must be one of ${Object.keys(RANGES).join(', ')}` }] });
    const { windowMs, bucketMs } = RANGES[range as Range];
    const now = this.#clock.now().getTime();
    // Buckets aligned on their size (minutes, hours), so a figure does not move between refreshes.
    const end = Math.floor(now / bucketMs) * bucketMs + bucketMs;
    const start = end - windowMs;
    const buckets = Array.from({ length: windowMs / bucketMs }, (_, i) => new Date(start + i * bucketMs).toISOString());
    const since = new Date(start);
    const series = async (table: string, column: string, key: string, extra = '') => {
      const { rows } = await this.#knex.raw(
        `select ${key} as k, floor(extract(epoch from (${column} - ?::timestamptz)) * 1000 / ?)::int as b, count(*)::int as n
           from ${table} where tenant_id = ? and ${column} >= ? ${extra} group by 1, 2`,
        [since, bucketMs, tenantId, since],
      );
      const out: Record<string, number[]> = {};
      for (const row of rows as Array<{ k: string; b: number; n: number }>) {
        if (row.b < 0 || row.b >= buckets.length) continue;
        (out[row.k] ??= new Array(buckets.length).fill(0))[row.b] += row.n;
      }
      return out;
    };
    const [events, notifications, deliveriesByChannel, statusRows, providerRows, waitingRows, deadRow] = await Promise.all([
      series('events', 'received_at', 'status'),
      series('notifications', 'created_at', 'status'),
      series('deliveries', 'created_at', 'channel'),
      this.#knex('deliveries').where('tenant_id', tenantId).where('created_at', '>=', since).groupBy('status').select('status', this.#knex.raw('count(*)::int as n')),
      this.#knex.raw(
        `select a.provider_config_id as id, p.name, coalesce(p.adapter, a.adapter) as adapter, p.channel, p.circuit_state, p.last_error,
                count(*)::int as attempts,
                count(*) filter (where a.outcome <> 'success')::int as failures,
                round(avg(a.duration_ms))::int as avg_ms,
                (percentile_disc(0.95) within group (order by a.duration_ms))::int as p95_ms
           from delivery_attempts a left join provider_configs p on p.id = a.provider_config_id
          where a.tenant_id = ? and a.started_at >= ? and a.outcome <> 'circuit_open'
          group by 1, 2, 3, 4, 5, 6 order by attempts desc limit 50`,
        [tenantId, since],
      ),
      this.#knex.raw(
        `select (select count(*)::int from events where tenant_id = ? and status in ('received', 'processing')) as events,
                (select count(*)::int from deliveries where tenant_id = ? and status in ('pending', 'sending')) as deliveries,
                (select count(*)::int from deliveries where tenant_id = ? and status = 'retrying') as retrying`,
        [tenantId, tenantId, tenantId],
      ),
      this.#knex('deliveries').where({ tenant_id: tenantId, status: 'dead' }).count('* as n').first(),
    ]);
    const deliveriesByStatus = Object.fromEntries((statusRows as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
    const sum = (s: Record<string, number[]>) => Object.values(s).reduce((total, list) => total + list.reduce((a, b) => a + b, 0), 0);
    const providers: ProviderFigures[] = (providerRows.rows as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as string | null,
      name: r.name as string | null,
      adapter: r.adapter as string | null,
      channel: r.channel as string | null,
      attempts: r.attempts as number,
      failures: r.failures as number,
      failureRate: (r.attempts as number) ? Math.round(((r.failures as number) / (r.attempts as number)) * 1000) / 1000 : 0,
      avgMs: r.avg_ms as number | null,
      p95Ms: r.p95_ms as number | null,
      circuit: r.circuit_state as string | null,
      lastError: r.last_error as string | null,
    }));
    const waiting = waitingRows.rows[0];
    return {
      range: range as Range,
      bucketMs,
      buckets,
      totals: {
        events: sum(events),
        notifications: sum(notifications),
        deliveries: sum(deliveriesByChannel),
        failedDeliveries: (deliveriesByStatus.failed ?? 0) + (deliveriesByStatus.dead ?? 0) + (deliveriesByStatus.bounced ?? 0) + (deliveriesByStatus.undelivered ?? 0),
        deadLetters: Number(deadRow?.n ?? 0),
      },
      events,
      notifications,
      deliveriesByChannel,
      deliveriesByStatus,
      providers,
      waiting: { events: waiting.events, deliveries: waiting.deliveries, retrying: waiting.retrying },
      generatedAt: new Date(now).toISOString(),
    };
  }
}
