import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { CallbackRejected, ConfigError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { CallbackRequest, DeliveryError, OutboundMessage, Sender } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { VonageSmsConfig } from '../src/index.ts';

const API_KEY = 'a1b2c3d4';
const API_SECRET = 'Sup3rS3cr3t';
const SIGNATURE_SECRET = 'sig-secret-0123456789abcdefghijklmnop';
const config: VonageSmsConfig = { apiKey: API_KEY, apiSecret: API_SECRET, from: 'Clarion', signatureSecret: SIGNATURE_SECRET };
const context = testContext();
const message = sampleMessage({ channel: 'sms', content: { text: 'Your code is 123456' } });
const messageId = (n: number) => `1F0000004B8A7C${String(n).padStart(2, '0')}`;

/** A message of the SMS API's answer (https://developer.vonage.com/en/api/sms#send-an-sms). */
const accepted = (n: number, extra: Record<string, string> = {}) => ({
  to: '14155550100',
  'message-id': messageId(n),
  status: '0',
  'remaining-balance': '15.53590000',
  'message-price': '0.00750000',
  network: '310004',
  'client-ref': message.deliveryId,
  ...extra,
});
const answer = (...messages: object[]) => ({ 'message-count': String(messages.length), messages });
const rejected = (status: string, text: string) => answer({ status, 'error-text': text });

const vonage = () => nock('https://rest.nexmo.com');
const failWith = (status: string, text: string) => () => {
  vonage().post('/sms/json').reply(200, rejected(status, text));
  return () => nock.cleanAll();
};

async function sendAndCatch(sender: Sender, msg: OutboundMessage = message): Promise<DeliveryError> {
  try {
    await sender.send(msg, { idempotencyKey: 'k', signal: new AbortController().signal });
  } catch (err) {
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

/**
 * Signs callback parameters as Vonage documents it: every parameter but sig sorted by name,
 * `&name=value` with & and = in values replaced by _, then MD5 of that plus the secret (md5hash)
 * or an HMAC keyed with the secret.
 */
function vonageSignature(params: Record<string, string>, secret: string, method: 'md5hash' | 'sha256hmac' | 'sha512hmac'): string {
  const base = Object.keys(params).filter((k) => k !== 'sig').sort().map((k) => `&${k}=${params[k].replace(/[&=]/g, '_')}`).join('');
  if (method === 'md5hash') return createHash('md5').update(base + secret).digest('hex');
  return createHmac(method === 'sha256hmac' ? 'sha256' : 'sha512', secret).update(base).digest('hex');
}

const now = () => String(Math.floor(Date.now() / 1000));

/** A delivery receipt as Vonage posts it (https://developer.vonage.com/en/api/sms#delivery-receipt). */
const receipt = (status: string, extra: Record<string, string> = {}) => ({
  msisdn: '14155550100',
  to: 'Clarion',
  'network-code': '310004',
  messageId: messageId(1),
  price: '0.00750000',
  status,
  scts: '2611221000',
  'err-code': '0',
  'api-key': API_KEY,
  'client-ref': message.deliveryId,
  'message-timestamp': '2026-11-22 10:00:31',
  timestamp: now(),
  nonce: 'b1a7e2f8-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  ...extra,
});

function signed(params: Record<string, string>, options: { secret?: string; method?: 'md5hash' | 'sha256hmac' | 'sha512hmac'; as?: 'form' | 'json'; sig?: string | null } = {}): CallbackRequest {
  const sig = options.sig === undefined ? vonageSignature(params, options.secret ?? SIGNATURE_SECRET, options.method ?? 'md5hash') : options.sig;
  const fields = sig === null ? params : { ...params, sig };
  const json = options.as === 'json';
  return {
    method: 'POST',
    url: context.callbackUrl,
    headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
    query: {},
    rawBody: Buffer.from(json ? JSON.stringify(fields) : new URLSearchParams(fields).toString()),
    body: fields,
  };
}

describe('vonage-sms adapter', () => {
  before(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { apiKey: API_KEY, apiSecret: API_SECRET },
      { apiKey: API_KEY, from: 'Clarion' },
      { ...config, apiSecret: '' },
      { ...config, from: 'A sender id too long' },
      { ...config, signatureMethod: 'sha3' },
      { ...config, ttl: 1000 },
      { ...config, webhookUrl: 'https://example.com' },
    ],
    message,
    success: () => {
      vonage()
        .post('/sms/json', {
          api_key: API_KEY,
          api_secret: API_SECRET,
          from: 'Clarion',
          to: '14155550100',
          text: 'Your code is 123456',
          type: 'text',
          callback: context.callbackUrl,
          'status-report-req': 'true',
          'client-ref': message.deliveryId,
        })
        .reply(200, answer(accepted(1)));
      return () => nock.cleanAll();
    },
    checkSuccess: (result) => {
      expect(result.providerMessageId).to.equal(messageId(1));
      expect(result.details).to.deep.equal({ to: '+14155550100', segments: 1, encoding: 'GSM-7', units: 19, parts: 1, network: '310004', price: '0.00750000' });
    },
    failures: [
      { name: 'throttling (status 1)', errorClass: 'transient', arrange: failWith('1', 'Throughput Rate Exceeded - please wait [ 250 ] and retry') },
      { name: 'missing parameters (status 2)', errorClass: 'permanent', scope: 'provider', arrange: failWith('2', 'Missing to param') },
      { name: 'invalid parameters (status 3)', errorClass: 'permanent', scope: 'provider', arrange: failWith('3', 'Invalid to param') },
      { name: 'invalid credentials (status 4)', errorClass: 'config', arrange: failWith('4', 'Bad Credentials') },
      { name: 'an internal error (status 5)', errorClass: 'transient', arrange: failWith('5', 'Internal Error') },
      { name: 'an invalid message (status 6)', errorClass: 'permanent', scope: 'provider', arrange: failWith('6', 'Unroutable message - rejected') },
      { name: 'a barred number (status 7)', errorClass: 'permanent', scope: 'recipient', arrange: failWith('7', 'Number barred.') },
      { name: 'a suspended account (status 8)', errorClass: 'config', arrange: failWith('8', 'Partner account barred') },
      { name: 'no credit left (status 9)', errorClass: 'config', arrange: failWith('9', 'Partner quota exceeded') },
      { name: 'too many binds (status 10)', errorClass: 'transient', arrange: failWith('10', 'Too many existing binds') },
      { name: 'an unauthorised sender id (status 15)', errorClass: 'config', arrange: failWith('15', 'Illegal Sender Address - rejected') },
      { name: 'a demo account sending to a non-whitelisted number (status 29)', errorClass: 'config', arrange: failWith('29', 'Non White-listed Destination - rejected') },
      { name: 'a de-activated number (status 33)', errorClass: 'permanent', scope: 'recipient', arrange: failWith('33', 'Number De-activated') },
      { name: 'an undocumented status (status 99)', errorClass: 'permanent', scope: 'provider', arrange: failWith('99', 'Something new') },
      {
        name: 'an outage (HTTP 502)',
        errorClass: 'transient',
        arrange: () => {
          vonage().post('/sms/json').reply(502, '<html>Bad Gateway</html>');
          return () => nock.cleanAll();
        },
      },
      {
        name: 'a connection reset',
        errorClass: 'transient',
        arrange: () => {
          vonage().post('/sms/json').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          return () => nock.cleanAll();
        },
      },
    ],
  });

  describe('sending', () => {
    it('sends non-GSM text as unicode and records every part of a long message', async () => {
      const text = `Votre colis arrive demain ✓ ${'ł'.repeat(60)}`;
      const scope = vonage()
        .post('/sms/json', (body) => body.type === 'unicode' && body.text === text)
        .reply(200, answer(accepted(1), accepted(2, { 'message-price': '0.00750000' })));
      const result = await (await adapter.create(config, context)).send(sampleMessage({ channel: 'sms', content: { text } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
      expect(result.providerMessageId).to.equal(messageId(1));
      expect(result.details).to.include({ encoding: 'UCS-2', segments: 2, parts: 2, price: '0.01500000' });
      expect(result.details?.messageIds).to.deep.equal([messageId(1), messageId(2)]);
    });

    it('sends from a number without its + and passes the ttl', async () => {
      const scope = vonage()
        .post('/sms/json', (body) => body.from === '447700900001' && body.ttl === '3600000')
        .reply(200, answer(accepted(1)));
      await (await adapter.create({ ...config, from: '+447700900001', ttl: 3_600_000 }, context)).send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
    });

    it("keeps Vonage's status and error text on the error", async () => {
      vonage().post('/sms/json').reply(200, rejected('4', 'Bad Credentials'));
      const err = await sendAndCatch(await adapter.create(config, context));
      expect(err).to.be.instanceOf(ConfigError).and.include({ code: '4', status: 200 });
      expect(err.message).to.equal('Vonage status 4: Bad Credentials');
      expect(err.response).to.contain('"error-text":"Bad Credentials"');
    });

    it('says when part of a long message was accepted before another part failed', async () => {
      vonage().post('/sms/json').reply(200, answer(accepted(1), { status: '1', 'error-text': 'Throughput Rate Exceeded' }));
      const err = await sendAndCatch(await adapter.create(config, context));
      expect(err).to.be.instanceOf(TransientError).and.include({ code: '1' });
      expect(err.message).to.contain('1 of 2 parts were accepted');
    });

    it('refuses an invalid number as permanent before calling Vonage', async () => {
      const err = await sendAndCatch(await adapter.create(config, context), sampleMessage({ channel: 'sms', to: { id: 'u', phone: '+44 1' }, content: { text: 'x' } }));
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'invalid_phone_number', scope: 'recipient' });
    });

    it('treats an answer that is not JSON as transient', async () => {
      vonage().post('/sms/json').reply(200, 'OK');
      expect(await sendAndCatch(await adapter.create(config, context))).to.be.instanceOf(TransientError).and.include({ code: 'BAD_RESPONSE' });
    });
  });

  describe('verify', () => {
    it('checks the credentials against the account balance', async () => {
      const scope = vonage().get('/account/get-balance').query({ api_key: API_KEY, api_secret: API_SECRET }).reply(200, { value: 10.28, autoReload: false });
      await (await adapter.create(config, context)).verify!();
      scope.done();
    });

    it('reports refused credentials and an empty balance as configuration errors', async () => {
      vonage().get('/account/get-balance').query(true).reply(401, { 'error-code': '401', 'error-code-label': 'authentication failed' });
      vonage().get('/account/get-balance').query(true).reply(200, { value: 0, autoReload: false });
      const sender = await adapter.create(config, context);
      expect(await sender.verify!().catch((e: unknown) => e)).to.be.instanceOf(ConfigError).and.include({ status: 401 });
      expect(await sender.verify!().catch((e: unknown) => e)).to.be.instanceOf(ConfigError).and.include({ code: '9' });
    });
  });

  describe('delivery receipts and inbound SMS', () => {
    let sender: Sender;
    before(async () => {
      sender = await adapter.create(config, context);
    });

    it('turns a signed delivered receipt into an update tied to the delivery', async () => {
      const result = await sender.parseCallback!(signed(receipt('delivered')));
      expect(result.updates).to.deep.equal([{ providerMessageId: messageId(1), status: 'delivered', deliveryId: message.deliveryId, at: new Date('2026-11-22T10:00:31Z') }]);
    });

    it('maps expired, failed and rejected receipts to undelivered with the documented reason', async () => {
      const update = async (status: string, errCode: string) => (await sender.parseCallback!(signed(receipt(status, { 'err-code': errCode })))).updates?.[0];
      expect(await update('expired', '2')).to.include({ status: 'undelivered', errorCode: '2', errorMessage: 'absent subscriber (temporary)' });
      expect(await update('failed', '3')).to.include({ status: 'undelivered', errorCode: '3', errorMessage: 'absent subscriber (permanent): the number is no longer active' });
      expect(await update('rejected', '6')).to.include({ status: 'undelivered', errorCode: '6', errorMessage: 'anti-spam rejection' });
      expect(await update('UNDELIV', '99')).to.include({ status: 'undelivered', errorCode: '99' });
      expect(await update('DELIVRD', '0')).to.include({ status: 'delivered' }).and.not.have.property('errorCode');
    });

    it('ignores receipts that say nothing new (accepted, buffered, unknown)', async () => {
      for (const status of ['accepted', 'buffered', 'unknown']) expect((await sender.parseCallback!(signed(receipt(status)))).updates).to.deep.equal([]);
    });

    it('verifies HMAC signatures and JSON receipts', async () => {
      const hmac = await adapter.create({ ...config, signatureMethod: 'sha256hmac' }, context);
      const result = await hmac.parseCallback!(signed(receipt('delivered'), { method: 'sha256hmac', as: 'json' }));
      expect(result.updates?.[0]).to.include({ status: 'delivered' });
      const wrongMethod = await sender.parseCallback!(signed(receipt('delivered'), { method: 'sha512hmac' })).catch((e: unknown) => e);
      expect(wrongMethod).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('verifies values containing & and = the way Vonage signs them', async () => {
      const result = await sender.parseCallback!(signed(receipt('delivered', { 'client-ref': 'a=b&c' })));
      expect(result.updates?.[0]).to.include({ deliveryId: 'a=b&c' });
    });

    it('rejects an unsigned receipt with 401', async () => {
      const err = await sender.parseCallback!(signed(receipt('delivered'), { sig: null })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
    });

    it('rejects a receipt signed with another secret, or altered after signing, with 403', async () => {
      const forged = await sender.parseCallback!(signed(receipt('delivered'), { secret: 'guessed' })).catch((e: unknown) => e);
      expect(forged).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
      const original = signed(receipt('failed'));
      const fields = { ...(original.body as Record<string, string>), status: 'delivered' };
      const altered = await sender.parseCallback!({ ...original, body: fields, rawBody: Buffer.from(new URLSearchParams(fields).toString()) }).catch((e: unknown) => e);
      expect(altered).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('rejects a replayed receipt signed days ago, and one for another account, with 403', async () => {
      const old = String(Math.floor(Date.now() / 1000) - 3 * 24 * 3600);
      const replay = await sender.parseCallback!(signed(receipt('delivered', { timestamp: old }))).catch((e: unknown) => e);
      expect(replay).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
      const other = await sender.parseCallback!(signed(receipt('delivered', { 'api-key': 'ffff0000' }))).catch((e: unknown) => e);
      expect(other).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('refuses every receipt when no signature secret is configured', async () => {
      const unsignedConfig = await adapter.create({ apiKey: API_KEY, apiSecret: API_SECRET, from: 'Clarion' }, context);
      const err = await unsignedConfig.parseCallback!(signed(receipt('delivered'))).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
      expect((err as Error).message).to.contain('signatureSecret');
    });

    it('reports a signed inbound STOP as an opt-out', async () => {
      const inbound = { msisdn: '14155550100', to: '447700900001', messageId: messageId(7), text: 'STOP', type: 'text', keyword: 'STOP', 'api-key': API_KEY, 'message-timestamp': '2026-11-22 10:05:00', timestamp: now(), nonce: 'n-1' };
      const result = await sender.parseCallback!(signed(inbound));
      expect(result.inbound).to.deep.equal([{ channel: 'sms', from: '+14155550100', text: 'STOP', keyword: 'stop', providerMessageId: messageId(7) }]);
    });
  });
});
