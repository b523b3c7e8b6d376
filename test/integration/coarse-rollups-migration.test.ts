import { expect } from 'chai';
import type { Knex } from 'knex';
import { parseQuery, rollupOf, runQuery } from '../../core/analytics/queries.ts';
import { fold } from '../../core/analytics/rollups.ts';
import * as coarse from '../../migrations/20261219000000_analytics_coarse_rollups.ts';
import * as channelMinutes from '../../migrations/20261220000000_analytics_channel_minutes.ts';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';

const TABLES = ['analytics_coarse_hour', 'analytics_coarse_day', 'analytics_latency_coarse_hour', 'analytics_latency_coarse_day'];
const CHANNEL_TABLES = ['analytics_channel_minute', 'analytics_latency_channel_minute'];

/**
 * The coarse rollups' migration: a database upgraded with history gets coarse tables holding what
 * the fold would have put in them (the same rows), answering the same figures as the full tables;
 * folding goes on into both; `down` drops them and leaves the full tables as they were.
 */
describe('coarse rollups: the migration (integration)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let tenantId: string;

  /** Deltas over two days and hours: two channels, three providers, two workflows, variants, locales, reasons, a cost, latencies. */
  const deltas = (day: number) => {
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const channel = i % 3 === 0 ? 'sms' : 'email';
      rows.push({
        tenant_id: tenantId, bucket: new Date(Date.UTC(2030, 5, day, 10 + (i % 2), i % 60)), workflow_key: i % 4 === 0 ? 'promo' : 'orders', channel,
        provider: channel === 'sms' ? 'p-sms' : `p-email-${i % 2}`, adapter: channel === 'sms' ? 'twilio-sms' : 'smtp', variant: i % 4 === 0 ? (i % 8 === 0 ? 'A' : 'B') : '', locale: i % 5 === 0 ? 'fr' : 'en',
        deliveries: 1, sent: i % 7 === 0 ? 0 : 1, failed: i % 7 === 0 ? 1 : 0, delivered: i % 2, finished: 1, attempts: 1 + (i % 3 === 0 ? 1 : 0),
        cost: channel === 'sms' ? 0.0079 : 0, currency: channel === 'sms' ? 'USD' : '', sent_bucket: i % 7 === 0 ? null : 20 + (i % 11), delivered_bucket: i % 2 === 1 ? 30 + (i % 13) : null,
      });
      if (i % 6 === 0) rows.push({ tenant_id: tenantId, bucket: new Date(Date.UTC(2030, 5, day, 10, i)), workflow_key: 'orders', reason: i % 12 === 0 ? 'duplicate' : 'opted_out', notifications: 1, suppressed: 1 });
    }
    return rows;
  };
  const snapshot = async (tables = TABLES) => {
    const all: Record<string, unknown[]> = {};
    for (const table of tables) {
      const { rows } = await db.knex.raw(`select *, ${table.includes('latency') ? 'array_lower(counts, 1) as lo' : 'null as lo'} from ${table} order by 1, 2, 3, 4, 5, 6${table.includes('latency') ? '' : ', 7'}`);
      all[table] = rows;
    }
    return all;
  };
  const questions = () => {
    const all = [];
    for (const interval of ['hour', 'day']) {
      for (const question of [{}, { groupBy: 'workflow,variant,locale' }, { groupBy: 'locale', workflow: 'orders' }]) {
        all.push(parseQuery({ from: '2030-06-01', to: '2030-06-04', interval, ...question }, new Date('2030-06-04T00:00:00Z')));
      }
    }
    return all;
  };
  /** By minute (three days: 4,320 buckets), by channel or nothing. */
  const minuteQuestions = () =>
    [{}, { groupBy: 'channel' }, { channel: 'sms' }].map((question) => parseQuery({ from: '2030-06-01', to: '2030-06-04', interval: 'minute', ...question }, new Date('2030-06-04T00:00:00Z')));
  const sameFromBoth = async () => {
    for (const [q, rollup] of [...questions().map((q) => [q, 'coarse'] as const), ...minuteQuestions().map((q) => [q, 'channel'] as const)]) {
      expect(rollupOf(q)).to.equal(rollup);
      const answer = await runQuery(db.knex, tenantId, q);
      expect(answer.items, JSON.stringify(q)).to.not.be.empty;
      expect(answer, JSON.stringify(q)).to.deep.equal(await runQuery(db.knex, tenantId, q, 'fine'));
    }
  };

  before(async () => {
    db = await freshDatabase();
    [{ id: tenantId }] = await db.knex('tenants').insert({ name: 'History' }).returning('id');
    await db.knex('analytics_deltas').insert(deltas(1));
    await db.knex('analytics_deltas').insert(deltas(2));
    expect(await fold(db.knex)).to.equal(2 * deltas(1).length);
  });
  after(async () => {
    await db?.drop();
  });

  /** The full tables' rows (a counters table and a latency one), in a stable order. */
  const fullRows = async (counters: string, latency: string) => ({
    counters: await db.knex(counters).orderBy(['bucket', 'channel', 'provider', 'workflow_key', 'variant', 'locale', 'reason']),
    latency: await db.knex(latency).orderBy(['bucket', 'channel', 'provider', 'workflow_key', 'variant', 'locale', 'kind']),
  });
  /**
   * A migration's `down` drops its tables and leaves the full ones as they were; its `up` fills
   * its tables from them with the rows the fold had made, answering as the full tables do.
   */
  const roundTrip = async (migration: { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }, tables: string[], full: [string, string]) => {
    const folded = await snapshot(tables);
    for (const table of tables) expect(folded[table], table).to.not.be.empty;
    await sameFromBoth();
    const fullBefore = await fullRows(...full);

    await migration.down(db.knex);
    const { rows } = await db.knex.raw(`select count(*)::int as n from information_schema.tables where table_name = any(?)`, [tables]);
    expect(rows[0].n).to.equal(0);
    expect(await fullRows(...full)).to.deep.equal(fullBefore);

    await db.knex.transaction((trx) => migration.up(trx));
    expect(await snapshot(tables)).to.deep.equal(folded);
    await sameFromBoth();
  };

  it('fills the coarse tables from the history in the full ones: the rows the fold made', async () => {
    await roundTrip(coarse, TABLES, ['analytics_day', 'analytics_latency_hour']);
  });

  it('fills the channel minute tables from the history in the full minute tables: the rows the fold made', async () => {
    await roundTrip(channelMinutes, CHANNEL_TABLES, ['analytics_minute', 'analytics_latency_minute']);
  });

  it('folds into the converted tables', async () => {
    await db.knex('analytics_deltas').insert(deltas(3));
    expect(await fold(db.knex)).to.equal(deltas(3).length);
    await sameFromBoth();
    const answer = await runQuery(db.knex, tenantId, parseQuery({ from: '2030-06-01', to: '2030-06-04', interval: 'day' }, new Date('2030-06-04T00:00:00Z')));
    expect(answer.items).to.have.length(3);
    expect(answer.totals[0]).to.deep.include({ deliveries: 180, notifications: 30, suppressed: 30, suppressedByReason: { duplicate: 15, opted_out: 15 } });
    expect(answer.totals[0].cost).to.deep.equal({ USD: 0.474 });
  });
});
