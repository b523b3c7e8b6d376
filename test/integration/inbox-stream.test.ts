import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { expect } from 'chai';
import { lockInbox, recordChange } from '../../core/realtime/changes.ts';
import { ManualClock, ManualTimers } from '../support/clock.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { clients, inAppWorkflow } from '../support/inbox.ts';
import { SseClient, WsClient, serve, type StreamMessage } from '../support/stream.ts';

/**
 * The inbox stream on a real socket: WebSocket and SSE at one path, pushed changes with counts,
 * resume from a cursor with nothing lost or doubled, refusals, heartbeats and back-pressure.
 * Waits are for messages and closes, never for time: the hub's heartbeats (and the liveness checks
 * that go with them) are on ManualTimers and beat only where a test fires them.
 */
describe('inbox stream (WebSocket and SSE)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: ManualClock;
  let timers: ManualTimers;
  let server: Awaited<ReturnType<typeof serve>>;
  let c: ReturnType<typeof clients>;
  let token: string;
  const open: Array<{ close(): void }> = [];

  before(async () => {
    clock = new ManualClock();
    timers = new ManualTimers();
    // Events are stored one by one at once: no group-commit window waits on the manual timers.
    t = await testApp({ clock, timers, env: { CLARION_INBOX_HEARTBEAT_MS: '200', CLARION_INBOX_MAX_BUFFER_BYTES: '65536', CLARION_INGEST_GROUP_WINDOW_MS: '0' } });
    server = await serve(t, t.db.url);
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    c = clients(t, apiKey);
    await c.api.put('/v1/workflows/order.shipped').send(inAppWorkflow('com.acme.order.shipped')).expect(201);
    token = await c.token('ada', { ttlSeconds: 86_400 });
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  after(async () => {
    await server?.close();
    await t?.close();
  });

  const ws = async (query = `token=${token}`, options: { autoPong?: boolean } = {}) => {
    const client = await WsClient.open(`${server.ws}/v1/inbox/stream?${query}`, options);
    open.push(client);
    return client;
  };
  const sse = async (query = `token=${token}`, headers: Record<string, string> = {}) => {
    const client = await SseClient.open(`${server.url}/v1/inbox/stream?${query}`, headers);
    open.push(client);
    return client;
  };
  const cursors = (messages: StreamMessage[]) => messages.map((m) => Number(m.cursor));

  it('opens with ready (cursor, counts), then pushes each new item with the counts after it', async () => {
    const client = await ws();
    const ready = await client.next((m) => m.type === 'ready');
    expect(ready).to.deep.include({ cursor: '0', heartbeatMs: 200, counts: { total: 0, unread: 0, unseen: 0, categories: [] } });
    await c.post('com.acme.order.shipped', ['ada']);
    const created = await client.next((m) => m.type === 'item.created');
    expect(created.cursor).to.equal('1');
    expect((created.item as { title: string }).title).to.match(/^Order \d+ shipped$/);
    expect(created.counts).to.deep.include({ total: 1, unread: 1, unseen: 1 });
  });

  it('pushes a state change to every open stream of the subscriber, and to nobody else', async () => {
    const laptop = await ws();
    const phone = await sse();
    const bob = await ws(`token=${await c.token('bob')}`);
    await Promise.all([laptop, phone, bob].map((s) => s.next((m) => m.type === 'ready')));
    const [item] = (await c.as(token).get('/v1/inbox').expect(200)).body.items;
    await c.as(token).patch(`/v1/inbox/${item.id}`).send({ read: true }).expect(200);
    for (const stream of [laptop, phone]) {
      const updated = await stream.next((m) => m.type === 'item.updated');
      expect((updated.item as { readAt: string }).readAt).to.equal(clock.now().toISOString());
      expect(updated.counts).to.deep.include({ total: 1, unread: 0 });
    }
    expect(phone.ids.at(-1), 'SSE events carry the cursor as their id').to.equal((await laptop.next((m) => m.type === 'item.updated')).cursor);
    expect(phone.response!.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    // A marker for Bob proves he got nothing of Ada's before it.
    await c.post('com.acme.order.shipped', ['bob']);
    await bob.next((m) => m.type === 'item.created');
    expect(bob.changes()).to.have.length(1);
  });

  it('pushes bulk marks as the ids and the patch', async () => {
    const client = await ws();
    await client.next((m) => m.type === 'ready');
    await c.post('com.acme.order.shipped', ['ada']);
    await client.next((m) => m.type === 'item.created');
    await c.as(token).post('/v1/inbox/mark').send({ action: 'read' }).expect(200);
    const marked = await client.next((m) => m.type === 'items.updated');
    expect(marked).to.deep.include({ reason: 'read', patch: { readAt: clock.now().toISOString(), seenAt: clock.now().toISOString() } });
    expect(marked.ids).to.have.length(1);
    expect(marked.counts).to.deep.include({ unread: 0 });
  });

  it('resumes from a cursor: what was missed, in order, once each, then ready', async () => {
    const first = await ws();
    const ready = await first.next((m) => m.type === 'ready');
    first.close();
    await first.whenClosed();
    for (let i = 0; i < 3; i++) await c.post('com.acme.order.shipped', ['ada']);
    const [item] = (await c.as(token).get('/v1/inbox').expect(200)).body.items;
    await c.as(token).patch(`/v1/inbox/${item.id}`).send({ seen: true }).expect(200);

    // The replay held on the change log for a heartbeat: the stream's beats go on meanwhile.
    const trx = await t.db.knex.transaction();
    let again: WsClient;
    try {
      await trx.raw('lock table inbox_changes in access exclusive mode');
      again = await ws(`token=${token}&cursor=${ready.cursor}`);
      timers.fireAll();
      await again.next((m) => m.type === 'heartbeat');
    } finally {
      await trx.commit();
    }
    const back = await again.next((m) => m.type === 'ready');
    const before = again.messages.slice(0, again.messages.indexOf(back));
    // Heartbeats keep their own time, replay or not; nothing else comes before ready.
    const replayed = before.filter((m) => m.type !== 'heartbeat');
    expect(before.some((m) => m.type === 'heartbeat')).to.equal(true);
    const from = Number(ready.cursor);
    expect(cursors(replayed)).to.deep.equal([from + 1, from + 2, from + 3, from + 4]);
    expect(replayed.map((m) => m.type)).to.deep.equal(['item.created', 'item.created', 'item.created', 'item.updated']);
    expect(back.cursor).to.equal(String(from + 4));

    // SSE resumes the same way from Last-Event-ID, which EventSource sends by itself.
    const viaSse = await sse(`token=${token}`, { 'last-event-id': String(from + 2) });
    await viaSse.next((m) => m.type === 'ready');
    expect(cursors(viaSse.changes())).to.deep.equal([from + 3, from + 4]);
  });

  it('loses and doubles nothing while changes keep coming during the resume', async () => {
    const client = await ws();
    const ready = await client.next((m) => m.type === 'ready');
    client.close();
    await client.whenClosed();
    const start = Number(ready.cursor);
    // Ten changes: half before the reconnection, half racing with its replay.
    for (let i = 0; i < 5; i++) await c.post('com.acme.order.shipped', ['ada']);
    const resumed = ws(`token=${token}&cursor=${start}`);
    for (let i = 0; i < 5; i++) await c.post('com.acme.order.shipped', ['ada']);
    const again = await resumed;
    await again.next((m) => Number(m.cursor) === start + 10);
    expect(cursors(again.changes())).to.deep.equal(Array.from({ length: 10 }, (_, i) => start + i + 1));
  });

  it('misses nothing while its listening connection is down: it catches streams up when back', async () => {
    const client = await ws();
    const ready = await client.next((m) => m.type === 'ready');
    const { rows } = await t.db.knex.raw(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'clarion-inbox-listener' and datname = current_database()`);
    expect(rows).to.have.length(1);
    // Written while nobody listens (the announcement is lost), then after.
    await c.post('com.acme.order.shipped', ['ada']);
    await c.post('com.acme.order.shipped', ['ada']);
    await client.next((m) => Number(m.cursor) === Number(ready.cursor) + 2);
    expect(cursors(client.changes())).to.deep.equal([Number(ready.cursor) + 1, Number(ready.cursor) + 2]);
    while (!t.services.inbox.hub.listening) await new Promise((resolve) => setImmediate(resolve));
  });

  it('answers a cursor it cannot resume from with reset, and carries on', async () => {
    const current = Number((await (await ws()).next((m) => m.type === 'ready')).cursor);
    const future = await ws(`token=${token}&cursor=${current + 50}`);
    const reset = await future.next((m) => m.type === 'reset');
    expect(reset.cursor).to.equal(String(current));
    await future.next((m) => m.type === 'ready');

    // Changes older than CLARION_INBOX_CHANGES_KEEP_HOURS (72) are pruned: their cursors reset too.
    await c.post('com.acme.order.shipped', ['ada']);
    await t.db.knex('inbox_changes').where('seq', '<=', current).update({ created_at: t.db.knex.raw(`now() - interval '73 hours'`) });
    expect((await t.services.inbox.prune()).changes).to.be.at.least(current);
    const old = await ws(`token=${token}&cursor=1`);
    expect((await old.next((m) => m.type === 'reset' || m.type.startsWith('item'))).type).to.equal('reset');
  });

  it('refuses a missing, changed, other tenant\'s or under-scoped token, and a bad cursor', async () => {
    const refusal = (query: string) => WsClient.open(`${server.ws}/v1/inbox/stream?${query}`).then(() => { throw new Error('opened'); }, (err) => err as { status: number; body: { code: string; errors?: Array<{ pointer: string }> } });
    expect((await refusal('')).status).to.equal(401);
    expect((await refusal('')).body.code).to.equal('CLARION_ERR_INBOX_AUTH_MISSING');
    expect((await refusal(`token=${token.slice(0, -3)}AAA`)).body.code).to.equal('CLARION_ERR_INBOX_AUTH_INVALID');
    const other = await t.tenant('Globex');
    const theirs = await clients(t, other.apiKey).token('ada');
    const [tb, tm] = theirs.slice(4).split('.');
    const relabelled = `cin_${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(tb, 'base64url').toString()), t: (await t.db.knex('tenants').where({ name: 'Acme' }).first('id')).id })).toString('base64url')}.${tm}`;
    expect((await refusal(`token=${relabelled}`)).status).to.equal(401);
    const writeOnly = await c.token('ada', { scopes: ['inbox:write'] });
    const scoped = await refusal(`token=${writeOnly}`);
    expect([scoped.status, scoped.body.code]).to.deep.equal([403, 'CLARION_ERR_INBOX_SCOPE_MISSING']);
    const cursor = await refusal(`token=${token}&cursor=abc`);
    expect([cursor.status, cursor.body.errors?.[0].pointer]).to.deep.equal([400, '/query/cursor']);
    const elsewhere = await WsClient.open(`${server.ws}/v1/other?token=${token}`).catch((e) => e);
    expect(elsewhere.status).to.equal(404);

    const plain = await fetch(`${server.url}/v1/inbox/stream?token=${token}`);
    expect(plain.status).to.equal(400);
    expect(((await plain.json()) as { errors: unknown }).errors).to.deep.equal([{ pointer: 'header:accept', message: 'must accept text/event-stream (or upgrade to a WebSocket)' }]);
    const sseNoToken = await fetch(`${server.url}/v1/inbox/stream`, { headers: { accept: 'text/event-stream' } });
    expect(sseNoToken.status).to.equal(401);
  });

  it('sends heartbeats, and cuts a WebSocket that stops answering pings', async () => {
    const live = await ws();
    const deaf = await ws(`token=${token}`, { autoPong: false });
    await Promise.all([live, deaf].map((s) => s.next((m) => m.type === 'ready')));
    // A beat: each is pinged, then gets a heartbeat.
    timers.fireAll();
    const first = await live.next((m) => m.type === 'heartbeat');
    await deaf.next((m) => m.type === 'heartbeat');
    // The live client's pong (sent as the ping came, before the heartbeat) has reached the hub.
    await live.roundTrip();
    // The next beat cuts the one whose ping went unanswered, and only that one.
    timers.fireAll();
    const closed = await deaf.whenClosed();
    expect(closed.code).to.equal(1006);
    await live.next((m) => m.type === 'heartbeat', live.messages.indexOf(first) + 1);
    expect(live.closed, 'a client that answers stays').to.equal(undefined);
  });

  it('ends a stream when its token expires (close 4001)', async () => {
    const short = await c.token('ada', { ttlSeconds: 60 });
    // Tokens expire on a whole second: less than a second of real time is left.
    clock.advance(59_000);
    try {
      const client = await ws(`token=${short}`);
      expect(await client.whenClosed()).to.deep.equal({ code: 4001, reason: 'token expired' });
    } finally {
      clock.advance(-59_000);
    }
  });
});

describe('inbox stream back-pressure', function () {
  this.timeout(60_000);
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serve>>;
  let c: ReturnType<typeof clients>;
  let token: string;
  const open: Array<{ close(): void }> = [];

  before(async () => {
    // No beats (ManualTimers, never fired): the client below never answers a ping, and must be cut
    // for not reading, not for that.
    t = await testApp({ timers: new ManualTimers(), env: { CLARION_INBOX_MAX_BUFFER_BYTES: '65536', CLARION_INGEST_GROUP_WINDOW_MS: '0' } });
    server = await serve(t, t.db.url);
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    c = clients(t, apiKey);
    token = await c.token('ada');
  });
  after(async () => {
    for (const client of open) client.close();
    await server?.close();
    await t?.close();
  });
  const ws = async (query: string) => {
    const client = await WsClient.open(`${server.ws}/v1/inbox/stream?${query}`);
    open.push(client);
    return client;
  };

  it('cuts a client that does not read rather than buffering without limit; it resumes from its cursor', async () => {
    const first = await ws(`token=${token}`);
    const ready = await first.next((m) => m.type === 'ready');
    first.close();
    await first.whenClosed();
    const hub = t.services.inbox.hub;
    while (hub.size > 0) await new Promise((resolve) => setImmediate(resolve));
    // A client that opens the stream and never reads a byte (a raw socket: no library reads for it).
    const slow = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    await once(slow, 'connect');
    slow.write(`GET /v1/inbox/stream?token=${token}&cursor=${ready.cursor} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`);
    slow.pause();
    while (hub.size === 0) await new Promise((resolve) => setImmediate(resolve));
    const subscriber = await t.db.knex('subscribers').where({ external_id: 'ada' }).first('id', 'tenant_id');
    // Changes small enough to be announced whole (pushed without reading the log).
    const padding = 'x'.repeat(6000);
    let sent = 0;
    // Twenty a transaction: their announcements come together at its commit, each pushed whole.
    while (hub.size > 0 && sent < 900) {
      await t.db.knex.transaction(async (trx) => {
        const inbox = await lockInbox(trx, subscriber.tenant_id, subscriber.id);
        for (let i = 0; i < 20; i++) await recordChange(trx, inbox, { type: 'items.updated', ids: null, patch: { padding }, reason: 'test' });
      });
      sent += 20;
    }
    slow.destroy();
    expect(hub.size, 'the slow client was cut').to.equal(0);
    expect(sent, 'long before everything was sent').to.be.below(900);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).to.match(/clarion_inbox_disconnects_total\{transport="ws",reason="slow"\} [1-9]/);
    // Back, reading, it gets all it missed from its cursor.
    const back = await ws(`token=${token}&cursor=${ready.cursor}`);
    expect((await back.next((m) => m.type === 'ready' || m.type === 'reset')).type).to.equal('ready');
    expect(back.messages.filter((m) => m.reason === 'test')).to.have.length(sent);
  });
});
