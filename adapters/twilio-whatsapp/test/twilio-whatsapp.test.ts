import { expect } from 'chai';
import nock from 'nock';
import twilio from 'twilio';
import { CallbackRejected, ConfigError, PermanentError } from '@clarion/adapter-kit';
import type { CallbackRequest, DeliveryError, OutboundMessage, Sender } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { TwilioWhatsAppConfig } from '../src/index.ts';

const ACCOUNT = `AC${'d4'.repeat(16)}`;
const TOKEN = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SERVICE = `MG${'e5'.repeat(16)}`;
const CONTENT_SID = `HX${'f6'.repeat(16)}`;
const config: TwilioWhatsAppConfig = { accountSid: ACCOUNT, authToken: TOKEN, from: '+14155238886' };
const MESSAGES = `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;
const context = testContext();
const message = sampleMessage({ channel: 'whatsapp', content: { text: 'Your table for 4 is confirmed at 19:30.' } });
const sid = (n: number) => `SM${String(n).padStart(32, '0')}`;

const messageResource = (fields: Record<string, unknown>) => ({
  account_sid: ACCOUNT,
  api_version: '2010-04-01',
  direction: 'outbound-api',
  error_code: null,
  error_message: null,
  num_media: '0',
  num_segments: '1',
  status: 'queued',
  to: 'whatsapp:+14155550100',
  from: 'whatsapp:+14155238886',
  ...fields,
});
const twilioError = (status: number, code: number, text: string) => ({ code, message: text, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
const twilioApi = () => nock('https://api.twilio.com');
const failWith = (status: number, body: object | string) => () => {
  twilioApi().post(MESSAGES).reply(status, body);
  return () => nock.cleanAll();
};

async function sendAndCatch(sender: Sender, msg: OutboundMessage): Promise<DeliveryError> {
  try {
    await sender.send(msg, { idempotencyKey: 'k', signal: new AbortController().signal });
  } catch (err) {
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

function twilioCallback(fields: Record<string, string>, options: { token?: string; signature?: string | null } = {}): CallbackRequest {
  const url = context.callbackUrl;
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.token ?? TOKEN, url, fields) : options.signature;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
    query: {},
    rawBody: Buffer.from(new URLSearchParams(fields).toString()),
    body: fields,
  };
}

const statusFields = (status: string, extra: Record<string, string> = {}) => ({
  AccountSid: ACCOUNT,
  ApiVersion: '2010-04-01',
  ChannelPrefix: 'whatsapp',
  From: 'whatsapp:+14155238886',
  MessageSid: sid(1),
  MessageStatus: status,
  SmsSid: sid(1),
  SmsStatus: status,
  To: 'whatsapp:+14155550100',
  ...extra,
});

describe('twilio-whatsapp adapter', () => {
  before(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { accountSid: ACCOUNT, authToken: TOKEN },
      { accountSid: ACCOUNT, authToken: TOKEN, from: 'Acme' },
      { accountSid: ACCOUNT, from: '+14155238886' },
      { ...config, apiKeySecret: 'orphan' },
    ],
    message,
    success: () => {
      twilioApi()
        .post(MESSAGES, { To: 'whatsapp:+14155550100', From: 'whatsapp:+14155238886', Body: 'Your table for 4 is confirmed at 19:30.', StatusCallback: context.callbackUrl })
        .basicAuth({ user: ACCOUNT, pass: TOKEN })
        .reply(201, messageResource({ sid: sid(1) }));
      return () => nock.cleanAll();
    },
    checkSuccess: (result) => {
      expect(result.providerMessageId).to.equal(sid(1));
      expect(result.details).to.include({ to: 'whatsapp:+14155550100', kind: 'text' });
    },
    failures: [
      { name: 'a free-form message outside the 24-hour window (63016)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 63016, 'Failed to send freeform message because you are outside the allowed window.')) },
      { name: 'a number that is not on WhatsApp (63003)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 63003, 'Channel could not find To address')) },
      { name: 'a recipient who opted out (21610)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21610, 'Attempt to send to unsubscribed recipient')) },
      { name: 'a marketing message Meta withholds from this user (63049)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 63049, 'Meta chose not to deliver this WhatsApp marketing message')) },
      { name: 'content the channel refuses (63021)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, twilioError(400, 63021, 'Channel invalid content error')) },
      { name: 'a destination this sender cannot reach (21612)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, twilioError(400, 21612, "The 'To' phone number is not currently reachable using the 'From' phone number via WhatsApp.")) },
      { name: 'a sender that is not a WhatsApp channel (63007)', errorClass: 'config', arrange: failWith(400, twilioError(400, 63007, "Twilio could not find a Channel with the specified From address")) },
      { name: 'wrong credentials (20003)', errorClass: 'config', arrange: failWith(401, twilioError(401, 20003, 'Authenticate')) },
      { name: 'the WhatsApp rate limit (63018)', errorClass: 'transient', arrange: failWith(400, twilioError(400, 63018, 'Rate limit exceeded for Channel')) },
      { name: 'rate limiting (20429)', errorClass: 'transient', arrange: failWith(429, twilioError(429, 20429, 'Too Many Requests')) },
      { name: 'an outage (HTTP 500)', errorClass: 'transient', arrange: failWith(500, twilioError(500, 20500, 'Internal Server Error')) },
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
    const templated = (variables?: string[], contentSid: string | null = CONTENT_SID) =>
      sampleMessage({
        channel: 'whatsapp',
        content: { text: 'ignored for templates', template: { name: 'table_confirmed', language: 'en', variables, ...(contentSid === null ? {} : { contentSid }) } },
      });

    it('sends an approved Content template by SID with its variables numbered from 1', async () => {
      const scope = twilioApi()
        .post(MESSAGES, {
          To: 'whatsapp:+14155550100',
          From: 'whatsapp:+14155238886',
          ContentSid: CONTENT_SID,
          ContentVariables: JSON.stringify({ 1: 'Ada', 2: '19:30' }),
          StatusCallback: context.callbackUrl,
        })
        .reply(201, messageResource({ sid: sid(2) }));
      const result = await (await adapter.create(config, context)).send(templated(['Ada', '19:30']), { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(result.details).to.include({ kind: 'template', contentSid: CONTENT_SID });
      scope.done();
    });

    it('sends a template without variables without ContentVariables', async () => {
      const scope = twilioApi()
        .post(MESSAGES, (body) => body.ContentSid === CONTENT_SID && !('ContentVariables' in body) && !('Body' in body))
        .reply(201, messageResource({ sid: sid(3) }));
      await (await adapter.create(config, context)).send(templated([]), { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
    });

    it("sends a free-text message with the event's first file (one MediaUrl), a template without", async () => {
      const media = [{ url: 'https://notify.acme.example/v1/media/abc.sig', filename: 'INV-42.pdf', contentType: 'application/pdf' }, { url: 'https://notify.acme.example/v1/media/def.sig', filename: 'map.png', contentType: 'image/png' }];
      const scope = twilioApi()
        .post(MESSAGES, { To: 'whatsapp:+14155550100', From: 'whatsapp:+14155238886', Body: 'Your table for 4 is confirmed at 19:30.', MediaUrl: 'https://notify.acme.example/v1/media/abc.sig', StatusCallback: context.callbackUrl })
        .reply(201, messageResource({ sid: sid(8) }))
        .post(MESSAGES, (body) => body.ContentSid === CONTENT_SID && !('MediaUrl' in body))
        .reply(201, messageResource({ sid: sid(9) }));
      const sender = await adapter.create(config, context);
      const result = await sender.send({ ...message, media }, { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(result.details).to.include({ kind: 'text', media: 'INV-42.pdf' });
      await sender.send({ ...templated(['Ada', '19:30']), media }, { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
    });

    it('sends from a Messaging Service', async () => {
      const scope = twilioApi()
        .post(MESSAGES, (body) => body.MessagingServiceSid === SERVICE && !('From' in body))
        .reply(201, messageResource({ sid: sid(4) }));
      await (await adapter.create({ accountSid: ACCOUNT, authToken: TOKEN, messagingServiceSid: SERVICE }, context)).send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
    });

    it('refuses a template without a Content SID as a configuration error, without calling Twilio', async () => {
      const err = await sendAndCatch(await adapter.create(config, context), templated(['Ada'], null));
      expect(err).to.be.instanceOf(ConfigError).and.include({ code: 'template_without_content_sid' });
      expect(err.message).to.contain('table_confirmed');
      const bad = await sendAndCatch(await adapter.create(config, context), templated(['Ada'], 'HX123'));
      expect(bad).to.be.instanceOf(ConfigError).and.include({ code: 'invalid_content_sid' });
    });

    it('refuses an invalid number as permanent, without calling Twilio', async () => {
      const err = await sendAndCatch(await adapter.create(config, context), sampleMessage({ channel: 'whatsapp', to: { id: 'u', phone: '+1 555' }, content: { text: 'hi' } }));
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'invalid_phone_number', scope: 'recipient' });
    });

    it('classifies template variable problems of one message as permanent (the recipient\'s) and template mismatches as config', async () => {
      twilioApi().post(MESSAGES).reply(400, twilioError(400, 21656, 'The Content Variables parameter is invalid.'));
      twilioApi().post(MESSAGES).reply(400, twilioError(400, 63028, 'Number of parameters provided does not match the expected number of parameters'));
      const sender = await adapter.create(config, context);
      expect(await sendAndCatch(sender, templated(['']))).to.be.instanceOf(PermanentError).and.include({ code: '21656', scope: 'recipient' });
      expect(await sendAndCatch(sender, templated(['Ada']))).to.be.instanceOf(ConfigError).and.include({ code: '63028' });
    });
  });

  describe('receipts and replies', () => {
    let sender: Sender;
    before(async () => {
      sender = await adapter.create(config, context);
    });

    it('maps sent, delivered and read status callbacks', async () => {
      for (const status of ['sent', 'delivered', 'read'] as const) {
        const result = await sender.parseCallback!(twilioCallback(statusFields(status)));
        expect(result.updates).to.deep.equal([{ providerMessageId: sid(1), status }]);
      }
    });

    it('explains a failure outside the 24-hour window', async () => {
      const result = await sender.parseCallback!(twilioCallback(statusFields('failed', { ErrorCode: '63016' })));
      expect(result.updates).to.deep.equal([{ providerMessageId: sid(1), status: 'failed', errorCode: '63016', errorMessage: 'outside the 24-hour window: send an approved template' }]);
    });

    it('reports a WhatsApp reply with its keyword and the number without the whatsapp: prefix', async () => {
      const fields = { AccountSid: ACCOUNT, Body: 'STOP', From: 'whatsapp:+14155550100', MessageSid: sid(7), NumMedia: '0', ProfileName: 'Ada', SmsStatus: 'received', To: 'whatsapp:+14155238886', WaId: '14155550100' };
      const result = await sender.parseCallback!(twilioCallback(fields));
      expect(result.inbound).to.deep.equal([{ channel: 'whatsapp', from: '+14155550100', text: 'STOP', keyword: 'stop', providerMessageId: sid(7) }]);
      expect((result.response as { contentType?: string } | undefined)?.contentType).to.equal('text/xml');
    });

    it('rejects unsigned (401) and forged (403) callbacks', async () => {
      const unsigned = await sender.parseCallback!(twilioCallback(statusFields('read'), { signature: null })).catch((e: unknown) => e);
      expect(unsigned).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
      const forged = await sender.parseCallback!(twilioCallback(statusFields('read'), { token: 'guessed' })).catch((e: unknown) => e);
      expect(forged).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
      const garbage = await sender.parseCallback!(twilioCallback(statusFields('read'), { signature: 'bm90IGEgc2lnbmF0dXJl' })).catch((e: unknown) => e);
      expect(garbage).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });
  });
});
