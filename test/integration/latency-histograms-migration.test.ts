import { expect } from 'chai';
import { addSpan, bucketOf, quantile, type Histogram } from '../../core/analytics/histogram.ts';
import { parseQuery, runQuery } from '../../core/analytics/queries.ts';
import { fold } from '../../core/analytics/rollups.ts';
import { migrate } from '../../core/db/database.ts';
import * as histograms from '../../migrations/20261218000000_latency_histogram_arrays.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';

const NAME = '20261218000000_latency_histogram_arrays.ts';
const DIMS = ['workflow_key', 'channel', 'provider', 'adapter', 'variant', 'locale'] as const;

interface OldRow {
  tenant_id: string;
  bucket: Date;
  workflow_key: string;
  channel: string;
  provider: string;
  adapter: string;
  variant: string;
  locale: string;
  kind: number;
  latency: number;
  count: number;
}

/**
 * A database upgraded with latency history in the old layout (one row per latency bucket) answers
 * the same figures once its rows are histogram arrays, keeps folding into them, and goes back.
 */
describe('latency histograms as arrays: the migration (integration)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let tenantId: string;
  const old: Record<'minute' | 'hour' | 'day', OldRow[]> = { minute: [], hour: [], day: [] };

  before(async () => {
    db = await freshDatabase();
    // As a database migrated before this migration is.
    await histograms.down(db.knex);
    await db.knex('knex_migrations').where({ name: NAME }).delete();
    [{ id: tenantId }] = await db.knex('tenants').insert({ name: 'History' }).returning('id');
    // Email sent 10, 20, ..., 1000 ms after its event and delivered 10 times later; SMS 300-3000 ms, in two hours of a day.
    const samples: Array<{ at: Date; channel: string; kind: number; ms: number }> = [];
    for (let i = 1; i <= 100; i++) {
      const at = new Date(Date.UTC(2030, 5, 1, 12 + (i % 2), i % 7));
      samples.push({ at, channel: 'email', kind: 1, ms: i * 10 }, { at, channel: 'email', kind: 2, ms: i * 100 });
      if (i % 4 === 0) samples.push({ at, channel: 'sms', kind: 1, ms: i * 30 });
    }
    const truncate = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
    for (const level of ['minute', 'hour', 'day'] as const) {
      const rows = new Map<string, OldRow>();
      for (const s of samples) {
        const bucket = new Date(Math.floor(s.at.getTime() / truncate[level]) * truncate[level]);
        const row = { tenant_id: tenantId, bucket, workflow_key: 'orders', channel: s.channel, provider: '', adapter: 'sandbox', variant: '', locale: 'en', kind: s.kind, latency: bucketOf(s.ms), count: 0 };
        const id = `${bucket.toISOString()}|${s.channel}|${s.kind}|${row.latency}`;
        const known = rows.get(id) ?? row;
        known.count++;
        rows.set(id, known);
      }
      old[level] = [...rows.values()];
      await db.knex(`analytics_latency_${level}`).insert(old[level]);
    }
  });
  after(async () => {
    await db?.drop();
  });

  /** The quantiles the old layout answered: its rows added one latency bucket at a time. */
  const expected = (rows: OldRow[], channel: string) => {
    let sent: Histogram | null = null;
    let delivered: Histogram | null = null;
    for (const r of rows.filter((x) => x.channel === channel)) {
      if (r.kind === 1) sent = addSpan(sent, r.latency, [r.count]);
      else delivered = addSpan(delivered, r.latency, [r.count]);
    }
    const ms = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    return { sent: { p50: ms(quantile(sent, 0.5)), p95: ms(quantile(sent, 0.95)) }, delivered: { p50: ms(quantile(delivered, 0.5)), p95: ms(quantile(delivered, 0.95)) } };
  };
  // From the full tables, the ones this migration converts (a later one sums their minutes by channel).
  const ask = (interval: string) => runQuery(db.knex, tenantId, parseQuery({ from: '2030-06-01', to: '2030-06-02', interval, groupBy: 'channel' }, new Date('2030-06-02T00:00:00Z')), 'fine');

  it('converts each group of latency rows into one histogram row, answering the same figures at every interval', async () => {
    const applied = await migrate(db.knex, db.url, silentLog);
    expect(applied).to.deep.equal([NAME]);
    for (const level of ['minute', 'hour', 'day'] as const) {
      const groups = new Set(old[level].map((r) => `${r.bucket.toISOString()}|${r.channel}|${r.kind}`));
      const { rows } = await db.knex.raw(`select count(*)::int as n, sum((select sum(c) from unnest(counts) c))::int as latencies from analytics_latency_${level}`);
      expect(rows[0], level).to.deep.equal({ n: groups.size, latencies: old[level].reduce((s, r) => s + r.count, 0) });
      const answer = await ask(level);
      expect(answer.totals.map((x) => x.group)).to.deep.equal([{ channel: 'email' }, { channel: 'sms' }]);
      expect(answer.totals[0].latencyMs, level).to.deep.equal(expected(old[level], 'email'));
      expect(answer.totals[1].latencyMs, level).to.deep.equal(expected(old[level], 'sms'));
      const buckets = new Set(old[level].map((r) => `${r.bucket.toISOString()}|${r.channel}`));
      expect(answer.items, level).to.have.length(buckets.size);
    }
    const { sent, delivered } = (await ask('day')).totals[0].latencyMs;
    // Within a bucket's width (19 %) of the exact figures, as before.
    expect(sent.p50).to.be.within(505 / 1.19, 505 * 1.19);
    expect(delivered.p95).to.be.within(9550 / 1.19, 9550 * 1.19);
  });

  it('folds new latencies into the converted histograms', async () => {
    const before = await db.knex('analytics_latency_day').where({ tenant_id: tenantId, channel: 'sms', kind: 1 }).first('counts');
    await db.knex('analytics_deltas').insert({ tenant_id: tenantId, bucket: new Date('2030-06-01T12:05:00Z'), workflow_key: 'orders', channel: 'sms', provider: '', adapter: 'sandbox', variant: '', locale: 'en', sent: 1, sent_bucket: 3 });
    expect(await fold(db.knex)).to.equal(1);
    const { rows } = await db.knex.raw(`select array_lower(counts, 1) as lo, counts from analytics_latency_day where tenant_id = ? and channel = 'sms' and kind = 1`, [tenantId]);
    expect(rows).to.have.length(1);
    expect(rows[0].lo).to.equal(3);
    const total = (counts: Array<string | number>) => counts.map(Number).reduce((a, b) => a + b, 0);
    expect(total(rows[0].counts)).to.equal(total(before.counts) + 1);
  });

  it('goes back to one row per latency bucket (down), keeping every count', async () => {
    await histograms.down(db.knex);
    const rows = await db.knex('analytics_latency_hour').select(['tenant_id', 'bucket', ...DIMS, 'kind', 'latency', 'count']);
    const key = (r: OldRow) => `${new Date(r.bucket).toISOString()}|${r.channel}|${r.kind}|${r.latency}|${Number(r.count)}`;
    const oldHour = old.hour.map(key);
    // The latency folded by the test before, in the same hour as the history: one more row.
    expect(rows.map(key).sort()).to.deep.equal([...oldHour, `2030-06-01T12:00:00.000Z|sms|1|3|1`].sort());
    await histograms.up(db.knex);
    expect(await db.knex('analytics_latency_hour').count({ n: '*' }).first()).to.deep.equal({ n: new Set(rows.map((r: OldRow) => `${new Date(r.bucket).toISOString()}|${r.channel}|${r.kind}`)).size });
  });
});
