import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CloudEvent } from 'cloudevents';
import { startClarion, type RunningClarion } from '../../../core/runtime.ts';
import { createTenant } from '../../../core/tenants.ts';
import { Receiver } from '../../../test/integration/webhooks-receiver.ts';
import { testConfig } from '../../../test/support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../../../test/support/postgres.ts';
import { untilJobs } from '../../../test/support/wait.ts';
import { generatedTypes, TYPES_FILE } from '../scripts/generate.ts';
import { ClarionApiError, createClarion, WebhookVerificationError, type Clarion } from '../src/index.ts';

const ORDER_SCHEMA = {
  type: 'object',
  required: ['orderId'],
  properties: { orderId: { type: 'string', pattern: '^[A-Z]-\\d+$' }, recipients: { type: 'array' } },
};

/**
 * @clarion/client against a running Clarion (gateway and worker over real HTTP, real PostgreSQL):
 * what a posting service does with it, each call's answer as the gateway gave it.
 */
describe('@clarion/client', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let gateway: RunningClarion;
  let apiKey: string;
  let tenantId: string;
  let clarion: Clarion;
  const receivers: Receiver[] = [];
  const servers: http.Server[] = [];

  before(async () => {
    db = await freshDatabase();
    gateway = await startClarion({
      config: testConfig(db, { CLARION_DEFAULT_SANDBOX: 'true', CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1', CLARION_WORKER_POLL_MS: '50' }),
      log: silentLog,
    });
    ({ apiKey, tenant: { id: tenantId } } = await createTenant(db.knex, { name: 'Acme', settings: {} }));
    clarion = createClarion({ baseUrl: gateway.url!, apiKey });
    const contract = await clarion.api.PUT('/v1/contracts/{type}', { params: { path: { type: 'com.acme.order.shipped' } }, body: ORDER_SCHEMA as never });
    expect(contract.response.status, JSON.stringify(contract.error)).to.equal(201);
  });
  after(async () => {
    for (const r of receivers) await r.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await gateway?.stop();
    await db?.drop();
  });

  it('has types in step with the OpenAPI document (npm run generate:client rewrites them)', async () => {
    const checkedIn = await readFile(TYPES_FILE, 'utf8');
    expect(checkedIn === (await generatedTypes()), 'clients/js/src/openapi.ts differs from the OpenAPI document: run `npm run generate:client`').to.equal(true);
  });

  it('posts a CloudEvent of the official SDK, and a batch; a resent event comes back as a duplicate', async () => {
    const event = new CloudEvent({ source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'A-1' }, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const first = await clarion.events.send(event);
    expect(first.accepted.map((e) => e.id)).to.deep.equal([event.id]);
    expect(first.duplicates).to.deep.equal([]);

    const batch = await clarion.events.send([event, { id: 'plain-1', source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'B-2' } }]);
    expect(batch.duplicates.map((e) => e.id)).to.deep.equal([event.id]);
    expect(batch.accepted.map((e) => e.id)).to.deep.equal(['plain-1']);

    // Stored as the SDK serialised it, the extension included.
    const stored = await clarion.api.GET('/v1/events/{id}', { params: { path: { id: first.accepted[0].eventId } } });
    expect(stored.data?.cloudevent).to.deep.include({ id: event.id, source: '/shop', specversion: '1.0', traceparent: event.traceparent, data: { orderId: 'A-1' } });
  });

  it('throws a ClarionApiError with the code and the failing fields of the problem document', async () => {
    const refused = await clarion.events.send({ id: 'bad-1', source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'nope' } }).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(ClarionApiError);
    const error = refused as ClarionApiError;
    expect(error.status).to.equal(422);
    expect(error.code).to.equal('CLARION_ERR_INGEST_DATA_INVALID');
    expect(error.errors.map((e) => e.pointer)).to.deep.equal(['/data/orderId']);
    expect(error.requestId).to.be.a('string');
    // Nothing of the refused event was kept.
    const unknown = await clarion.subscribers.get('nobody').catch((err: unknown) => err);
    expect(unknown).to.be.instanceOf(ClarionApiError).and.include({ status: 404, code: 'CLARION_ERR_SUBSCRIBER_NOT_FOUND' });
    const bad = await clarion.subscribers.put('ada', { email: 'not-an-email' }).catch((err: unknown) => err);
    expect((bad as ClarionApiError).errors).to.deep.equal([{ pointer: '/email', message: 'must match format "email"' }]);
  });

  it('manages subscribers: put, get, bulk with a refused item, every page of the list, erase', async () => {
    const ada = await clarion.subscribers.put('ada', { email: 'ada@example.com', name: 'Ada', teams: ['support'] });
    expect(ada).to.include({ subscriberId: 'ada', email: 'ada@example.com' });
    expect(await clarion.subscribers.get('ada')).to.deep.include({ name: 'Ada', teams: ['support'] });

    const bulk = await clarion.subscribers.bulk([
      { id: 'bob', email: 'bob@example.com', teams: ['support'] },
      { id: 'cy', phone: 'not a phone' },
      { id: 'ada', name: 'Ada Lovelace' },
      { id: 'dee', teams: ['support'] },
    ]);
    expect(bulk).to.include({ created: 2, updated: 1 });
    expect(bulk.refused.map((r) => [r.index, r.id, r.errors[0].pointer])).to.deep.equal([[1, 'cy', '/subscribers/1/phone']]);
    // The bulk upsert set only the name: the email stayed.
    expect(await clarion.subscribers.get('ada')).to.deep.include({ name: 'Ada Lovelace', email: 'ada@example.com' });

    const team: string[] = [];
    for await (const s of clarion.subscribers.list({ team: 'support', pageSize: 2 })) team.push(s.subscriberId!);
    expect(team.sort()).to.deep.equal(['ada', 'bob', 'dee']);

    await clarion.subscribers.erase('dee');
    expect(await clarion.subscribers.get('dee').catch((err: ClarionApiError) => err.status)).to.equal(404);
  });

  it('sets and reads a subscriber’s preferences', async () => {
    await clarion.subscribers.put('pref', { email: 'pref@example.com' });
    const set = await clarion.preferences.set('pref', { channels: { sms: false } });
    expect(set.settings).to.deep.equal({ channels: { sms: false } });
    expect((await clarion.preferences.get('pref')).settings).to.deep.equal({ channels: { sms: false } });
    const bad = await clarion.preferences.set('pref', { channels: { sms: 'no' as never } }).catch((err: unknown) => err);
    expect(bad).to.be.instanceOf(ClarionApiError).and.include({ status: 422 });
    expect((bad as ClarionApiError).errors.map((e) => e.pointer)).to.deep.equal(['/settings/channels/sms']);
  });

  it('posts an event, verifies the webhook Clarion sends and acknowledges with a minted subscriber token', async () => {
    // The receiving side of the service: a plain HTTP server on loopback.
    const r = await Receiver.start();
    receivers.push(r);
    const endpoint = await clarion.api.POST('/v1/webhooks/endpoints', { body: { url: r.url(), eventTypes: ['io.clarion.notification.delivered'] } });
    expect(endpoint.response.status, JSON.stringify(endpoint.error)).to.equal(201);
    const secret = endpoint.data!.secret!;
    const workflow = await clarion.api.PUT('/v1/workflows/{key}', {
      params: { path: { key: 'order.shipped' } },
      body: { trigger: 'com.acme.order.shipped', category: 'orders', channels: ['sms'], recipients: '/data/recipients', templates: { sms: { text: 'Order {{ data.orderId }} shipped' } } } as never,
    });
    expect(workflow.response.status, JSON.stringify(workflow.error)).to.equal(201);

    await clarion.events.send(new CloudEvent({ source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'W-1', recipients: [{ id: 'eve', phone: '+14155550199' }] } }));
    await r.waitFor(1);
    const [request] = r.requests;
    const webhook = clarion.webhooks.verify(request.headers, request.body, secret);
    expect(webhook).to.include({ type: 'io.clarion.notification.delivered', source: `clarion://tenants/${tenantId}`, id: request.headers['webhook-id'] });
    // Headers as fetch or a framework hands them over, and a Buffer body, verify the same.
    expect(clarion.webhooks.verify(new Headers(request.headers), Buffer.from(request.body), secret).id).to.equal(webhook.id);

    // Anything else is refused: a changed body, another endpoint's secret, an old timestamp.
    expect(() => clarion.webhooks.verify(request.headers, request.body.replace('eve', 'mallory'), secret)).to.throw(WebhookVerificationError);
    expect(() => clarion.webhooks.verify(request.headers, request.body, 'whsec_' + Buffer.alloc(32, 1).toString('base64'))).to.throw(WebhookVerificationError);
    expect(() => clarion.webhooks.verify({ ...request.headers, 'webhook-timestamp': String(Number(request.headers['webhook-timestamp']) - 3600) }, request.body, secret)).to.throw(WebhookVerificationError);

    // The subscriber's own token acknowledges their notification, and nothing with a forged one.
    const notificationId = webhook.subject as string;
    const { token, expiresAt } = await clarion.subscribers.ackToken('eve', { ttlSeconds: 600 });
    expect(Date.parse(expiresAt)).to.be.greaterThan(Date.now());
    const ack = await clarion.api.POST('/v1/notifications/{id}/ack', { params: { path: { id: notificationId } }, headers: { authorization: `Bearer ${token}` } });
    expect(ack.response.status, JSON.stringify(ack.error)).to.equal(200);
    expect(ack.data).to.deep.include({ acknowledged: true });
    const forged = await clarion.api.POST('/v1/notifications/{id}/ack', { params: { path: { id: notificationId } }, headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } });
    expect(forged.response.status).to.equal(401);
    await untilJobs(gateway.runner!, async () => (await clarion.api.GET('/v1/notifications/{id}', { params: { path: { id: notificationId } } })).data?.status === 'acknowledged');
    expect(await clarion.subscribers.ackToken('nobody').catch((err: unknown) => err)).to.be.instanceOf(ClarionApiError).and.include({ code: 'CLARION_ERR_SUBSCRIBER_NOT_FOUND' });
  });

  it('mints inbox tokens and subscriber hashes that open the subscriber’s own in-app inbox', async () => {
    await clarion.api.PUT('/v1/contracts/{type}', { params: { path: { type: 'com.acme.order.inbox' } }, body: ORDER_SCHEMA as never });
    const workflow = await clarion.api.PUT('/v1/workflows/{key}', {
      params: { path: { key: 'order.inbox' } },
      body: { trigger: 'com.acme.order.inbox', category: 'orders', channels: ['in_app'], recipients: '/data/recipients', templates: { in_app: { title: 'Order {{ data.orderId }}', body: 'It shipped' } } } as never,
    });
    expect(workflow.response.status, JSON.stringify(workflow.error)).to.equal(201);
    await clarion.events.send({ id: 'inbox-1', source: '/shop', type: 'com.acme.order.inbox', data: { orderId: 'I-1', recipients: ['ivy'] } });

    const { token, scopes } = await clarion.inbox.token('ivy');
    expect(token).to.match(/^cin_/);
    expect(scopes).to.have.members(['inbox:read', 'inbox:write', 'preferences']);
    const asIvy = createClarion({ baseUrl: gateway.url!, apiKey: token });
    const feed = await untilJobs(gateway.runner!, async () => {
      const page = await asIvy.api.GET('/v1/inbox');
      return page.data?.items.length ? page.data.items : undefined;
    });
    expect(feed.map((item) => item.title)).to.deep.equal(['Order I-1']);
    // A read-only token reads and cannot mark.
    const readOnly = await clarion.inbox.token('ivy', { ttlSeconds: 120, scopes: ['inbox:read'] });
    expect(readOnly.scopes).to.deep.equal(['inbox:read']);
    const marked = await createClarion({ baseUrl: gateway.url!, apiKey: readOnly.token }).api.POST('/v1/inbox/mark', { body: { ids: [feed[0].id], action: 'read' } });
    expect(marked.response.status).to.equal(403);

    // The hash, computed without a request, is what the session exchange accepts; another id's is not.
    const { data: inboxSecret } = await clarion.api.GET('/v1/tenant/inbox-secret');
    const subscriberHash = clarion.inbox.subscriberHash('ivy', inboxSecret!.secret);
    const session = await clarion.api.POST('/v1/inbox/session', { body: { tenantId, subscriberId: 'ivy', subscriberHash } });
    expect(session.response.status, JSON.stringify(session.error)).to.equal(201);
    const forged = await clarion.api.POST('/v1/inbox/session', { body: { tenantId, subscriberId: 'ada', subscriberHash } });
    expect(forged.response.status).to.equal(401);
    expect(await clarion.inbox.token('ivy', { ttlSeconds: 5 }).catch((err: unknown) => err)).to.be.instanceOf(ClarionApiError).and.include({ status: 422 });
  });

  it('manages topics and their members, page after page', async () => {
    const topic = await clarion.topics.put('billing.monthly', { name: 'Monthly billing' });
    expect(topic).to.include({ key: 'billing.monthly', name: 'Monthly billing', subscriberCount: 0 });
    await clarion.subscribers.bulk([{ id: 'ada' }, { id: 'bob' }]);
    const added = await clarion.topics.add('billing.monthly', ['ada', 'bob', 'newcomer']);
    expect(added).to.include({ added: 3, created: 1 });
    expect(await clarion.topics.add('billing.monthly', ['ada'])).to.include({ added: 0, alreadyMembers: 1 });
    const members: string[] = [];
    for await (const m of clarion.topics.members('billing.monthly', { pageSize: 2 })) members.push(m.subscriberId);
    expect(members.sort()).to.deep.equal(['ada', 'bob', 'newcomer']);
    expect(await clarion.topics.remove('billing.monthly', ['bob', 'nobody'])).to.deep.equal({ removed: 1, notMembers: 1 });
    expect((await clarion.topics.get('billing.monthly')).subscriberCount).to.equal(2);
    const keys: string[] = [];
    for await (const t of clarion.topics.list()) keys.push(t.key);
    expect(keys).to.include('billing.monthly');
    await clarion.topics.delete('billing.monthly');
    expect(await clarion.topics.get('billing.monthly').catch((err: unknown) => err)).to.be.instanceOf(ClarionApiError).and.include({ status: 404 });
    expect(await clarion.topics.put('bad key!').catch((err: unknown) => err)).to.be.instanceOf(ClarionApiError).and.include({ status: 422 });
  });

  /** A load balancer in front of the gateway on loopback that turns requests away, then lets them through. */
  async function throttlingProxy(answers: Array<{ status: number; retryAfter?: string }>) {
    const seen: string[] = [];
    const server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      seen.push(`${req.method} ${req.url}`);
      const answer = answers.shift();
      if (answer) {
        res.writeHead(answer.status, { 'content-type': 'application/problem+json', ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}) });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Busy', status: answer.status, detail: 'slow down' }));
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
      const upstream = await fetch(`${gateway.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  it('retries 429 and 503 as Retry-After says, else with jittered backoff, and sends the event once', async () => {
    const proxy = await throttlingProxy([{ status: 429, retryAfter: '2' }, { status: 503 }, { status: 503, retryAfter: new Date(Date.UTC(2026, 0, 1, 0, 0, 5)).toUTCString() }]);
    const waits: number[] = [];
    const client = createClarion({ baseUrl: proxy.url, apiKey, sleep: async (ms) => void waits.push(ms), random: () => 0.5, now: () => Date.UTC(2026, 0, 1) });
    const result = await client.events.send(new CloudEvent({ id: 'retry-1', source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'R-1' } }));
    expect(result.accepted.map((e) => e.id)).to.deep.equal(['retry-1']);
    // 2 s from the header; 0.5 × 250 ms × 2¹; 5 s until the header's date.
    expect(waits).to.deep.equal([2000, 250, 5000]);
    expect(proxy.seen).to.deep.equal(Array(4).fill('POST /v1/events'));
  });

  it('gives up after its retries with the last answer as a ClarionApiError, and caps long waits', async () => {
    const proxy = await throttlingProxy(Array(3).fill({ status: 429, retryAfter: '86400' }));
    const waits: number[] = [];
    const client = createClarion({ baseUrl: proxy.url, apiKey, retries: 2, retryMaxMs: 1000, sleep: async (ms) => void waits.push(ms) });
    const error = await client.subscribers.get('ada').catch((err: unknown) => err);
    expect(error).to.be.instanceOf(ClarionApiError).and.include({ status: 429, code: 'HTTP_429', detail: 'slow down' });
    expect(waits).to.deep.equal([1000, 1000]);
    expect(proxy.seen).to.have.length(3);
  });

  it('repeats only safe requests after a network error', async () => {
    // A port where nothing listens any more.
    const closed = http.createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const tries: string[] = [];
    const client = createClarion({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey,
      retries: 2,
      sleep: async () => {},
      fetch: (input, init) => (tries.push(new Request(input, init).method), fetch(input, init)),
    });
    await client.events.send({ id: 'net-1', source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'N-1' } }).catch(() => {});
    expect(tries).to.deep.equal(['POST', 'POST', 'POST']);
    tries.length = 0;
    const created = await client.api.POST('/v1/webhooks/endpoints', { body: { url: 'http://127.0.0.1:1/hook' } }).catch((err: unknown) => err);
    expect(created).to.be.instanceOf(TypeError);
    expect(tries).to.deep.equal(['POST']);
  });

  it('builds to JavaScript with declarations that plain Node runs (the form npm publishes)', async function () {
    this.timeout(120_000);
    const pkg = fileURLToPath(new URL('..', import.meta.url));
    // Inside the package, so that its dependencies resolve as they would from node_modules.
    const out = await mkdtemp(`${pkg}.build-`);
    try {
      const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
      await promisify(execFile)(process.execPath, [tsc, '-p', `${pkg}tsconfig.build.json`, '--outDir', out]);
      expect((await readFile(`${out}/index.d.ts`, 'utf8')).includes('export declare function createClarion')).to.equal(true);
      const script = `
        const { createClarion, ClarionApiError } = await import(${JSON.stringify(`${out}/index.js`)});
        const clarion = createClarion({ baseUrl: ${JSON.stringify(gateway.url)}, apiKey: ${JSON.stringify(apiKey)} });
        const result = await clarion.events.send({ id: 'built-1', source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'P-1' } });
        const refused = await clarion.subscribers.get('nobody').catch((err) => err instanceof ClarionApiError && err.code);
        console.log(JSON.stringify({ accepted: result.accepted.map((e) => e.id), refused }));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--no-experimental-strip-types', '--input-type=module', '-e', script]);
      expect(JSON.parse(stdout)).to.deep.equal({ accepted: ['built-1'], refused: 'CLARION_ERR_SUBSCRIBER_NOT_FOUND' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
