import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import webpush from 'web-push';
import { ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { Device } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { WebPushConfig } from '../src/index.ts';

const vapid = webpush.generateVAPIDKeys();
const config: WebPushConfig = { subject: 'mailto:ops@clarion.example.com', publicKey: vapid.publicKey, privateKey: vapid.privateKey };

/** A browser's push subscription: its P-256 key pair and auth secret, as PushManager.subscribe() makes them. */
function browserSubscription(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    device: { platform: 'webpush', subscription: { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } } } as Device,
  };
}

/** What the browser does with a push message: RFC 8291 (aes128gcm) decryption with its private key. */
function decrypt(body: Buffer, browser: ReturnType<typeof browserSubscription>): unknown {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const serverPublic = body.subarray(21, 21 + idLength);
  const cipherText = body.subarray(21 + idLength);
  const shared = browser.ecdh.computeSecret(serverPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), browser.ecdh.getPublicKey(), serverPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, browser.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(cipherText.subarray(cipherText.length - 16));
  const padded = Buffer.concat([decipher.update(cipherText.subarray(0, cipherText.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (padded[end] === 0) end--;
  expect(padded[end], 'last-record delimiter').to.equal(2);
  return JSON.parse(padded.subarray(0, end).toString('utf8'));
}

/** Checks the VAPID Authorization header (RFC 8292): an ES256 JWT for the push service's origin, signed by our key. */
function checkVapid(authorization: string, audience: string) {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(authorization);
  expect(match, authorization).to.not.equal(null);
  const [, jwt, k] = match!;
  expect(k).to.equal(config.publicKey);
  const [header, claims, signature] = jwt.split('.');
  const raw = Buffer.from(k, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
  expect(verify('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).to.equal(true);
  const payload = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
  expect(payload).to.include({ aud: audience, sub: config.subject });
}

const FCM_ENDPOINT = 'https://fcm.googleapis.com/fcm/send/cVH8wFqvCCg:APA91bE9sGPsUrzrQuqE7yVkOacYXgpK_oqKqV8J2SUaOwXiaekCN1tWhp6Nytw';
const MOZILLA_ENDPOINT = 'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABm0xV3h7aX1q2Zk9mJ8bQ4';
const chrome = browserSubscription(FCM_ENDPOINT);
const firefox = browserSubscription(MOZILLA_ENDPOINT);

const pushMessage = (devices: Device[] = [chrome.device]) =>
  sampleMessage({
    channel: 'push',
    priority: 'high',
    to: { id: 'user-1', devices },
    content: { title: 'Build failed', body: 'main is red', url: 'https://ci.example.com/builds/42', data: { build: '42' } },
  });

const fcmPath = new URL(FCM_ENDPOINT).pathname;
const mozillaPath = new URL(MOZILLA_ENDPOINT).pathname;

/** nock hands binary request bodies over hex-encoded. */
const bytes = (body: unknown) => Buffer.from(String(body), /^[0-9a-f]+$/i.test(String(body)) ? 'hex' : 'utf8');

/** Request headers by lower-case name, whether nock shows them as a plain object or a Headers-like map. */
function lowerCased(headers: unknown): Record<string, string> {
  const h = headers as { forEach?: (fn: (value: string, name: string) => void) => void };
  const out: Record<string, string> = {};
  if (typeof h.forEach === 'function') h.forEach((value, name) => { out[name.toLowerCase()] = String(value); });
  else for (const [name, value] of Object.entries(headers as object)) out[name.toLowerCase()] = String(value);
  return out;
}

const failWith = (status: number, body = '', headers: Record<string, string> = {}) => () => {
  nock('https://fcm.googleapis.com').post(fcmPath).reply(status, body, headers);
  return () => nock.cleanAll();
};

describe('web-push adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { subject: config.subject, publicKey: config.publicKey },
      { ...config, subject: 'ops@clarion.example.com' },
      { ...config, privateKey: 'short' },
      { ...config, gcmApiKey: 'legacy' },
    ],
    message: pushMessage(),
    success: () => {
      nock('https://fcm.googleapis.com').post(fcmPath).reply(201, '', { Location: 'https://fcm.googleapis.com/0:1584000000000000%7e1' });
      return () => nock.cleanAll();
    },
    failures: [
      { name: '410 Gone (expired subscription)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(410, 'push subscription has unsubscribed or expired.') },
      {
        name: '410 Gone for a subscriber who also has an FCM token',
        errorClass: 'permanent',
        scope: 'provider',
        message: pushMessage([chrome.device, { platform: 'fcm', token: 'fcm-token' }]),
        arrange: failWith(410, 'push subscription has unsubscribed or expired.'),
      },
      { name: '413 Payload Too Large', errorClass: 'permanent', scope: 'provider', arrange: failWith(413, JSON.stringify({ code: 413, errno: 104, error: 'Payload Too Large', message: 'Data payload too large' })) },
      { name: '429 Too Many Requests', errorClass: 'transient', arrange: failWith(429, '', { 'Retry-After': '30' }) },
      { name: '403 VAPID credentials refused', errorClass: 'config', arrange: failWith(403, 'the key in the authorization header does not correspond to the sender ID used to subscribe this user.') },
    ],
  });

  async function send(message = pushMessage()) {
    const sender = await adapter.create(config, testContext());
    return sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
  }

  async function sendFailure(message = pushMessage()): Promise<DeliveryError> {
    try {
      await send(message);
    } catch (err) {
      expect(err).to.be.instanceOf(DeliveryError);
      return err as DeliveryError;
    }
    throw new Error('send should have failed');
  }

  it('posts an aes128gcm message the browser can decrypt, signed with VAPID, with TTL and Urgency', async () => {
    let received: { headers: Record<string, string>; body: Buffer } | undefined;
    nock('https://fcm.googleapis.com')
      .post(fcmPath)
      .reply(201, '', { Location: 'https://fcm.googleapis.com/0:1584000000000000%7e1' })
      .on('request', (req, _interceptor, body) => { received = { headers: lowerCased(req.headers), body: bytes(body) }; });

    const result = await send();
    expect(result).to.include({ status: 'sent', providerMessageId: 'https://fcm.googleapis.com/0:1584000000000000%7e1' });
    const message = pushMessage();
    expect(received!.headers).to.include({ ttl: '86400', urgency: 'high', 'content-encoding': 'aes128gcm', 'content-type': 'application/octet-stream' });
    // A second send of the same delivery replaces the first while it waits at the push service.
    expect(received!.headers.topic).to.equal(message.deliveryId.replace(/-/g, ''));
    checkVapid(received!.headers.authorization, 'https://fcm.googleapis.com');
    expect(decrypt(received!.body, chrome)).to.deep.equal({
      title: 'Build failed',
      body: 'main is red',
      url: 'https://ci.example.com/builds/42',
      data: { build: '42' },
      notificationId: message.notificationId,
      deliveryId: message.deliveryId,
      priority: 'high',
      locale: 'en',
    });
  });

  it('reports a 410 subscription endpoint as an invalid destination so the engine removes it', async () => {
    nock('https://updates.push.services.mozilla.com').post(mozillaPath).reply(410, { code: 410, errno: 106, error: 'Gone', message: 'Request did not validate no such subscription' });
    const err = await sendFailure(pushMessage([firefox.device]));
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    expect(err.status).to.equal(410);
    expect(err.invalidDestination).to.deep.equal({ kind: 'device', value: MOZILLA_ENDPOINT });
  });

  it('reports a 404 subscription endpoint as an invalid destination', async () => {
    nock('https://updates.push.services.mozilla.com').post(mozillaPath).reply(404, { code: 404, errno: 102, error: 'Not Found', message: 'Request did not validate invalid token' });
    const err = await sendFailure(pushMessage([firefox.device]));
    expect(err).to.be.instanceOf(PermanentError);
    expect(err.invalidDestination).to.deep.equal({ kind: 'device', value: MOZILLA_ENDPOINT });
  });

  it('classifies 413 Payload Too Large as permanent (the push service\'s limit) but keeps the subscription', async () => {
    failWith(413, JSON.stringify({ code: 413, errno: 104, error: 'Payload Too Large', message: 'Data payload too large' }))();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    expect(err.invalidDestination).to.equal(undefined);
  });

  it('classifies 429 as transient, honouring Retry-After', async () => {
    failWith(429, '', { 'Retry-After': '30' })();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(TransientError);
    expect(err.retryAfterMs).to.equal(30_000);
  });

  it('classifies 5xx as transient', async () => {
    failWith(503, 'Service Unavailable')();
    expect(await sendFailure()).to.be.instanceOf(TransientError);
  });

  it('classifies 401 (bad VAPID token) as config', async () => {
    failWith(401, JSON.stringify({ code: 401, errno: 109, error: 'Unauthorized', message: 'Request did not validate Invalid Authorization Header' }))();
    expect(await sendFailure()).to.be.instanceOf(ConfigError);
  });

  it('treats a redirect as a dead endpoint, without following it', async () => {
    failWith(301, '', { Location: 'https://fcm.googleapis.com/fcm/send/new' })();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(PermanentError);
    expect(err.invalidDestination).to.deep.equal({ kind: 'device', value: FCM_ENDPOINT });
  });

  it('refuses a subscription whose endpoint is not https as an invalid destination, without a request', async () => {
    const http = browserSubscription('http://push.example.com/subscription/1');
    const err = await sendFailure(pushMessage([http.device]));
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'INVALID_SUBSCRIPTION', scope: 'recipient' });
    expect(err.invalidDestination).to.deep.equal({ kind: 'device', value: 'http://push.example.com/subscription/1' });
  });

  it('refuses an endpoint outside the allowed push services without posting, keeping the subscription', async () => {
    const internal = browserSubscription('https://metadata.internal.example/push/1');
    const err = await sendFailure(pushMessage([internal.device]));
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    expect(err.code).to.equal('PUSH_HOST_NOT_ALLOWED');
    expect(err.invalidDestination).to.equal(undefined);
  });

  it('posts to a push service host added to pushHosts', async () => {
    const custom = browserSubscription('https://push.example.org/sub/1');
    nock('https://push.example.org').post('/sub/1').reply(201, '', { Location: 'https://push.example.org/m/1' });
    const sender = await adapter.create({ ...config, pushHosts: ['*.example.org', 'push.example.org'] }, testContext());
    const result = await sender.send(pushMessage([custom.device]), { idempotencyKey: 'k', signal: new AbortController().signal });
    expect(result.providerMessageId).to.equal('https://push.example.org/m/1');
  });

  it('refuses a recipient without a web push subscription as permanent: the next provider\'s when they have other devices', async () => {
    // An FCM token: the channel's FCM provider serves it, so this is about web push's reach.
    const elsewhere = await sendFailure(pushMessage([{ platform: 'fcm', token: 'fcm-token' }]));
    expect(elsewhere).to.be.instanceOf(PermanentError).and.include({ code: 'NO_DEVICE', scope: 'provider' });
    // No push device at all: no provider of the channel can reach them.
    expect(await sendFailure(pushMessage([]))).to.be.instanceOf(PermanentError).and.include({ code: 'NO_DEVICE', scope: 'recipient' });
  });

  it('is about the provider when one subscription expired and another was refused by the push service', async () => {
    nock('https://updates.push.services.mozilla.com').post(mozillaPath).reply(410, { code: 410, errno: 106, error: 'Gone', message: 'no such subscription' });
    failWith(413, 'Payload Too Large')();
    const err = await sendFailure(pushMessage([firefox.device, chrome.device]));
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'provider', status: 413 });
    expect(err.invalidDestinations).to.deep.equal([{ kind: 'device', value: MOZILLA_ENDPOINT }]);
  });

  it('succeeds when one subscription of several accepts, reporting the expired one', async () => {
    nock('https://updates.push.services.mozilla.com').post(mozillaPath).reply(410, { code: 410, errno: 106, error: 'Gone', message: 'no such subscription' });
    nock('https://fcm.googleapis.com').post(fcmPath).reply(201, '', { Location: 'https://fcm.googleapis.com/0:1584000000000000%7e2' });
    const result = await send(pushMessage([firefox.device, chrome.device]));
    expect(result.providerMessageId).to.equal('https://fcm.googleapis.com/0:1584000000000000%7e2');
    expect(result.invalidDestinations).to.deep.equal([{ kind: 'device', value: MOZILLA_ENDPOINT }]);
    expect(result.details).to.deep.include({ sent: 1, failed: 1 });
  });

  for (const [name, privateKey] of [['is not a P-256 private key', 'A'.repeat(43)], ['belongs to another public key', webpush.generateVAPIDKeys().privateKey]]) {
    it(`refuses a VAPID private key that ${name} at creation, as config`, async () => {
      let caught: unknown;
      try {
        await adapter.create({ ...config, privateKey }, testContext());
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError);
      expect((caught as Error).message).to.not.include(privateKey);
    });
  }
});
