import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { CallbackRejected, ConfigError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { CallbackRequest, DeliveryError, OutboundMessage, Sender } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { WhatsAppCloudConfig } from '../src/index.ts';

const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAJB-test-system-user-token';
const APP_SECRET = '6f1d0c7e2b9a4e5d8c3b2a1f0e9d8c7b';
const VERIFY_TOKEN = 'clarion-verify-4b2e';
const config: WhatsAppCloudConfig = { phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN };
const MESSAGES = `/v23.0/${PHONE_NUMBER_ID}/messages`;
const context = testContext();
const message = sampleMessage({ channel: 'whatsapp', content: { text: 'Your appointment is tomorrow at 10:00.' } });
const WAMID = 'wamid.HBgLMTQxNTU1NTAxMDAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA';

/** The Cloud API's answer to a send (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages). */
const sent = (id = WAMID, extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  contacts: [{ input: '+14155550100', wa_id: '14155550100' }],
  messages: [{ id, ...extra }],
});

/** A Graph API error (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes). */
const graphError = (code: number, message: string, details?: string) => ({
  error: {
    message: `(#${code}) ${message}`,
    type: 'OAuthException',
    code,
    ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
    fbtrace_id: 'AazH2l4qZ5mK1c0_8xYhQ9m',
  },
});

const graph = () => nock('https://graph.facebook.com');
const failWith = (status: number, body: object | string, headers: Record<string, string> = {}) => () => {
  graph().post(MESSAGES).reply(status, body, headers);
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

/** A webhook as Meta posts it: JSON signed with HMAC-SHA256 of the raw body, keyed with the app secret. */
function webhook(payload: object, options: { secret?: string; signature?: string | null; rawBody?: string } = {}): CallbackRequest {
  const rawBody = options.rawBody ?? JSON.stringify(payload);
  const signature = options.signature === undefined ? `sha256=${createHmac('sha256', options.secret ?? APP_SECRET).update(rawBody).digest('hex')}` : options.signature;
  return {
    method: 'POST',
    url: context.callbackUrl,
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'X-Hub-Signature-256': signature }) },
    query: {},
    rawBody: Buffer.from(rawBody),
    body: JSON.parse(rawBody),
  };
}

const change = (value: object, field = 'messages') => ({
  object: 'whatsapp_business_account',
  entry: [{
    id: '102290129340398',
    changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID }, ...value }, field }],
  }],
});

const status = (value: string, extra: Record<string, unknown> = {}) => ({
  id: WAMID,
  status: value,
  timestamp: '1795341631',
  recipient_id: '14155550100',
  biz_opaque_callback_data: message.deliveryId,
  ...extra,
});

function handshake(query: Record<string, string>): CallbackRequest {
  const url = `${context.callbackUrl}?${new URLSearchParams(query)}`;
  return { method: 'GET', url, headers: {}, query, rawBody: Buffer.alloc(0), body: undefined };
}

describe('whatsapp-cloud adapter', () => {
  before(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { phoneNumberId: PHONE_NUMBER_ID },
      { accessToken: ACCESS_TOKEN },
      { ...config, phoneNumberId: '+1 555 0100' },
      { ...config, accessToken: '' },
      { ...config, apiVersion: '23' },
      { ...config, businessAccountId: '1' },
    ],
    message,
    success: () => {
      graph()
        .post(MESSAGES, {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '+14155550100',
          biz_opaque_callback_data: message.deliveryId,
          type: 'text',
          text: { preview_url: false, body: 'Your appointment is tomorrow at 10:00.' },
        })
        .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
        .matchHeader('content-type', 'application/json')
        .reply(200, sent());
      return () => nock.cleanAll();
    },
    checkSuccess: (result) => {
      expect(result.providerMessageId).to.equal(WAMID);
      expect(result.details).to.deep.equal({ to: '+14155550100', kind: 'text', waId: '14155550100' });
    },
    failures: [
      { name: 'an undeliverable message (131026)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, graphError(131026, 'Message Undeliverable', 'Unable to deliver message.')) },
      { name: 'free text outside the 24-hour window (131047)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, graphError(131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.')) },
      { name: 'an invalid parameter (100)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, graphError(100, 'Invalid parameter')) },
      { name: 'a user who stopped marketing messages (131050)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, graphError(131050, 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.')) },
      { name: 'a country this business may not message (130497)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, graphError(130497, 'Business account is restricted from messaging users in this country.')) },
      { name: 'an unsupported message type (131051)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, graphError(131051, 'Unsupported message type')) },
      { name: 'a recipient outside the test number\'s allowed list (131030)', errorClass: 'config', arrange: failWith(400, graphError(131030, 'Recipient phone number not in allowed list')) },
      { name: 'an expired access token (190)', errorClass: 'config', arrange: failWith(401, graphError(190, 'Access token has expired')) },
      { name: 'an authentication failure (0)', errorClass: 'config', arrange: failWith(401, graphError(0, 'AuthException')) },
      { name: 'a missing permission (10)', errorClass: 'config', arrange: failWith(403, graphError(10, 'Permission Denied')) },
      { name: 'an API permission error (code 200-299)', errorClass: 'config', arrange: failWith(403, graphError(200, 'Requires whatsapp_business_messaging permission')) },
      { name: 'a template that does not exist (132001)', errorClass: 'config', arrange: failWith(404, graphError(132001, 'Template name does not exist in the translation')) },
      { name: 'the throughput limit (130429)', errorClass: 'transient', arrange: failWith(400, graphError(130429, 'Rate limit hit')) },
      { name: 'the spam rate limit (131048)', errorClass: 'transient', arrange: failWith(400, graphError(131048, 'Spam rate limit hit')) },
      { name: 'the pair rate limit (131056)', errorClass: 'transient', arrange: failWith(400, graphError(131056, '(Business Account, Consumer Account) pair rate limit hit')) },
      { name: 'the account rate limit (80007)', errorClass: 'transient', arrange: failWith(400, graphError(80007, 'Rate limit issues')) },
      { name: 'something went wrong (131000)', errorClass: 'transient', arrange: failWith(500, graphError(131000, 'Something went wrong')) },
      { name: 'service unavailable (131016)', errorClass: 'transient', arrange: failWith(503, graphError(131016, 'Service unavailable')) },
      { name: 'an outage without a Graph error (HTTP 502)', errorClass: 'transient', arrange: failWith(502, '<html>Bad Gateway</html>') },
      {
        name: 'a connection reset',
        errorClass: 'transient',
        arrange: () => {
          graph().post(MESSAGES).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          return () => nock.cleanAll();
        },
      },
    ],
  });

  describe('sending', () => {
    it('sends an approved template with its body parameters', async () => {
      const scope = graph()
        .post(MESSAGES, {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '+14155550100',
          biz_opaque_callback_data: message.deliveryId,
          type: 'template',
          template: { name: 'appointment_reminder', language: { code: 'fr' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '10:00' }] }] },
        })
        .reply(200, sent(WAMID, { message_status: 'accepted' }));
      const result = await (await adapter.create(config, context)).send(
        sampleMessage({ channel: 'whatsapp', content: { template: { name: 'appointment_reminder', language: 'fr', variables: ['Ada', '10:00'] } } }),
        { idempotencyKey: 'k', signal: new AbortController().signal },
      );
      scope.done();
      expect(result.details).to.include({ kind: 'template', template: 'appointment_reminder', language: 'fr', messageStatus: 'accepted' });
    });

    it("sends the event's first file as a document message by link, the text as its caption", async () => {
      const common = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+14155550100', biz_opaque_callback_data: message.deliveryId };
      const scope = graph()
        .post(MESSAGES, { ...common, type: 'document', document: { link: 'https://notify.acme.example/v1/media/abc.sig', filename: 'INV-42.pdf', caption: 'Invoice 42 is due in 3 days.' } })
        .reply(200, sent())
        .post(MESSAGES, { ...common, type: 'image', image: { link: 'https://notify.acme.example/v1/media/def.sig', caption: 'Your map.' } })
        .reply(200, sent())
        .post(MESSAGES, { ...common, type: 'text', text: { preview_url: false, body: 'x'.repeat(1025) } })
        .reply(200, sent());
      const sender = await adapter.create(config, context);
      const send = (text: string, media: Array<{ url: string; filename: string; contentType: string }>) => sender.send({ ...sampleMessage({ channel: 'whatsapp', content: { text } }), media }, { idempotencyKey: 'k', signal: new AbortController().signal });
      const media = [{ url: 'https://notify.acme.example/v1/media/abc.sig', filename: 'INV-42.pdf', contentType: 'application/pdf' }, { url: 'https://notify.acme.example/v1/media/def.sig', filename: 'map.png', contentType: 'image/png' }];
      expect((await send('Invoice 42 is due in 3 days.', media)).details).to.include({ kind: 'document' });
      expect((await send('Your map.', [media[1]])).details).to.include({ kind: 'image' });
      // Longer than a caption may be: the text goes alone.
      expect((await send('x'.repeat(1025), media)).details).to.include({ kind: 'text' });
      scope.done();
    });

    it('sends a template without parameters without components, on the configured API version', async () => {
      const scope = graph()
        .post(`/v21.0/${PHONE_NUMBER_ID}/messages`, (body) => body.type === 'template' && !('components' in body.template))
        .reply(200, sent());
      await (await adapter.create({ ...config, apiVersion: 'v21.0' }, context)).send(
        sampleMessage({ channel: 'whatsapp', content: { template: { name: 'hello_world', language: 'en_US' } } }),
        { idempotencyKey: 'k', signal: new AbortController().signal },
      );
      scope.done();
    });

    it('asks for a link preview when configured', async () => {
      const scope = graph().post(MESSAGES, (body) => body.type === 'text' && body.text.preview_url === true).reply(200, sent());
      await (await adapter.create({ ...config, previewUrl: true }, context)).send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
    });

    it("keeps Meta's code, details and Retry-After on the error", async () => {
      graph().post(MESSAGES).reply(429, graphError(130429, 'Rate limit hit', 'Cloud API message throughput has been reached.'), { 'Retry-After': '30' });
      const err = await sendAndCatch(await adapter.create(config, context));
      expect(err).to.be.instanceOf(TransientError).and.include({ code: '130429', status: 429, retryAfterMs: 30_000 });
      expect(err.message).to.equal('WhatsApp Cloud API error 130429: (#130429) Rate limit hit (Cloud API message throughput has been reached.)');
      expect(err.response).to.contain('fbtrace_id');
    });

    it('refuses an invalid number and an empty text as permanent, without calling Meta', async () => {
      const sender = await adapter.create(config, context);
      expect(await sendAndCatch(sender, sampleMessage({ channel: 'whatsapp', to: { id: 'u', phone: '+1 800' }, content: { text: 'x' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'invalid_phone_number', scope: 'recipient' });
      expect(await sendAndCatch(sender, sampleMessage({ channel: 'whatsapp', content: { text: ' ' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'empty_message', scope: 'recipient' });
    });

    it('treats an answer without a message id as transient', async () => {
      graph().post(MESSAGES).reply(200, { messaging_product: 'whatsapp', contacts: [], messages: [] });
      expect(await sendAndCatch(await adapter.create(config, context))).to.be.instanceOf(TransientError).and.include({ code: 'BAD_RESPONSE' });
    });
  });

  describe('verify', () => {
    it('reads the phone number with the token, and reports an expired token as a configuration error', async () => {
      graph().get(`/v23.0/${PHONE_NUMBER_ID}`).query({ fields: 'display_phone_number,verified_name' }).matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
        .reply(200, { display_phone_number: '+1 555-078-3881', verified_name: 'Acme', id: PHONE_NUMBER_ID });
      graph().get(`/v23.0/${PHONE_NUMBER_ID}`).query(true).reply(401, graphError(190, 'Error validating access token: Session has expired'));
      const sender = await adapter.create(config, context);
      await sender.verify!();
      expect(await sender.verify!().catch((e: unknown) => e)).to.be.instanceOf(ConfigError).and.include({ code: '190' });
    });
  });

  describe('webhooks', () => {
    let sender: Sender;
    before(async () => {
      sender = await adapter.create(config, context);
    });

    it('answers the verification handshake by echoing hub.challenge', async () => {
      const result = await sender.parseCallback!(handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' }));
      expect(result.response).to.deep.equal({ status: 200, contentType: 'text/plain', body: '1158201444' });
    });

    it('refuses a handshake with the wrong verify token (403) or without one (401)', async () => {
      const wrong = await sender.parseCallback!(handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' })).catch((e: unknown) => e);
      expect(wrong).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
      const missing = await sender.parseCallback!(handshake({ 'hub.challenge': '1' })).catch((e: unknown) => e);
      expect(missing).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
      const unconfigured = await (await adapter.create({ phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN }, context))
        .parseCallback!(handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' })).catch((e: unknown) => e);
      expect(unconfigured).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('maps signed sent, delivered and read statuses, tied to the delivery', async () => {
      const result = await sender.parseCallback!(webhook(change({ statuses: [status('sent'), status('delivered'), status('read')] })));
      const at = new Date(1795341631 * 1000);
      expect(result.updates).to.deep.equal([
        { providerMessageId: WAMID, status: 'sent', deliveryId: message.deliveryId, at },
        { providerMessageId: WAMID, status: 'delivered', deliveryId: message.deliveryId, at },
        { providerMessageId: WAMID, status: 'read', deliveryId: message.deliveryId, at },
      ]);
    });

    it('carries the error of a failed message', async () => {
      const failed = status('failed', { errors: [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'More than 24 hours have passed since the recipient last replied.' } }] });
      const result = await sender.parseCallback!(webhook(change({ statuses: [failed] })));
      expect(result.updates).to.deep.equal([{
        providerMessageId: WAMID,
        status: 'failed',
        deliveryId: message.deliveryId,
        at: new Date(1795341631 * 1000),
        errorCode: '131047',
        errorMessage: 'Re-engagement message: More than 24 hours have passed since the recipient last replied.',
      }]);
    });

    it('reports inbound text and button replies with their keywords', async () => {
      const messages = [
        { from: '14155550100', id: 'wamid.in1', timestamp: '1795341700', type: 'text', text: { body: 'STOP' } },
        { from: '14155550101', id: 'wamid.in2', timestamp: '1795341701', type: 'button', button: { text: 'ACK', payload: 'ack-payload' } },
        { from: '14155550102', id: 'wamid.in3', timestamp: '1795341702', type: 'image', image: { id: '1', mime_type: 'image/jpeg' } },
      ];
      const result = await sender.parseCallback!(webhook(change({ contacts: [{ profile: { name: 'Ada' }, wa_id: '14155550100' }], messages })));
      expect(result.inbound).to.deep.equal([
        { channel: 'whatsapp', from: '+14155550100', text: 'STOP', keyword: 'stop', providerMessageId: 'wamid.in1' },
        { channel: 'whatsapp', from: '+14155550101', text: 'ACK', keyword: 'ack', providerMessageId: 'wamid.in2' },
      ]);
      expect(result.updates).to.equal(undefined);
    });

    it('ignores other webhook fields', async () => {
      expect(await sender.parseCallback!(webhook(change({ message_template_id: 1, event: 'APPROVED' }, 'message_template_status_update')))).to.deep.equal({});
    });

    it('rejects an unsigned webhook with 401', async () => {
      const err = await sender.parseCallback!(webhook(change({ statuses: [status('delivered')] }), { signature: null })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
    });

    it('rejects a webhook signed with another secret, or altered after signing, with 403', async () => {
      const forged = await sender.parseCallback!(webhook(change({ statuses: [status('delivered')] }), { secret: 'another-app' })).catch((e: unknown) => e);
      expect(forged).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
      const original = webhook(change({ statuses: [status('failed')] }));
      const altered = JSON.stringify(change({ statuses: [status('delivered')] }));
      const tampered = await sender.parseCallback!({ ...original, rawBody: Buffer.from(altered), body: JSON.parse(altered) }).catch((e: unknown) => e);
      expect(tampered).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('refuses webhooks when no app secret is configured', async () => {
      const unconfigured = await adapter.create({ phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN }, context);
      const err = await unconfigured.parseCallback!(webhook(change({ statuses: [status('delivered')] }))).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
    });
  });
});
