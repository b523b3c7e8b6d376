/**
 * Analytics benchmark (not a test): `npm run bench:analytics`.
 *
 * Starts Clarion (gateway + worker) on a throwaway embedded PostgreSQL, then:
 *  1. seeds BENCH_DELIVERIES (10,000,000) deliveries of one tenant over BENCH_DAYS (30) days ending
 *     now, with generate_series (8 notifications for every 10 deliveries, an event per 80
 *     notifications; email, SMS and push through five providers; outcomes, latencies, opens, clicks,
 *     two template variants, three locales), the raw rows only;
 *  2. counts them into the rollups the way the triggers would have (`clarion_analytics_rebuild`,
 *     then the fold), and reports how fast;
 *  3. times typical questions through `GET /v1/analytics` (BENCH_REPEAT (7) runs each after one
 *     warm-up: median and max) beside the 200 ms ceiling, and one of them answered from the raw
 *     rows instead, the baseline the rollups replace; then again with a burst's worth of deltas not
 *     yet folded;
 *  4. measures what keeping the rollups costs the send path: bursts of BENCH_SEND_BURST (3000)
 *     events through a local SMTP sink, BENCH_ROUNDS (11) rounds each of one burst with the
 *     analytics triggers and one without (in alternating order): each burst's rate and the
 *     machine's CPU time per delivery (the fold of its deltas included), the median of the
 *     rounds' costs beside the 5 % ceiling; and the database time of one delivery status change
 *     with and without them. Linux only (/proc/stat).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { fold } from '../core/analytics/rollups.ts';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { startClarion } from '../core/runtime.ts';
import { createTenant } from '../core/tenants.ts';
import { SmtpSink } from '../test/support/smtp.ts';

const TOTAL = Number(process.env.BENCH_DELIVERIES ?? 10_000_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const BURST = Number(process.env.BENCH_SEND_BURST ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const CHUNK = 1_000_000;
const CEILING_MS = 200;
const TRIGGERS = ['deliveries_analytics_created on deliveries', 'deliveries_analytics_changed on deliveries', 'notifications_analytics_created on notifications', 'notifications_analytics_suppressed on notifications'];

/** The machine's busy CPU time so far, in ms (all cores; /proc/stat: user, nice, system, irq, softirq, steal). */
function busyMs(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu.split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS;
}
/** USER_HZ, the unit of /proc/stat: 100 on Linux whatever the kernel's own tick. */
const CLOCK_TICKS = 100;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Deterministic, ordered ids (appending to the primary key index rather than scattering). */
const ID = (prefix: string, expr: string) => `('${prefix}' || lpad(to_hex(${expr}), 12, '0'))::uuid`;

async function seed(knex: Knex, tenantId: string, providers: Record<string, string>): Promise<void> {
  const notifications = Math.floor(TOTAL * 0.8);
  const suppressed = Math.floor(notifications / 32);
  const events = Math.ceil((notifications + suppressed) / 80);
  const spanMs = DAYS * 86_400_000;
  const start = new Date(Date.now() - spanMs);
  const at = (index: string, count: number) => `?::timestamptz + ((${index})::float8 * ${spanMs} / ${count}) * interval '1 ms'`;
  // Raw rows only, without the triggers (the rebuild below counts them) or foreign key checks.
  const raw = (sql: string, bindings: Knex.RawBinding[]) =>
    knex.transaction(async (trx) => {
      await trx.raw('set local session_replication_role = replica');
      await trx.raw(sql, bindings);
    });
  const started = performance.now();
  await raw(
    `insert into events (id, tenant_id, ce_id, source, type, specversion, status, received_at, processed_at)
     select ${ID('e0000000-0000-4000-8000-', 'g')}, ?, 'bench-' || g, '/bench', 'com.clarion.bench', '1.0', 'processed', ${at('g', events)}, ${at('g', events)}
       from generate_series(0, ?) g`,
    [tenantId, start, start, events - 1],
  );
  const workflows = `(array['orders', 'promo', 'alerts', 'digest', 'security'])[1 + (n % 5)]`;
  for (let from = 0; from < notifications + suppressed; from += CHUNK) {
    const to = Math.min(notifications + suppressed, from + CHUNK) - 1;
    await raw(
      `insert into notifications (id, tenant_id, event_id, workflow_key, status, decisions, created_at, updated_at)
       select ${ID('10000000-0000-4000-8000-', 'n')}, ?, ${ID('e0000000-0000-4000-8000-', 'n / 80')}, ${workflows},
              case when n >= ? then 'suppressed' else 'sent' end,
              case when n >= ? then jsonb_build_array(jsonb_build_object('plugin', 'preferences', 'decision', 'suppress', 'reason', (array['opted_out', 'duplicate', 'rate_limited'])[1 + n % 3])) else '[]'::jsonb end,
              ${at('n / 80', events)} + interval '40 ms', now()
         from generate_series(?::bigint, ?::bigint) n`,
      [tenantId, notifications, notifications, start, from, to],
    );
  }
  for (let from = 0; from < TOTAL; from += CHUNK) {
    const to = Math.min(TOTAL, from + CHUNK) - 1;
    await raw(
      `insert into deliveries (id, tenant_id, notification_id, channel, provider_config_id, adapter, status, attempt_count, idempotency_key,
                               created_at, updated_at, sent_at, delivered_at, opened_at, clicked_at, locale, variant)
       select id, ?, notification_id, channel, provider::uuid, adapter, status, attempts, 'bench-' || d, created_at, now(),
              sent_at, case when status = 'delivered' then sent_at + r3 * interval '5 s' end,
              case when channel = 'email' and sent_at is not null and r4 < 0.25 then sent_at + interval '1 hour' end,
              case when channel = 'email' and sent_at is not null and r4 < (case when variant = 'B' then 0.08 else 0.04 end) then sent_at + interval '1 hour 1 minute' end,
              locale, variant
         from (
           select *, case when status = 'failed' then null else created_at + (base + base * r3) * interval '1 ms' end as sent_at
             from (
               select d, id, notification_id, channel, created_at, r3, r4, locale,
                      case when workflow = 'promo' and channel = 'email' then case when r1 < 0.5 then 'A' else 'B' end end as variant,
                      case channel when 'email' then case when r1 < 0.7 then ? else ? end when 'sms' then case when r1 < 0.5 then ? else ? end else ? end as provider,
                      case channel when 'email' then 'smtp' when 'sms' then case when r1 < 0.5 then 'twilio-sms' else 'vonage-sms' end else 'fcm' end as adapter,
                      case channel when 'email' then case when r1 < 0.7 then 80 else 200 end when 'sms' then case when r1 < 0.5 then 400 else 600 end else 150 end as base,
                      case when r2 < 0.02 then 'failed' when r2 < 0.03 then 'bounced' when r2 < 0.55 then 'delivered' else 'sent' end as status,
                      case when r3 > 0.95 then 2 else 1 end as attempts
                 from (
                   select d, ${ID('d0000000-0000-4000-8000-', 'd')} as id, ${ID('10000000-0000-4000-8000-', 'n')} as notification_id,
                          case when n = (d - 1) * 4 / 5 then 'sms' when d % 10 < 6 then 'email' when d % 10 < 9 then 'sms' else 'push' end as channel,
                          ${workflows} as workflow, (array['en', 'fr', 'de'])[1 + (n % 3)] as locale,
                          ${at('n / 80', events)} + interval '50 ms' as created_at,
                          random() as r1, random() as r2, random() as r3, random() as r4
                     from (select d, d * 4 / 5 as n from generate_series(?::bigint, ?::bigint) d) s
                 ) x
             ) y
         ) z`,
      [tenantId, providers.emailA, providers.emailB, providers.smsA, providers.smsB, providers.push, start, from, to],
    );
    process.stdout.write(`\r  seeded ${(to + 1).toLocaleString('en')} deliveries`);
  }
  await knex.raw('analyze events; analyze notifications; analyze deliveries');
  console.log(`\rseeded ${TOTAL.toLocaleString('en')} deliveries, ${(notifications + suppressed).toLocaleString('en')} notifications (${suppressed.toLocaleString('en')} suppressed), ${events.toLocaleString('en')} events over ${DAYS} days in ${seconds(performance.now() - started)}`);
}

async function timeQuery(url: string, apiKey: string, query: string): Promise<{ median: number; max: number; items: number; groups: number }> {
  const get = async () => {
    const started = performance.now();
    const res = await fetch(`${url}/v1/analytics?${query}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = (await res.json()) as { items: unknown[]; totals: unknown[] };
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, body };
  };
  await get();
  const times: number[] = [];
  let last;
  for (let i = 0; i < REPEAT; i++) {
    last = await get();
    times.push(last.ms);
  }
  return { median: median(times), max: Math.max(...times), items: last!.body.items.length, groups: last!.body.totals.length };
}

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-bench-analytics-'));
  const sink = new SmtpSink();
  await sink.start();
  const settings = process.env.CLARION_EMBEDDED_POSTGRES_SETTINGS ?? 'shared_buffers=1GB work_mem=64MB maintenance_work_mem=512MB max_wal_size=8GB checkpoint_timeout=30min';
  const config = loadConfig({ ...process.env, CLARION_DATA_DIR: dataDir, PORT: '0', CLARION_LOG_LEVEL: 'error', CLARION_WORKER_CONCURRENCY: '20', CLARION_DB_POOL_MAX: '20', CLARION_EMBEDDED_POSTGRES_SETTINGS: settings });
  const clarion = await startClarion({ config, log: createLogger('error') });
  const knex = clarion.database.knex;
  const url = clarion.url!;
  try {
    const big = await createTenant(knex, { name: 'Analytics', settings: { acceptUnvalidatedTypes: true } });
    const providers: Record<string, string> = {};
    for (const [name, channel, adapter] of [['emailA', 'email', 'smtp'], ['emailB', 'email', 'smtp'], ['smsA', 'sms', 'twilio-sms'], ['smsB', 'sms', 'vonage-sms'], ['push', 'push', 'fcm']]) {
      const [row] = await knex('provider_configs').insert({ tenant_id: big.tenant.id, channel, adapter, name, config_encrypted: '{}' }).returning('id');
      providers[name] = row.id;
    }

    // 1-2. Raw rows, then the rollups.
    await seed(knex, big.tenant.id, providers);
    {
      const started = performance.now();
      const { rows } = await knex.raw(`select clarion_analytics_rebuild('-infinity', 'infinity') as n`);
      const appended = performance.now() - started;
      const folding = performance.now();
      const moved = await fold(knex, 1_000_000);
      const folded = performance.now() - folding;
      const { rows: sizes } = await knex.raw(`select relname, n_live_tup as rows, pg_size_pretty(pg_total_relation_size(relid)) as size from pg_stat_user_tables where relname like 'analytics_%' or relname = 'deliveries' order by relname`);
      console.log(`rebuild: ${Number(rows[0].n).toLocaleString('en')} deliveries as ${moved.toLocaleString('en')} deltas in ${seconds(appended)}, folded in ${seconds(folded)} (${Math.round(moved / (folded / 1000)).toLocaleString('en')} deltas/s)`);
      // A database that has run a while has had its tables vacuumed by autovacuum; a freshly seeded
      // one has not, and autovacuum would start on its 10 million rows in the middle of the timings
      // below (one quiet run's day by minute took twice the next one's). Vacuum it all now.
      const vacuuming = performance.now();
      await knex.raw('vacuum (analyze) events, notifications, deliveries, analytics_minute, analytics_hour, analytics_day, analytics_coarse_hour, analytics_coarse_day, analytics_latency_minute, analytics_latency_hour, analytics_latency_day, analytics_latency_coarse_hour, analytics_latency_coarse_day, analytics_deltas');
      await knex.raw('checkpoint');
      console.log(`vacuumed and analysed in ${seconds(performance.now() - vacuuming)}`);
      for (const s of sizes) console.log(`  ${s.relname}: ${Number(s.rows).toLocaleString('en')} rows, ${s.size}`);
    }

    // 3. Typical questions, through the API.
    const day = 86_400_000;
    const iso = (ms: number) => new Date(Date.now() - ms).toISOString();
    const questions: Array<[string, string]> = [
      ['which provider delivered fastest last week, at what cost (day, by provider)', `interval=day&groupBy=provider&from=${iso(7 * day)}`],
      ['which template variant got more clicks (30 days by day, promo, by variant)', `interval=day&groupBy=variant&workflow=promo&from=${iso(30 * day)}`],
      ['dashboard: last 24 h by hour, by channel', `interval=hour&groupBy=channel&from=${iso(day)}`],
      ['dashboard: last hour by minute', `interval=minute&from=${iso(3_600_000)}`],
      ['30 days by day, by workflow, channel and provider', `interval=day&groupBy=workflow,channel,provider&from=${iso(30 * day)}`],
      ['a week by hour, by workflow and locale', `interval=hour&groupBy=workflow,locale&from=${iso(7 * day)}`],
      ['worst case: a whole day by minute, by channel (1440 buckets)', `interval=minute&groupBy=channel&from=${iso(day)}`],
    ];
    console.log(`queries over ${TOTAL.toLocaleString('en')} deliveries (${REPEAT} runs after a warm-up; ceiling ${CEILING_MS} ms):`);
    for (const [name, query] of questions) {
      const r = await timeQuery(url, big.apiKey, query);
      console.log(`  ${name}: median ${r.median.toFixed(1)} ms, max ${r.max.toFixed(1)} ms (${r.items} items, ${r.groups} groups) ${r.median <= CEILING_MS ? 'under' : 'OVER'} the ${CEILING_MS} ms ceiling`);
    }
    {
      // The baseline: the first question answered from the raw rows.
      const started = performance.now();
      await knex.raw(
        `select d.provider_config_id, date_trunc('day', d.created_at, 'UTC'), count(*), count(d.sent_at), count(*) filter (where d.status in ('delivered', 'read')),
                percentile_cont(0.5) within group (order by extract(epoch from d.sent_at - e.received_at)),
                percentile_cont(0.95) within group (order by extract(epoch from d.sent_at - e.received_at))
           from deliveries d join notifications n on n.id = d.notification_id join events e on e.id = n.event_id
          where d.tenant_id = ? and d.created_at >= ? group by 1, 2`,
        [big.tenant.id, iso(7 * day)],
      );
      console.log(`  baseline, the first question from the raw rows (a scan of a week of deliveries): ${(performance.now() - started).toFixed(0)} ms`);
    }
    {
      // A burst's worth of changes not folded yet (a minute at 1.3 M deliveries an hour, 3 changes each).
      const pending = 66_000;
      await knex.raw(
        `insert into analytics_deltas (tenant_id, bucket, workflow_key, channel, provider, adapter, sent, finished, attempts, sent_bucket)
         select ?, date_trunc('minute', now(), 'UTC'), 'orders', 'email', ?, 'smtp', 1, 1, 1, clarion_latency_bucket(50 + random() * 200) from generate_series(1, ?)`,
        [big.tenant.id, providers.emailA, pending],
      );
      const r = await timeQuery(url, big.apiKey, questions[0][1]);
      console.log(`  the first question with ${pending.toLocaleString('en')} deltas not yet folded: median ${r.median.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`);
      const started = performance.now();
      const moved = await fold(knex);
      console.log(`  folding them: ${moved.toLocaleString('en')} deltas in ${(performance.now() - started).toFixed(0)} ms`);
    }

    // 4. The send path with and without the rollups' triggers.
    const small = await createTenant(knex, { name: 'Send', settings: { acceptUnvalidatedTypes: true } });
    const call = (method: string, p: string, body: unknown, contentType = 'application/json') =>
      fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${small.apiKey}`, 'content-type': contentType }, body: JSON.stringify(body) });
    await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'bench@clarion.test', maxConnections: 10 } });
    await call('PUT', '/v1/workflows/bench', { trigger: 'com.clarion.bench', channels: ['email'], templates: { email: { subject: 'bench {{ data.n }}', text: 'Hello {{ subscriber.name }}' } } });
    const triggers = async (on: boolean) => {
      for (const t of TRIGGERS) await knex.raw(`alter table ${t.split(' on ')[1]} ${on ? 'enable' : 'disable'} trigger ${t.split(' on ')[0]}`);
    };
    let n = 0;
    // A burst's rate, and the machine's CPU time per delivery it took: the bursts are CPU-bound
    // (gateway, worker, PostgreSQL and the sink share two cores), so what the rollups cost the
    // throughput is what they add to that time, a figure far steadier than the rates themselves
    // (which a burst's batching and the database's checkpoints move by 10-20 %). With the
    // triggers on, the burst's deltas are folded before the CPU time is read: the fold's work
    // is part of the cost, whenever its cron would have run.
    const burst = async (on: boolean) => {
      const cpuBefore = busyMs();
      const before = sink.received.length;
      const started = performance.now();
      for (let i = 0; i < BURST; i += 100) {
        const batch = Array.from({ length: Math.min(100, BURST - i) }, () => {
          n++;
          return { specversion: '1.0', id: `send-${n}`, source: '/bench', type: 'com.clarion.bench', data: { n, recipients: [{ id: `user-${n % 500}`, email: `user-${n % 500}@bench.test`, name: 'Bench' }] } };
        });
        const res = await call('POST', '/v1/events', batch, 'application/cloudevents-batch+json');
        if (res.status !== 202) throw new Error(`batch refused: ${res.status}`);
      }
      while (sink.received.length - before < BURST) await new Promise((r) => setTimeout(r, 20));
      const rate = BURST / ((performance.now() - started) / 1000);
      if (on) await fold(knex);
      return { rate, cpuMs: (busyMs() - cpuBefore) / BURST };
    };
    await triggers(true);
    await burst(true); // warm-up: connections, compiled code, the SMTP pool
    // Each round runs one burst without the triggers and one with, in alternating order, and gives
    // the ratio of the two: a drift of the machine over the run (a checkpoint, another process)
    // moves both bursts of a round alike, where comparing the medians of all bursts mixes it in.
    const runs: Record<'off' | 'on', Array<{ rate: number; cpuMs: number }>> = { off: [], on: [] };
    const rateCosts: number[] = [];
    const cpuCosts: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of (round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as Array<'off' | 'on'>) {
        await triggers(mode === 'on');
        runs[mode].push(await burst(mode === 'on'));
      }
      rateCosts.push((1 - runs.on[round].rate / runs.off[round].rate) * 100);
      // Throughput bound by CPU goes as 1 / (CPU time per delivery).
      cpuCosts.push((1 - runs.off[round].cpuMs / runs.on[round].cpuMs) * 100);
      process.stdout.write(`\r  send path: round ${round + 1} of ${ROUNDS}`);
    }
    await triggers(true);
    const spread = (costs: number[]) => {
      const sorted = [...costs].sort((a, b) => a - b);
      return `median ${median(costs).toFixed(1)} % (middle half ${sorted[Math.floor(ROUNDS / 4)].toFixed(1)} to ${sorted[Math.floor((3 * ROUNDS) / 4)].toFixed(1)} %)`;
    };
    const list = (values: number[], digits = 0) => values.map((v) => v.toFixed(digits)).join(', ');
    const cost = median(cpuCosts);
    console.log(`\rsend path, bursts of ${BURST} events (${ROUNDS} rounds, alternating):`);
    console.log(`  deliveries/s without the rollups ${list(runs.off.map((r) => r.rate))} (median ${median(runs.off.map((r) => r.rate)).toFixed(0)}), with ${list(runs.on.map((r) => r.rate))} (median ${median(runs.on.map((r) => r.rate)).toFixed(0)}); the rounds' cost ${spread(rateCosts)}`);
    console.log(`  machine CPU per delivery without ${list(runs.off.map((r) => r.cpuMs), 2)} ms (median ${median(runs.off.map((r) => r.cpuMs)).toFixed(2)}), with (the fold included) ${list(runs.on.map((r) => r.cpuMs), 2)} ms (median ${median(runs.on.map((r) => r.cpuMs)).toFixed(2)})`);
    console.log(`  cost of the rollups to the CPU-bound throughput: ${spread(cpuCosts)}, ceiling 5 %: ${cost <= 5 ? 'under' : 'OVER'}`);

    // The database time of one status change (pending -> sent), with and without the triggers.
    {
      const rows = 20_000;
      const [{ id: eventId }] = await knex('events').insert({ tenant_id: small.tenant.id, ce_id: 'micro', source: '/bench', type: 'com.clarion.bench', specversion: '1.0' }).returning('id');
      const micro = async (on: boolean) => {
        await triggers(on);
        await knex.raw(
          `with n as (insert into notifications (tenant_id, event_id, workflow_key) select ?, ?, 'bench' from generate_series(1, ?) returning id, tenant_id)
           insert into deliveries (tenant_id, notification_id, channel, idempotency_key) select tenant_id, id, 'email', 'micro-' || id from n`,
          [small.tenant.id, eventId, rows],
        );
        await knex.raw(
          `do $$ declare d record; begin
             for d in select id from deliveries where tenant_id = '${small.tenant.id}' and status = 'pending' and idempotency_key like 'micro-%' loop
               update deliveries set status = 'sent', sent_at = now(), attempt_count = 1, updated_at = now() where id = d.id;
             end loop; end $$`,
        );
      };
      const time = async (on: boolean) => {
        const started = performance.now();
        await micro(on);
        return performance.now() - started;
      };
      await time(false);
      const offMs = await time(false);
      const onMs = await time(true);
      await triggers(true);
      await fold(knex);
      console.log(`one delivery status change in the database (insert and update, ${rows.toLocaleString('en')} of each): ${((offMs / rows) * 1000).toFixed(0)} µs without the rollups' triggers, ${((onMs / rows) * 1000).toFixed(0)} µs with`);
    }
  } finally {
    await clarion.stop();
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
