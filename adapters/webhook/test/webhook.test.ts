import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ConfigError, DeliveryError, PermanentError, TransientError, createOutboundPolicy } from '@clarion/adapter-kit';
import type { OutboundMessage } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { WebhookConfig } from '../src/index.ts';

/** A real receiver on loopback: what it answers is set per test, what it received is recorded. */
interface Received { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
type Answer = (req: http.IncomingMessage, res: http.ServerResponse, received: Received) => void;
const received: Received[] = [];
let answer: Answer = (_req, res) => res.writeHead(200).end();
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    received.push(r);
    answer(req, res, r);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const TOKEN = 'whk_live_5f2c1e9a7b3d4c6e8f0a1b2c3d4e5f6a';
const config: WebhookConfig = { url: `${base}/hooks/clarion`, auth: { type: 'bearer', token: TOKEN } };

/** The engine hands adapters the operator's policy: an open one (a laptop) and the strict default. */
const open = createOutboundPolicy({ allowPrivate: true });
const strict = createOutboundPolicy({});
let policy = open;

const answers = (status: number, body = '', headers: Record<string, string> = {}) => () => {
  answer = (_req, res) => res.writeHead(status, headers).end(body);
};

const webhookMessage = (overrides: Partial<OutboundMessage> = {}) =>
  sampleMessage({ channel: 'webhook', content: { json: { event: 'build.failed', build: 42, branch: 'main' } }, ...overrides });

async function send(cfg: WebhookConfig = config, message = webhookMessage(), signal = new AbortController().signal) {
  const sender = await adapter.create(cfg, testContext({ fetch: policy.fetch, outbound: policy }));
  return sender.send(message, { idempotencyKey: 'delivery-d1-key', signal });
}

async function failure(cfg: WebhookConfig = config, message = webhookMessage(), signal?: AbortSignal): Promise<DeliveryError> {
  try {
    await send(cfg, message, signal);
  } catch (err) {
    expect(err).to.be.instanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

describe('webhook adapter', () => {
  beforeEach(() => {
    received.length = 0;
    answer = (_req, res) => res.writeHead(200).end();
    policy = open;
  });
  after(async () => {
    await Promise.all([open.close(), strict.close()]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const own = (url: string) => webhookMessage({ to: { id: 'user-1', chat: { webhook: { url } } } });

  describeConformance(adapter, {
    // Subscribers' own addresses allowed, so a failure can bring one; the fixtures' message has none.
    validConfig: { ...config, allowSubscriberUrls: true },
    invalidConfigs: [
      { url: 'ftp://example.com/x' },
      { ...config, auth: { type: 'bearer' } },
      { ...config, auth: { type: 'basic', username: 'a:b', password: 'x' } },
      { ...config, auth: { type: 'header', name: 'Host', value: 'x' } },
      { ...config, timeoutMs: 10 },
      { ...config, secret: 'x' },
    ],
    message: webhookMessage(),
    success: answers(202, '{"ok":true}'),
    failures: [
      { name: '400 Bad Request from the configured receiver', errorClass: 'permanent', scope: 'provider', arrange: answers(400, '{"error":"unknown event"}') },
      { name: '410 Gone from the subscriber\'s own receiver', errorClass: 'permanent', scope: 'recipient', message: own(`${base}/subscriber/7`), arrange: answers(410, 'endpoint removed') },
      { name: '422 from the subscriber\'s own receiver', errorClass: 'permanent', scope: 'recipient', message: own(`${base}/subscriber/7`), arrange: answers(422, '{"error":"schema"}') },
      { name: '503 Service Unavailable', errorClass: 'transient', arrange: answers(503) },
      { name: '401 Unauthorized', errorClass: 'config', arrange: answers(401, 'bad token') },
    ],
  });

  it('POSTs the rendered JSON with the bearer token, the idempotency key and Clarion\'s ids', async () => {
    const message = webhookMessage();
    const result = await send();
    expect(result).to.include({ status: 'sent', providerMessageId: message.deliveryId });
    expect(received).to.have.length(1);
    const [r] = received;
    expect(r.method).to.equal('POST');
    expect(r.url).to.equal('/hooks/clarion');
    expect(JSON.parse(r.body)).to.deep.equal({ event: 'build.failed', build: 42, branch: 'main' });
    expect(r.headers).to.include({
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': 'delivery-d1-key',
      'x-clarion-delivery-id': message.deliveryId,
      'x-clarion-notification-id': message.notificationId,
    });
  });

  it('posts an envelope of the rendered content when the template rendered no JSON', async () => {
    const message = sampleMessage({ channel: 'webhook', content: { title: 'Build failed', body: 'main is red', url: 'https://ci.example.com/42' } });
    await send(config, message);
    expect(JSON.parse(received[0].body)).to.deep.equal({
      notificationId: message.notificationId,
      deliveryId: message.deliveryId,
      priority: 'normal',
      locale: 'en',
      recipient: { id: 'user-1', name: 'Ada Lovelace' },
      content: { title: 'Build failed', body: 'main is red', url: 'https://ci.example.com/42' },
    });
  });

  it('sends basic and custom-header authentication, and extra headers', async () => {
    await send({ ...config, auth: { type: 'basic', username: 'clarion', password: 's3cret:pa55' } });
    expect(received[0].headers.authorization).to.equal(`Basic ${Buffer.from('clarion:s3cret:pa55').toString('base64')}`);
    await send({ ...config, auth: { type: 'header', name: 'X-Api-Key', value: 'k-123' }, headers: { 'X-Tenant': 'acme' } });
    expect(received[1].headers).to.include({ 'x-api-key': 'k-123', 'x-tenant': 'acme' });
    expect(received[1].headers.authorization).to.equal(undefined);
  });

  it('uses the receiver\'s X-Request-Id as the provider message id', async () => {
    answers(200, '', { 'X-Request-Id': 'req_8f3a' })();
    expect((await send()).providerMessageId).to.equal('req_8f3a');
  });

  it('never follows a redirect: 3xx is a permanent failure', async () => {
    answer = (req, res) => (req.url === '/elsewhere' ? res.writeHead(200).end() : res.writeHead(302, { Location: `${base}/elsewhere` }).end());
    const err = await failure();
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'REDIRECT', scope: 'provider' });
    expect(received.map((r) => r.url)).to.deep.equal(['/hooks/clarion']);
  });

  it('classifies 429 as transient with Retry-After, 404 as config, 422 as permanent', async () => {
    answers(429, '', { 'Retry-After': '12' })();
    const throttled = await failure();
    expect(throttled).to.be.instanceOf(TransientError);
    expect(throttled.retryAfterMs).to.equal(12_000);
    answers(404)();
    expect(await failure()).to.be.instanceOf(ConfigError);
    answers(422, '{"error":"schema"}')();
    const refused = await failure();
    expect(refused).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    expect(refused.response).to.equal('{"error":"schema"}');
  });

  it('refuses loopback under the operator\'s strict policy, without reaching it', async () => {
    policy = strict;
    const err = await failure({ ...config, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/clarion` });
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.code).to.equal('DESTINATION_REFUSED');
    const byName = await failure({ ...config, url: `http://localhost:${(server.address() as AddressInfo).port}/hooks/clarion` });
    expect(byName.code).to.equal('DESTINATION_REFUSED');
    expect(received).to.have.length(0);
  });

  it('takes no network settings from the tenant: allowPrivate and allowList are not part of its configuration', () => {
    const properties = (adapter.configSchema as { properties: Record<string, unknown> }).properties;
    expect(properties).to.not.have.any.keys('allowPrivate', 'allowList');
  });

  it('refuses other schemes and credentials in the URL', async () => {
    expect((await failure({ ...config, url: 'ftp://hooks.example.com/x' })).code).to.equal('ERR_INVALID_URL');
    expect((await failure({ ...config, url: 'https://user:pw@hooks.example.com/x' })).code).to.equal('ERR_INVALID_URL');
  });

  it('refuses cloud metadata even when the operator allows private addresses', async () => {
    const err = await failure({ ...config, url: 'http://169.254.169.254/latest/meta-data/' });
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.code).to.equal('DESTINATION_REFUSED');
  });

  it('posts to the subscriber\'s own address when allowed, and a refused or gone one is the recipient\'s', async () => {
    await send({ ...config, allowSubscriberUrls: true }, own(`${base}/subscriber/7`));
    expect(received[0].url).to.equal('/subscriber/7');
    await send(config, own(`${base}/subscriber/7`));
    expect(received[1].url, 'ignored unless allowSubscriberUrls').to.equal('/hooks/clarion');
    const err = await failure({ ...config, allowSubscriberUrls: true }, own('http://169.254.169.254/latest/meta-data/'));
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'DESTINATION_REFUSED', scope: 'recipient' });
    const invalid = await failure({ ...config, allowSubscriberUrls: true }, own('ftp://hooks.example.com/x'));
    expect(invalid).to.be.instanceOf(PermanentError).and.include({ code: 'ERR_INVALID_URL', scope: 'recipient' });
    answers(401, 'who are you')();
    expect(await failure({ ...config, allowSubscriberUrls: true }, own(`${base}/subscriber/7`))).to.be.instanceOf(PermanentError).and.include({ status: 401, scope: 'recipient' });
    answer = (_req, res) => res.writeHead(301, { Location: `${base}/moved` }).end();
    expect(await failure({ ...config, allowSubscriberUrls: true }, own(`${base}/subscriber/7`))).to.be.instanceOf(PermanentError).and.include({ code: 'REDIRECT', scope: 'recipient' });
  });

  it('gives up with a transient error when the engine aborts while the receiver is silent', async () => {
    const controller = new AbortController();
    answer = () => controller.abort(new Error('send timeout'));
    const err = await failure(config, webhookMessage(), controller.signal);
    expect(err).to.be.instanceOf(TransientError);
    expect(received).to.have.length(1);
  });

  it('gives up with a transient error after timeoutMs when the receiver never answers', async () => {
    answer = () => {};
    const err = await failure({ ...config, timeoutMs: 100 });
    expect(err).to.be.instanceOf(TransientError);
  });

  it('fails permanently without an address: another webhook provider (one with a url) may have one', async () => {
    const err = await failure({});
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_ADDRESS', scope: 'provider' });
  });
});
