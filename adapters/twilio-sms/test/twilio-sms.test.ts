import { expect } from 'chai';
import nock from 'nock';
import twilio from 'twilio';
import { CallbackRejected, ConfigError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { CallbackRequest, DeliveryError, Sender } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { TwilioSmsConfig } from '../src/index.ts';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const API_KEY = `SK${'b2'.repeat(16)}`;
const SERVICE = `MG${'c3'.repeat(16)}`;
const config: TwilioSmsConfig = { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' };
const MESSAGES = `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;
const context = testContext();
const message = sampleMessage({ channel: 'sms', content: { text: 'Your parcel has shipped.' } });
const sid = (n: number) => `SM${String(n).padStart(32, '0')}`;

/** The Message resource Twilio answers a create with (https://www.twilio.com/docs/messaging/api/message-resource). */
function messageResource(fields: Record<string, unknown>) {
  return {
    account_sid: ACCOUNT,
    api_version: '2010-04-01',
    date_created: 'Sat, 22 Nov 2026 10:00:00 +0000',
    date_sent: null,
    date_updated: 'Sat, 22 Nov 2026 10:00:00 +0000',
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    status: 'queued',
    uri: `/2010-04-01/Accounts/${ACCOUNT}/Messages/${fields.sid}.json`,
    ...fields,
  };
}

/** Twilio's REST error body (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions). */
const twilioError = (status: number, code: number, text: string) => ({ code, message: text, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

const twilioApi = () => nock('https://api.twilio.com');
const failWith = (status: number, body: object | string, headers: Record<string, string> = {}) => () => {
  twilioApi().post(MESSAGES).reply(status, body, headers);
  return () => nock.cleanAll();
};

async function sendAndCatch(sender: Sender, msg = message): Promise<DeliveryError> {
  try {
    await sender.send(msg, { idempotencyKey: 'k', signal: new AbortController().signal });
  } catch (err) {
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

/** A callback as Twilio posts it: form-encoded, signed over the public URL and the fields with the Auth Token. */
function twilioCallback(fields: Record<string, string>, options: { url?: string; token?: string; signature?: string | null; rawBody?: string } = {}): CallbackRequest {
  const url = options.url ?? context.callbackUrl;
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.token ?? TOKEN, url, fields) : options.signature;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
    query: {},
    rawBody: Buffer.from(options.rawBody ?? new URLSearchParams(fields).toString()),
    body: fields,
  };
}

const statusFields = (status: string, extra: Record<string, string> = {}) => ({
  AccountSid: ACCOUNT,
  ApiVersion: '2010-04-01',
  From: '+15005550006',
  MessageSid: sid(1),
  MessageStatus: status,
  SmsSid: sid(1),
  SmsStatus: status,
  To: '+14155550100',
  ...extra,
});

const inboundFields = (body: string) => ({
  AccountSid: ACCOUNT,
  ApiVersion: '2010-04-01',
  Body: body,
  From: '+14155550100',
  MessageSid: sid(9),
  NumMedia: '0',
  NumSegments: '1',
  SmsMessageSid: sid(9),
  SmsSid: sid(9),
  SmsStatus: 'received',
  To: '+15005550006',
});

describe('twilio-sms adapter', () => {
  before(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { accountSid: ACCOUNT, authToken: TOKEN },
      { accountSid: 'AC123', authToken: TOKEN, from: '+15005550006' },
      { accountSid: ACCOUNT, authToken: '', from: '+15005550006' },
      { accountSid: ACCOUNT, authToken: TOKEN, from: '0123 not a sender' },
      { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006', apiKeySid: API_KEY },
      { accountSid: ACCOUNT, authToken: TOKEN, messagingServiceSid: 'MG1' },
      { ...config, region: 'ie1' },
    ],
    message,
    success: () => {
      twilioApi()
        .post(MESSAGES, { To: '+14155550100', From: '+15005550006', Body: 'Your parcel has shipped.', StatusCallback: context.callbackUrl })
        .basicAuth({ user: ACCOUNT, pass: TOKEN })
        .reply(201, messageResource({ sid: sid(1), to: '+14155550100', from: '+15005550006', body: 'Your parcel has shipped.' }));
      return () => nock.cleanAll();
    },
    checkSuccess: (result) => {
      expect(result.providerMessageId).to.equal(sid(1));
      expect(result.details).to.include({ to: '+14155550100', segments: 1, encoding: 'GSM-7', twilioStatus: 'queued' });
    },
    failures: [
      { name: "an invalid 'To' number (21211)", errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21211, "The 'To' number +14155550100 is not a valid phone number.")) },
      { name: 'a number that is not a mobile (21614)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21614, "'To' number is not a valid mobile number")) },
      { name: 'a recipient who replied STOP (21610)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21610, 'Attempt to send to unsubscribed recipient')) },
      { name: 'a landline (21635)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21635, "'To' number cannot be a landline")) },
      {
        name: 'a destination this sender cannot reach (21612)',
        errorClass: 'permanent',
        scope: 'provider',
        arrange: failWith(400, twilioError(400, 21612, "The 'To' phone number: +14155550100, is not currently reachable using the 'From' phone number: +15005550006 via SMS.")),
      },
      { name: "a body over Twilio's 1600 characters (21617)", errorClass: 'permanent', scope: 'provider', arrange: failWith(400, twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.')) },
      { name: 'wrong credentials (20003, HTTP 401)', errorClass: 'config', arrange: failWith(401, twilioError(401, 20003, 'Authenticate')) },
      { name: 'SMS geo permissions off for the region (21408)', errorClass: 'config', arrange: failWith(400, twilioError(400, 21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number')) },
      { name: 'a sender of another account (21660)', errorClass: 'config', arrange: failWith(400, twilioError(400, 21660, "Mismatch between the 'From' number and the account")) },
      { name: 'rate limiting (20429, HTTP 429)', errorClass: 'transient', arrange: failWith(429, twilioError(429, 20429, 'Too Many Requests')) },
      { name: 'a full sender queue (21611)', errorClass: 'transient', arrange: failWith(400, twilioError(400, 21611, "This 'From' number has exceeded the maximum number of queued messages")) },
      { name: 'an outage (HTTP 503 without a Twilio code)', errorClass: 'transient', arrange: failWith(503, '<html>Service Unavailable</html>') },
      { name: 'an unknown 4xx (HTTP 400 with an undocumented code)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, twilioError(400, 29999, 'Something else')) },
      {
        name: 'a connection reset',
        errorClass: 'transient',
        arrange: () => {
          twilioApi().post(MESSAGES).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          return () => nock.cleanAll();
        },
      },
    ],
  });

  describe('sending', () => {
    it('authenticates with an API key when one is configured, still on the account URL', async () => {
      const scope = twilioApi()
        .post(MESSAGES, (body) => body.To === '+14155550100' && body.From === '+15005550006')
        .basicAuth({ user: API_KEY, pass: 'key-secret' })
        .reply(201, messageResource({ sid: sid(2) }));
      const sender = await adapter.create({ ...config, apiKeySid: API_KEY, apiKeySecret: 'key-secret' }, context);
      const result = await sender.send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(result.providerMessageId).to.equal(sid(2));
      scope.done();
    });

    it('sends from a Messaging Service when one is configured instead of a number', async () => {
      const scope = twilioApi()
        .post(MESSAGES, { To: '+14155550100', MessagingServiceSid: SERVICE, Body: 'Your parcel has shipped.', StatusCallback: context.callbackUrl })
        .reply(201, messageResource({ sid: sid(3), messaging_service_sid: SERVICE, status: 'accepted', num_segments: '0' }));
      const sender = await adapter.create({ accountSid: ACCOUNT, authToken: TOKEN, messagingServiceSid: SERVICE }, context);
      const result = await sender.send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(result).to.deep.include({ providerMessageId: sid(3), status: 'sent' });
      expect(result.details).to.include({ twilioStatus: 'accepted' });
      scope.done();
    });

    it("sends the event's files as MMS media (MediaUrl, one a file)", async () => {
      let fields: Record<string, unknown> = {};
      const scope = twilioApi()
        .post(MESSAGES, (body) => {
          fields = body;
          return true;
        })
        .reply(201, messageResource({ sid: sid(7), num_media: '2' }));
      const sender = await adapter.create(config, context);
      const result = await sender.send({ ...message, media: [{ url: 'https://notify.acme.example/v1/media/abc.sig', filename: 'INV-42.pdf', contentType: 'application/pdf' }, { url: 'https://notify.acme.example/v1/media/def.sig', filename: 'map.png', contentType: 'image/png' }] }, { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
      expect(fields).to.deep.include({ To: '+14155550100', Body: 'Your parcel has shipped.', MediaUrl: ['https://notify.acme.example/v1/media/abc.sig', 'https://notify.acme.example/v1/media/def.sig'] });
      expect(result.details).to.deep.include({ media: ['INV-42.pdf', 'map.png'] });
    });

    it("reports Twilio's price when its answer has one, and none while it is null", async () => {
      twilioApi().post(MESSAGES).reply(201, messageResource({ sid: sid(5), price: '-0.00790', price_unit: 'USD' }));
      twilioApi().post(MESSAGES).reply(201, messageResource({ sid: sid(6) }));
      const sender = await adapter.create(config, context);
      const priced = await sender.send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(priced.price).to.deep.equal({ amount: 0.0079, currency: 'USD' });
      const unpriced = await sender.send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(unpriced).to.not.have.property('price');
    });

    it('records the segment count and encoding of long and non-GSM texts', async () => {
      twilioApi().post(MESSAGES).times(2).reply(201, messageResource({ sid: sid(4) }));
      const sender = await adapter.create(config, context);
      const long = await sender.send(sampleMessage({ channel: 'sms', content: { text: `${'x'.repeat(300)}{}` } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(long.details).to.include({ encoding: 'GSM-7', units: 304, segments: 2 });
      const emoji = await sender.send(sampleMessage({ channel: 'sms', content: { text: `Livraison prévue demain 🚚 ${'ł'.repeat(60)}` } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(emoji.details).to.include({ encoding: 'UCS-2', segments: 2 });
    });

    it('refuses an invalid number as permanent before calling Twilio', async () => {
      const sender = await adapter.create(config, context);
      const err = await sendAndCatch(sender, sampleMessage({ channel: 'sms', to: { id: 'u', phone: '0612345678' }, content: { text: 'hi' } }));
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'invalid_phone_number', scope: 'recipient' });
      expect(nock.pendingMocks()).to.deep.equal([]);
    });

    it('refuses a recipient without a phone number and an empty text as permanent', async () => {
      const sender = await adapter.create(config, context);
      expect(await sendAndCatch(sender, sampleMessage({ channel: 'sms', to: { id: 'u' }, content: { text: 'hi' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'missing_phone_number', scope: 'recipient' });
      expect(await sendAndCatch(sender, sampleMessage({ channel: 'sms', content: { text: '  ' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'empty_message', scope: 'recipient' });
    });

    it("keeps Twilio's code, status and answer on the error, and honours Retry-After", async () => {
      twilioApi().post(MESSAGES).reply(429, twilioError(429, 20429, 'Too Many Requests'), { 'Retry-After': '12' });
      const err = await sendAndCatch(await adapter.create(config, context));
      expect(err).to.be.instanceOf(TransientError).and.include({ code: '20429', status: 429, retryAfterMs: 12_000 });
      expect(err.message).to.contain('Too Many Requests');
      expect(err.response).to.contain('"more_info":"https://www.twilio.com/docs/errors/20429"');
    });

    it('stops the request when the signal aborts while Twilio is answering', async () => {
      twilioApi().post(MESSAGES).delay(5_000).reply(201, messageResource({ sid: sid(5) }));
      const sender = await adapter.create(config, context);
      const controller = new AbortController();
      const sending = sender.send(message, { idempotencyKey: 'k', signal: controller.signal });
      controller.abort(new Error('send timeout'));
      let caught: unknown;
      try {
        await sending;
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(TransientError);
    });
  });

  describe('verify', () => {
    const ACCOUNT_PATH = `/2010-04-01/Accounts/${ACCOUNT}.json`;
    const account = (status: string) => ({ sid: ACCOUNT, friendly_name: 'Acme', status, type: 'Full', auth_token: '[redacted]', uri: ACCOUNT_PATH });

    it('accepts credentials of an active account', async () => {
      const scope = twilioApi().get(ACCOUNT_PATH).basicAuth({ user: ACCOUNT, pass: TOKEN }).reply(200, account('active'));
      await (await adapter.create(config, context)).verify!();
      scope.done();
    });

    it('checks the Messaging Service exists', async () => {
      twilioApi().get(ACCOUNT_PATH).reply(200, account('active'));
      const scope = nock('https://messaging.twilio.com').get(`/v1/Services/${SERVICE}`).reply(404, twilioError(404, 20404, 'The requested resource was not found'));
      let caught: unknown;
      try {
        await (await adapter.create({ ...config, messagingServiceSid: SERVICE }, context)).verify!();
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError).and.include({ code: '20404' });
      scope.done();
    });

    it('reports wrong credentials and suspended accounts as configuration errors', async () => {
      twilioApi().get(ACCOUNT_PATH).reply(401, twilioError(401, 20003, 'Authenticate'));
      twilioApi().get(ACCOUNT_PATH).reply(200, account('suspended'));
      const sender = await adapter.create(config, context);
      for (const expected of ['20003', '20005']) {
        let caught: unknown;
        try {
          await sender.verify!();
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(ConfigError).and.include({ code: expected });
      }
    });
  });

  describe('receipts and replies', () => {
    let sender: Sender;
    before(async () => {
      sender = await adapter.create(config, context);
    });

    it('turns a signed status callback into a delivery update', async () => {
      const result = await sender.parseCallback!(twilioCallback(statusFields('delivered')));
      expect(result.updates).to.deep.equal([{ providerMessageId: sid(1), status: 'delivered' }]);
    });

    it('carries the error code of an undelivered message', async () => {
      const result = await sender.parseCallback!(twilioCallback(statusFields('undelivered', { ErrorCode: '30003' })));
      expect(result.updates).to.deep.equal([{ providerMessageId: sid(1), status: 'undelivered', errorCode: '30003', errorMessage: 'unreachable destination handset' }]);
    });

    it('maps failed and sent, and ignores intermediate statuses', async () => {
      expect((await sender.parseCallback!(twilioCallback(statusFields('failed', { ErrorCode: '30008' })))).updates?.[0]).to.include({ status: 'failed', errorCode: '30008' });
      expect((await sender.parseCallback!(twilioCallback(statusFields('sent')))).updates).to.deep.equal([{ providerMessageId: sid(1), status: 'sent' }]);
      for (const status of ['queued', 'sending', 'accepted']) expect((await sender.parseCallback!(twilioCallback(statusFields(status)))).updates).to.deep.equal([]);
    });

    it('validates the signature against a public URL with a query string', async () => {
      const url = `${context.callbackUrl}?source=clarion`;
      const result = await sender.parseCallback!(twilioCallback(statusFields('delivered'), { url }));
      expect(result.updates).to.have.length(1);
    });

    it('rejects an unsigned callback with 401', async () => {
      const err = await sender.parseCallback!(twilioCallback(statusFields('delivered'), { signature: null })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
    });

    it('rejects a callback signed with another token with 403', async () => {
      const err = await sender.parseCallback!(twilioCallback(statusFields('delivered'), { token: 'not-the-auth-token' })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('rejects a callback whose body was altered after signing with 403', async () => {
      const signed = twilioCallback(statusFields('undelivered'));
      const forged = { ...signed, rawBody: Buffer.from(new URLSearchParams(statusFields('delivered')).toString()), body: statusFields('delivered') };
      const err = await sender.parseCallback!(forged).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('rejects a callback signed for another URL with 403', async () => {
      const request = twilioCallback(statusFields('delivered'), { url: 'https://attacker.example.com/hook' });
      const err = await sender.parseCallback!({ ...request, url: context.callbackUrl }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it("rejects another account's callback, even validly signed, with 403", async () => {
      const err = await sender.parseCallback!(twilioCallback(statusFields('delivered', { AccountSid: `AC${'ff'.repeat(16)}` }))).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('reports an inbound STOP as an opt-out and answers empty TwiML', async () => {
      const result = await sender.parseCallback!(twilioCallback(inboundFields('Stop')));
      expect(result.inbound).to.deep.equal([{ channel: 'sms', from: '+14155550100', text: 'Stop', keyword: 'stop', providerMessageId: sid(9) }]);
      expect(result.response).to.deep.equal({ status: 200, contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' });
      expect(result.updates).to.equal(undefined);
    });

    it('reports START, ACK and 1 replies, and plain text without a keyword', async () => {
      const keyword = async (text: string) => (await sender.parseCallback!(twilioCallback(inboundFields(text)))).inbound?.[0].keyword;
      expect(await keyword('START')).to.equal('start');
      expect(await keyword('UNSTOP')).to.equal('start');
      expect(await keyword('ack')).to.equal('ack');
      expect(await keyword('1')).to.equal('ack');
      expect(await keyword('I will be late')).to.equal(undefined);
    });
  });
});
