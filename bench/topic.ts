/**
 * Topic fan-out benchmark (not a test): `npm run bench:topic`.
 *
 * Starts Clarion (gateway + worker in one process) on a throwaway embedded PostgreSQL with no
 * provider, so the email channel goes to the sandbox outbox, fills a topic with
 * BENCH_TOPIC_SUBSCRIBERS (100,000) subscribers through `PUT /v1/topics/:key/subscribers` (10,000
 * ids a call), posts ONE event to `topic:<key>`, and reports:
 *  1. fan-out: the time from the POST until the last page is written (every notification, its
 *     delivery and its send job exist), as notifications per second;
 *  2. sends: the sandbox deliveries recorded during BENCH_TOPIC_DRAIN_SECONDS (20) after that,
 *     per second (the delivery stage's own rate; `npm run bench` measures it against SMTP).
 * CLARION_TOPIC_PAGE_SIZE (1000) sets the members per page.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { startClarion } from '../core/runtime.ts';
import { createTenant } from '../core/tenants.ts';

const subscribers = Number(process.env.BENCH_TOPIC_SUBSCRIBERS ?? 100_000);
const drainSeconds = Number(process.env.BENCH_TOPIC_DRAIN_SECONDS ?? 20);
const concurrency = process.env.CLARION_WORKER_CONCURRENCY ?? '20';

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-bench-topic-'));
  const config = loadConfig({
    ...process.env, CLARION_DATA_DIR: dataDir, PORT: '0', CLARION_LOG_LEVEL: 'error', CLARION_WORKER_CONCURRENCY: concurrency, CLARION_DB_POOL_MAX: '20', CLARION_DEFAULT_SANDBOX: 'true',
  });
  const clarion = await startClarion({ config, log: createLogger(process.env.BENCH_LOG_LEVEL ?? 'error') });
  const knex = clarion.database.knex;
  try {
    const { apiKey } = await createTenant(knex, { name: 'Bench', settings: { acceptUnvalidatedTypes: true } });
    const call = async (method: string, p: string, body: unknown, contentType = 'application/json'): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const res = await fetch(`${clarion.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json().catch(() => undefined);
    };
    await call('PUT', '/v1/workflows/bench.topic', { trigger: 'com.clarion.bench.topic', channels: ['email'], templates: { email: { subject: 'Payment due', text: 'Hello {{ subscriber.id }}' } } });
    await call('PUT', '/v1/topics/everyone', { name: 'Everyone' });
    // The subscribers themselves (with an email address each) are set up directly: not what is measured.
    const { tenantId } = await knex('tenants').where({ name: 'Bench' }).first({ tenantId: 'id' });
    await knex.raw(`insert into subscribers (tenant_id, external_id, email) select ?, 'user-' || i, 'user-' || i || '@bench.test' from generate_series(0, ? - 1) i`, [tenantId, subscribers]);
    const filling = performance.now();
    for (let from = 0; from < subscribers; from += 10_000) {
      const ids = Array.from({ length: Math.min(10_000, subscribers - from) }, (_, i) => `user-${from + i}`);
      await call('PUT', '/v1/topics/everyone/subscribers', { subscribers: ids });
    }
    console.log(`topic filled: ${subscribers} subscribers in ${((performance.now() - filling) / 1000).toFixed(1)} s (${subscribers / 10_000} calls of up to 10,000 ids)`);

    // 1. Fan-out: one event, until its last page is written.
    const started = performance.now();
    const accepted = await call('POST', '/v1/events', { specversion: '1.0', id: 'bench-topic-1', source: '/bench', type: 'com.clarion.bench.topic', data: { recipients: ['topic:everyone'] } }, 'application/cloudevents+json');
    const eventId = accepted.accepted[0].eventId as string;
    let fanOut: { running: number; notifications: number; pages: number; streams: number };
    for (;;) {
      fanOut = (await knex('topic_fan_outs').where({ event_id: eventId }).first(knex.raw("count(*) filter (where status = 'running')::int as running"), knex.raw('coalesce(sum(notifications), 0)::int as notifications'), knex.raw('coalesce(sum(pages), 0)::int as pages'), knex.raw('count(*)::int as streams')))!;
      if (fanOut.streams > 0 && fanOut.running === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const s = (performance.now() - started) / 1000;
    const sentDuring = Number((await knex('deliveries').whereIn('status', ['sent', 'delivered']).count({ n: '*' }).first())!.n);
    console.log(`fan-out of one event to ${subscribers} subscribers: ${fanOut.notifications} notifications in ${fanOut.pages} pages over ${fanOut.streams} streams, ${s.toFixed(1)} s = ${(fanOut.notifications / s).toFixed(0)} notifications/s (goal 5,000/s; ${sentDuring} already sent meanwhile)`);

    // 2. Sends to the sandbox for a while after.
    if (drainSeconds > 0) {
      const count = async () => Number((await knex('outbox_messages').count({ n: '*' }).first())!.n);
      const before = await count();
      const from = performance.now();
      await new Promise((r) => setTimeout(r, drainSeconds * 1000));
      const sent = (await count()) - before;
      console.log(`sandbox sends over the next ${drainSeconds} s: ${sent} = ${(sent / ((performance.now() - from) / 1000)).toFixed(0)} deliveries/s`);
    }
  } finally {
    await clarion.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
