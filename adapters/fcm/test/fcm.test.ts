import { createPublicKey, createVerify, generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { Device } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter, { classifyFcmError } from '../src/index.ts';
import type { FcmConfig } from '../src/index.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const PROJECT = 'clarion-push-test';
const config: FcmConfig = { projectId: PROJECT, clientEmail: `clarion@${PROJECT}.iam.gserviceaccount.com`, privateKey };
const TOKEN_A = 'dA1b2C3d4E5f6G7h8I9j0:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZuJAEcl7B338qju59zJMjw2DELjzEvxwYv7hH5Ynpc1ODQ0aT4U4OFEeBHWsnvA';
const TOKEN_B = 'eB2c3D4e5F6g7H8i9J0k1:APA91bGzU7jP5yL9m0wQ3vX8rT2sK6nB1cD4fE7gH0iJ3kL6mN9oP2qR5sT8uV1wX4yZ7aB0cD3eF6gH9iJ2kL5mN8oP1qR4sT7uV0wX3yZ6aB9';
const SEND_PATH = `/v1/projects/${PROJECT}/messages:send`;
const ACCESS_TOKEN = 'ya29.c.test-access-token';

const BROWSER = { platform: 'webpush' as const, subscription: { endpoint: 'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk', keys: { p256dh: 'k', auth: 'a' } } };

const pushMessage = (devices: Device[] = [{ platform: 'fcm', token: TOKEN_A }]) =>
  sampleMessage({
    channel: 'push',
    priority: 'high',
    to: { id: 'user-1', devices },
    content: { title: 'Build failed', body: 'main is red', url: 'https://ci.example.com/builds/42', data: { build: '42' } },
  });

/**
 * Google's OAuth token endpoint, answering the service account's signed JWT (RFC 7523 bearer grant).
 * firebase-admin shares one credential (and its cached access token) per service account in a
 * process, so only the first send of an account exchanges its key: the interceptor is optional
 * unless a test uses an account of its own and asserts the exchange.
 */
function tokenEndpoint(account: FcmConfig = config, { required = false } = {}) {
  const scope = nock('https://oauth2.googleapis.com')
    .post('/token', (body: Record<string, string>) => {
      if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !body.assertion) return false;
      const [header, claims, signature] = body.assertion.split('.');
      const verifier = createVerify('RSA-SHA256');
      verifier.update(`${header}.${claims}`);
      const payload = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
      return verifier.verify(createPublicKey(publicKey), Buffer.from(signature, 'base64url'))
        && payload.iss === account.clientEmail
        && payload.aud === 'https://oauth2.googleapis.com/token'
        && String(payload.scope).includes('https://www.googleapis.com/auth/firebase.messaging');
    });
  return (required ? scope : scope.optionally()).reply(200, { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' });
}

let accounts = 0;
/** A service account no earlier test has used, so its key really is exchanged. */
const freshAccount = (): FcmConfig => ({ ...config, clientEmail: `clarion-${++accounts}@${PROJECT}.iam.gserviceaccount.com` });

function fcm() {
  return nock('https://fcm.googleapis.com').matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`);
}

function fcmError(status: number, grpcStatus: string, message: string, errorCode?: string) {
  return {
    error: {
      code: status,
      message,
      status: grpcStatus,
      details: errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] : [],
    },
  };
}

const sentName = (n: number) => `projects/${PROJECT}/messages/0:150041531445527${n}%31bd1c9631bd1c96`;

const failWith = (status: number, body: object) => () => {
  tokenEndpoint();
  fcm().post(SEND_PATH).reply(status, body);
  return () => nock.cleanAll();
};

describe('fcm adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { projectId: PROJECT, clientEmail: config.clientEmail },
      { ...config, projectId: 'Bad Project' },
      { ...config, ttlSeconds: -1 },
      { ...config, apiKey: 'legacy-server-key' },
    ],
    message: pushMessage(),
    success: () => {
      tokenEndpoint();
      fcm().post(SEND_PATH).reply(200, { name: sentName(1) });
      return () => nock.cleanAll();
    },
    failures: [
      { name: 'UNREGISTERED (404)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED')) },
      {
        name: 'UNREGISTERED (404) for a subscriber who also has a browser subscription',
        errorClass: 'permanent',
        scope: 'provider',
        message: pushMessage([{ platform: 'fcm', token: TOKEN_A }, BROWSER]),
        arrange: failWith(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED')),
      },
      {
        name: 'INVALID_ARGUMENT (400) about the payload',
        errorClass: 'permanent',
        scope: 'provider',
        arrange: failWith(400, {
          error: {
            code: 400,
            message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
            status: 'INVALID_ARGUMENT',
            details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data[0].value', description: 'Invalid value' }] }],
          },
        }),
      },
      { name: 'INTERNAL (500)', errorClass: 'transient', arrange: failWith(500, fcmError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL')) },
      { name: 'THIRD_PARTY_AUTH_ERROR (401)', errorClass: 'config', arrange: failWith(401, fcmError(401, 'UNAUTHENTICATED', 'Auth error from APNS or Web Push Service', 'THIRD_PARTY_AUTH_ERROR')) },
    ],
    checkSuccess: (result) => { expect(result.providerMessageId).to.equal(sentName(1)); },
  });

  async function sendOnce(message = pushMessage(), account = config) {
    const sender = await adapter.create(account, testContext());
    try {
      return await sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
    } finally {
      await sender.close?.();
    }
  }

  async function sendFailure(message = pushMessage(), account = config): Promise<DeliveryError> {
    try {
      await sendOnce(message, account);
    } catch (err) {
      expect(err).to.be.instanceOf(DeliveryError);
      return err as DeliveryError;
    }
    throw new Error('send should have failed');
  }

  it('exchanges the service account key for an access token, then posts the documented HTTP v1 message', async () => {
    const account = freshAccount();
    const token = tokenEndpoint(account, { required: true });
    let posted: Record<string, unknown> | undefined;
    fcm()
      .matchHeader('content-type', /application\/json/)
      .post(SEND_PATH, (body) => { posted = body; return true; })
      .reply(200, { name: sentName(1) });

    const result = await sendOnce(pushMessage(), account);
    expect(token.isDone(), 'the JWT bearer grant was posted').to.equal(true);
    expect(result).to.include({ status: 'sent', providerMessageId: sentName(1) });
    expect(posted).to.deep.equal({
      message: {
        token: TOKEN_A,
        notification: { title: 'Build failed', body: 'main is red' },
        data: { build: '42', url: 'https://ci.example.com/builds/42', clarion_notification_id: pushMessage().notificationId, clarion_delivery_id: pushMessage().deliveryId },
        // A second send of the same delivery replaces the first on the device.
        android: { priority: 'high', notification: { tag: pushMessage().deliveryId } },
        apns: { headers: { 'apns-priority': '10', 'apns-collapse-id': pushMessage().deliveryId } },
        webpush: { fcmOptions: { link: 'https://ci.example.com/builds/42' } },
      },
    });
  });

  it('refuses a recipient without an FCM token as permanent, without calling Google', async () => {
    // No push device at all: no provider of the channel can reach them.
    const none = await sendFailure(pushMessage([]));
    expect(none).to.be.instanceOf(PermanentError).and.include({ code: 'NO_DEVICE', scope: 'recipient' });
    // Only devices of other platforms: the channel's next provider (web push, APNs) serves those.
    const elsewhere = await sendFailure(pushMessage([{ platform: 'apns', token: 'apns-only' }, BROWSER]));
    expect(elsewhere).to.be.instanceOf(PermanentError).and.include({ code: 'NO_DEVICE', scope: 'provider' });
    expect(nock.pendingMocks()).to.deep.equal([]);
  });

  it('reports an unregistered token as an invalid destination so the engine removes it', async () => {
    failWith(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'))();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    expect(err.code).to.equal('messaging/registration-token-not-registered');
    expect(err.invalidDestination).to.deep.equal({ kind: 'device', value: TOKEN_A });
  });

  it('reports an INVALID_ARGUMENT about the token as an invalid destination', async () => {
    failWith(400, fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT'))();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(PermanentError);
    expect(err.invalidDestination).to.deep.equal({ kind: 'device', value: TOKEN_A });
  });

  it('keeps the token when INVALID_ARGUMENT is about the payload', async () => {
    tokenEndpoint();
    fcm().post(SEND_PATH).reply(400, {
      error: {
        code: 400,
        message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data[0].value', description: 'Invalid value' }] }],
      },
    });
    const err = await sendFailure();
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    expect(err.invalidDestination).to.equal(undefined);
  });

  it('classifies SENDER_ID_MISMATCH (403) as config', async () => {
    failWith(403, fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'))();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.code).to.equal('messaging/mismatched-credential');
  });

  it('classifies QUOTA_EXCEEDED (429) as transient, waiting at least the documented minute', async () => {
    failWith(429, fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric', 'QUOTA_EXCEEDED'))();
    const err = await sendFailure();
    expect(err).to.be.instanceOf(TransientError);
    expect(err.retryAfterMs).to.equal(60_000);
  });

  it('classifies a refused service account key (invalid_grant) as config', async () => {
    nock('https://oauth2.googleapis.com').post('/token').reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const err = await sendFailure(pushMessage(), freshAccount());
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.not.include(privateKey.slice(40, 80));
  });

  it('classifies UNAVAILABLE, as firebase-admin reports it after its own 503 retries, as transient', () => {
    // firebase-admin retries HTTP 503 itself (with back-off) before giving up with this error.
    const err = classifyFcmError({ code: 'messaging/server-unavailable', message: 'The server is temporarily unavailable' }, TOKEN_A);
    expect(err).to.be.instanceOf(TransientError);
    expect(err.invalidDestination).to.equal(undefined);
  });

  it('tells an unreachable token endpoint (transient) from a refused key (config)', () => {
    const wrap = (inner: string) => ({
      code: 'app/invalid-credential',
      message: `Credential implementation provided to initializeApp() via the "credential" property failed to fetch a valid Google OAuth2 access token with the following error: "${inner}".`,
    });
    expect(classifyFcmError(wrap('request to https://oauth2.googleapis.com/token failed, reason: connect ECONNREFUSED 142.250.1.95:443'))).to.be.instanceOf(TransientError);
    expect(classifyFcmError(wrap('invalid_client: The OAuth client was not found.'))).to.be.instanceOf(ConfigError);
  });

  it('sends to every FCM device and succeeds when one of them received it, reporting the dead one', async () => {
    tokenEndpoint();
    fcm().post(SEND_PATH, (body) => body.message.token === TOKEN_A).reply(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'));
    fcm().post(SEND_PATH, (body) => body.message.token === TOKEN_B).reply(200, { name: sentName(2) });

    const result = await sendOnce(pushMessage([
      { platform: 'fcm', token: TOKEN_A },
      { platform: 'webpush', subscription: { endpoint: 'https://push.example.com/x', keys: { p256dh: 'k', auth: 'a' } } },
      { platform: 'fcm', token: TOKEN_B },
    ]));
    expect(result.status).to.equal('sent');
    expect(result.providerMessageId).to.equal(sentName(2));
    expect(result.invalidDestinations).to.deep.equal([{ kind: 'device', value: TOKEN_A }]);
    expect(result.details).to.deep.include({ sent: 1, failed: 1 });
    const devices = (result.details as { devices: Array<Record<string, unknown>> }).devices;
    expect(devices).to.have.length(2);
    expect(devices[0]).to.include({ errorClass: 'permanent', errorCode: 'messaging/registration-token-not-registered' });
    expect(devices[1]).to.include({ messageId: sentName(2) });
    expect(JSON.stringify(result.details)).to.not.include(TOKEN_A);
  });

  it('fails permanently with every dead token when no device received it', async () => {
    tokenEndpoint();
    fcm().post(SEND_PATH).times(2).reply(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'));
    const err = await sendFailure(pushMessage([{ platform: 'fcm', token: TOKEN_A }, { platform: 'fcm', token: TOKEN_B }]));
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    expect(err.invalidDestinations).to.deep.equal([{ kind: 'device', value: TOKEN_A }, { kind: 'device', value: TOKEN_B }]);
  });

  it('leaves a subscriber whose FCM tokens are all dead to the next provider when they have a browser subscription', async () => {
    tokenEndpoint();
    fcm().post(SEND_PATH).times(2).reply(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'));
    const err = await sendFailure(pushMessage([{ platform: 'fcm', token: TOKEN_A }, BROWSER, { platform: 'fcm', token: TOKEN_B }]));
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    expect(err.invalidDestinations).to.deep.equal([{ kind: 'device', value: TOKEN_A }, { kind: 'device', value: TOKEN_B }]);
  });

  it('classifies an invalid recipient as the recipient\'s, keeping the token', () => {
    const err = classifyFcmError({ code: 'messaging/invalid-recipient', message: 'The message recipient is invalid.' }, TOKEN_A);
    expect(err).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    expect(err.invalidDestination).to.equal(undefined);
    expect(classifyFcmError({ code: 'messaging/payload-size-limit-exceeded', message: 'too big' }, TOKEN_A)).to.include({ errorClass: 'permanent', scope: 'provider' });
  });

  it('refuses a private key that is not a key at creation, as config', async () => {
    let caught: unknown;
    try {
      await adapter.create({ ...config, privateKey: 'not a key' }, testContext());
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(ConfigError);
  });

  it('verify() exchanges the key for an access token without sending', async () => {
    const account = freshAccount();
    tokenEndpoint(account, { required: true });
    const sender = await adapter.create(account, testContext());
    try {
      await sender.verify!();
      expect(nock.isDone()).to.equal(true);
    } finally {
      await sender.close?.();
    }
  });
});
