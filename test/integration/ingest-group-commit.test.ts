import { expect } from 'chai';
import request from 'supertest';
import pg from 'pg';
import { fanOutEntries, testApp, type TestApp } from '../support/clarion.ts';
import { ManualTimers } from '../support/clock.ts';
import { findTenant, type TenantRow } from '../../core/tenants.ts';

const ORDER_SCHEMA = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: { orderId: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
};

function structured(id: string, data: unknown = { orderId: 'A-1', amount: 1 }) {
  return { specversion: '1.0', id, source: '/orders', type: 'com.acme.order.shipped', data };
}

/**
 * Group commit at ingest (core/ingest/group-commit.ts). The window's timer is the test's
 * (ManualTimers): a group is written when the test fires it or when it is full, never by the
 * passing of time, so what ends up in which statement is decided here.
 */
describe('ingest group commit (integration)', () => {
  let t: TestApp;
  let timers: ManualTimers;
  let key: string;
  let tenantId: string;

  before(async () => {
    timers = new ManualTimers();
    // Groups of at most 4; at most 6 events queued. The window never passes by itself.
    t = await testApp({ timers, env: { CLARION_INGEST_GROUP_WINDOW_MS: '2', CLARION_INGEST_GROUP_MAX: '4', CLARION_INGEST_QUEUE_MAX: '6' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
    await request(t.callback).put('/v1/contracts/com.acme.order.shipped').set('authorization', `Bearer ${key}`).send(ORDER_SCHEMA).expect(201);
  });
  after(() => t.close());

  /** Sends at once (a supertest request is sent only when awaited). */
  const post = (body: unknown, apiKey = key): Promise<request.Response> =>
    Promise.resolve(request(t.callback).post('/v1/events').set('authorization', `Bearer ${apiKey}`).set('content-type', 'application/cloudevents+json').send(JSON.stringify(body)));

  /** The transaction id that wrote each event: one id, one statement and one commit. */
  async function writers(ceIds: string[]): Promise<Map<string, string>> {
    const rows: Array<{ ce_id: string; xmin: string }> = await t.db.knex('events').whereIn('ce_id', ceIds).select('ce_id', t.db.knex.raw('xmin::text as xmin'));
    return new Map(rows.map((r) => [r.ce_id, r.xmin]));
  }

  /** Sends the requests, waits until all of them wait in the open group, then fires the window. */
  async function inOneWindow(requests: Array<Promise<request.Response>>): Promise<request.Response[]> {
    await t.services.ingest.queue.whenWaiting(requests.length);
    timers.fireAll();
    return Promise.all(requests);
  }

  it('writes concurrent single events in one statement and one commit, and answers each with its own event', async () => {
    const answers = await inOneWindow([post(structured('group-a')), post(structured('group-b')), post(structured('group-c'))]);
    for (const [i, id] of ['group-a', 'group-b', 'group-c'].entries()) {
      expect(answers[i].status).to.equal(202);
      expect(answers[i].body.accepted).to.have.length(1);
      expect(answers[i].body.accepted[0]).to.include({ id, source: '/orders' });
      expect(answers[i].body.duplicates).to.deep.equal([]);
    }
    const xmins = await writers(['group-a', 'group-b', 'group-c']);
    expect(xmins.size).to.equal(3);
    expect(new Set(xmins.values()).size).to.equal(1);
    // Each event got its own fan-out entry (the group's process_events job), in the same statement.
    const eventIds = answers.map((a) => a.body.accepted[0].eventId);
    const jobs = (await fanOutEntries(t.db.knex)).filter((j) => eventIds.includes(j.eventId));
    expect(jobs.map((j) => j.eventId).sort()).to.deep.equal([...eventIds].sort());
    expect(t.services.ingest.queue.queued).to.equal(0);
  });

  it('writes a full group at once, without waiting for the window', async () => {
    const ids = ['full-1', 'full-2', 'full-3', 'full-4'];
    const answers = await Promise.all(ids.map((id) => post(structured(id))));
    expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202, 202]);
    expect(new Set((await writers(ids)).values()).size).to.equal(1);
    // The window's timer was cancelled with the group that filled.
    expect(timers.pending).to.equal(0);
  });

  it('answers an event that fails its contract on its own, and stores the others of its window', async () => {
    const ok1 = post(structured('contract-ok-1'));
    const bad = post(structured('contract-bad', { orderId: 'A-1', amount: -5 }));
    const ok2 = post(structured('contract-ok-2'));
    // The invalid event is refused before it joins a group, while the others still wait.
    const refused = await bad;
    expect(refused.status).to.equal(422);
    expect(refused.body.code).to.equal('CLARION_ERR_INGEST_DATA_INVALID');
    const answers = await inOneWindow([ok1, ok2]);
    expect(answers.map((a) => a.status)).to.deep.equal([202, 202]);
    const xmins = await writers(['contract-ok-1', 'contract-ok-2', 'contract-bad']);
    expect([...xmins.keys()].sort()).to.deep.equal(['contract-ok-1', 'contract-ok-2']);
    expect(new Set(xmins.values()).size).to.equal(1);
  });

  it('stores the rest of a group when the database refuses one of its events', async () => {
    // A tenant deleted while its event waited for the window: the foreign key fails the group's
    // statement; each event is then written alone, and only that one fails.
    const tenant = (await findTenant(t.db.knex, tenantId))!;
    const gone: TenantRow = { ...tenant, id: '00000000-0000-4000-8000-000000000000', settings: { ...tenant.settings, acceptUnvalidatedTypes: true } };
    const ingest = t.services.ingest;
    const good = [1, 2, 3].map((n) => ingest.ingest(tenant, 'structured', [{ ...structured(`fk-ok-${n}`), extensions: {} }]));
    const doomed = ingest.ingest(gone, 'structured', [{ ...structured('fk-bad'), type: 'com.acme.untyped', extensions: {} }]);
    const outcomes = Promise.allSettled([...good, doomed]);
    await ingest.queue.whenWaiting(4);
    const settled = await outcomes; // four fill the group: it is written at once
    expect(settled.slice(0, 3).map((s) => s.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(settled[3].status).to.equal('rejected');
    expect(String((settled[3] as PromiseRejectedResult).reason)).to.match(/foreign key/);
    const xmins = await writers(['fk-ok-1', 'fk-ok-2', 'fk-ok-3', 'fk-bad']);
    expect([...xmins.keys()].sort()).to.deep.equal(['fk-ok-1', 'fk-ok-2', 'fk-ok-3']);
    // Written alone after the group failed: three transactions.
    expect(new Set(xmins.values()).size).to.equal(3);
    expect(ingest.queue.queued).to.equal(0);
  });

  it('reports a resend inside one group as a duplicate of the event stored by the first', async () => {
    const answers = await inOneWindow([post(structured('dup-in-group')), post(structured('dup-in-group')), post(structured('dup-in-group-other'))]);
    expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202]);
    // Which of the two requests is first in the group is the order they reached it.
    const [stored, resent] = answers[0].body.accepted.length === 1 ? [answers[0], answers[1]] : [answers[1], answers[0]];
    expect(stored.body.accepted).to.have.length(1);
    expect(stored.body.duplicates).to.deep.equal([]);
    const eventId = stored.body.accepted[0].eventId;
    expect(resent.body).to.deep.equal({ accepted: [], duplicates: [{ id: 'dup-in-group', source: '/orders', eventId }] });
    expect(answers[2].body.accepted).to.have.length(1);
    const jobs = (await fanOutEntries(t.db.knex)).filter((j) => j.eventId === eventId);
    expect(jobs).to.have.length(1);
    expect(await t.db.knex('events').where({ ce_id: 'dup-in-group' }).count<{ count: number }[]>('* as count')).to.deep.equal([{ count: 1 }]);
  });

  it('reports a resend in a later group as a duplicate, and one from another tenant as its own event', async () => {
    const [first] = await inOneWindow([post(structured('dup-across'))]);
    const eventId = first.body.accepted[0].eventId;
    const other = await t.tenant('Other', { acceptUnvalidatedTypes: true });
    const [again, otherTenant] = await inOneWindow([post(structured('dup-across')), post(structured('dup-across'), other.apiKey)]);
    expect(again.status).to.equal(202);
    expect(again.body).to.deep.equal({ accepted: [], duplicates: [{ id: 'dup-across', source: '/orders', eventId }] });
    expect(otherTenant.status).to.equal(202);
    expect(otherTenant.body.accepted).to.have.length(1);
    expect(otherTenant.body.accepted[0].eventId).to.not.equal(eventId);
  });

  /**
   * Holds the next group's statement: another transaction inserts (and keeps uncommitted) the
   * event `ceId`, so the group's insert of the same event waits for it. Resolves once the
   * group's statement has been sent; `release` rolls the other transaction back.
   */
  async function holdGroupOn(ceId: string): Promise<{ sent: Promise<void>; release: () => Promise<void> }> {
    const trx = await t.db.knex.transaction();
    await trx('events').insert({ tenant_id: tenantId, ce_id: ceId, source: '/orders', type: 'com.acme.order.shipped', specversion: '1.0' });
    const sent = new Promise<void>((resolve) => {
      const listener = (query: { sql: string }) => {
        if (!/graphile_worker\.add_jobs/.test(query.sql)) return;
        t.db.knex.off('query', listener);
        resolve();
      };
      t.db.knex.on('query', listener);
    });
    return { sent, release: async () => void (await trx.rollback()) };
  }

  it('answers 202 only once the group is committed', async () => {
    const hold = await holdGroupOn('durable-held');
    let answered = 0;
    const requests = [post(structured('durable-1')), post(structured('durable-held'))].map((r) => r.then((res) => (answered++, res)));
    await t.services.ingest.queue.whenWaiting(2);
    timers.fireAll();
    await hold.sent;
    // The statement is sent but cannot commit: nothing is answered, nothing can be read.
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    try {
      const before = await other.query(`select ce_id from events where ce_id in ('durable-1', 'durable-held')`);
      expect(before.rows).to.deep.equal([]);
      expect(answered).to.equal(0);
      expect(t.services.ingest.queue.queued).to.equal(2);
      await hold.release();
      const answers = await Promise.all(requests);
      expect(answers.map((a) => a.status)).to.deep.equal([202, 202]);
      // Answered, so committed: another connection reads both events and their jobs at once.
      const after = await other.query(`select ce_id from events where ce_id in ('durable-1', 'durable-held') order by ce_id`);
      expect(after.rows.map((r) => r.ce_id)).to.deep.equal(['durable-1', 'durable-held']);
      const ids = answers.map((a) => a.body.accepted[0].eventId);
      expect((await fanOutEntries(t.db.knex)).filter((j) => ids.includes(j.eventId))).to.have.length(2);
    } finally {
      await other.end();
    }
  });

  it('refuses events beyond the queue with 503 and Retry-After, and stores every event it queued', async () => {
    // Queue limit 6: a full group of four held in its statement, two waiting for the next window.
    const hold = await holdGroupOn('busy-1');
    const held = ['busy-1', 'busy-2', 'busy-3', 'busy-4'].map((id) => post(structured(id)));
    await hold.sent;
    const waiting = ['busy-5', 'busy-6'].map((id) => post(structured(id)));
    await t.services.ingest.queue.whenWaiting(2);
    expect(t.services.ingest.queue.queued).to.equal(6);
    const refused = await post(structured('busy-refused'));
    expect(refused.status).to.equal(503);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(refused.body.code).to.equal('CLARION_ERR_INGEST_BUSY');
    expect(refused.body.retryAfter).to.equal(1);
    await hold.release();
    timers.fireAll();
    const answers = await Promise.all([...held, ...waiting]);
    expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202, 202, 202, 202]);
    const stored = await writers(['busy-1', 'busy-2', 'busy-3', 'busy-4', 'busy-5', 'busy-6', 'busy-refused']);
    expect([...stored.keys()].sort()).to.deep.equal(['busy-1', 'busy-2', 'busy-3', 'busy-4', 'busy-5', 'busy-6']);
    // Room again: the refused event is accepted when sent again.
    const [retried] = await inOneWindow([post(structured('busy-refused'))]);
    expect(retried.status).to.equal(202);
    expect(retried.body.accepted).to.have.length(1);
  });
});
