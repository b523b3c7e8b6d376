import { generateKeyPairSync, sign } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { CallbackRejected, ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { CallbackRequest } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter, { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../src/index.ts';
import type { SendGridConfig } from '../src/index.ts';

const API_KEY = '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';
// SendGrid's Signed Event Webhook uses ECDSA P-256; Mail Settings shows the public key as base64 DER.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const webhookPublicKey = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const config: SendGridConfig = { apiKey: API_KEY, fromEmail: 'alerts@acme.example.com', fromName: 'Acme Alerts', webhookPublicKey };

const MESSAGE_ID = 'W86EgYT6SQKk0lRflfLRsA';
const emailMessage = () => sampleMessage({
  headers: { 'List-Unsubscribe': '<https://clarion.example.com/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  metadata: { workflow: 'build-failed' },
});

const mailSend = () => nock('https://api.sendgrid.com').matchHeader('authorization', `Bearer ${API_KEY}`).matchHeader('content-type', /application\/json/);
const failWith = (status: number, body: unknown, headers: Record<string, string> = {}) => () => {
  mailSend().post('/v3/mail/send').reply(status, body as object, headers);
  return () => nock.cleanAll();
};

async function send(cfg: SendGridConfig = config, message = emailMessage()) {
  const sender = await adapter.create(cfg, testContext());
  return sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
}

async function failure(cfg: SendGridConfig = config, message = emailMessage()): Promise<DeliveryError> {
  try {
    await send(cfg, message);
  } catch (err) {
    expect(err).to.be.instanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

/** A callback as SendGrid posts it: the JSON array, signed over timestamp + raw body. */
function eventWebhook(events: unknown[], options: { timestamp?: number; sign?: boolean; tamper?: boolean } = {}): CallbackRequest {
  const rawBody = Buffer.from(JSON.stringify(events));
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), rawBody]), privateKey).toString('base64');
  const body = options.tamper ? Buffer.from(JSON.stringify(events).replace('delivered', 'bounce')) : rawBody;
  return {
    method: 'POST',
    url: 'https://clarion.example.com/v1/providers/sendgrid/callbacks/00000000-0000-4000-8000-000000000002',
    headers: options.sign === false ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', [SIGNATURE_HEADER.toLowerCase()]: signature, [TIMESTAMP_HEADER.toLowerCase()]: timestamp },
    query: {},
    rawBody: body,
    body: JSON.parse(body.toString('utf8')),
  };
}

async function parse(request: CallbackRequest, cfg: SendGridConfig = config) {
  const sender = await adapter.create(cfg, testContext());
  return sender.parseCallback!(request);
}

async function rejection(request: CallbackRequest, cfg: SendGridConfig = config): Promise<CallbackRejected> {
  try {
    await parse(request, cfg);
  } catch (err) {
    expect(err).to.be.instanceOf(CallbackRejected);
    return err as CallbackRejected;
  }
  throw new Error('the callback should have been rejected');
}

const deliveryId = sampleMessage().deliveryId;
const event = (name: string, extra: Record<string, unknown> = {}) => ({
  email: 'ada@example.com',
  timestamp: 1513299569,
  'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
  event: name,
  sg_event_id: `evt-${name}`,
  sg_message_id: `${MESSAGE_ID}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0`,
  clarion_delivery_id: deliveryId,
  ...extra,
});

describe('sendgrid adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [{}, { apiKey: API_KEY }, { ...config, apiKey: 'key-123' }, { ...config, fromEmail: 'not-an-address' }, { ...config, region: 'us' }, { ...config, password: 'x' }],
    message: emailMessage(),
    success: () => {
      mailSend().post('/v3/mail/send').reply(202, '', { 'X-Message-Id': MESSAGE_ID });
      return () => nock.cleanAll();
    },
    failures: [
      { name: '400 invalid recipient address', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, { errors: [{ message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email', help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to' }] }) },
      { name: '400 about the rest of the request', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, { errors: [{ message: 'Invalid type. Expected: string, given: object.', field: 'headers', help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.headers' }] }) },
      { name: '429 Too Many Requests', errorClass: 'transient', arrange: failWith(429, { errors: [{ message: 'too many requests', field: null }] }) },
      { name: '401 Unauthorized', errorClass: 'config', arrange: failWith(401, { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] }) },
    ],
    checkSuccess: (result) => { expect(result.providerMessageId).to.equal(MESSAGE_ID); },
  });

  describe('sending', () => {
    it('posts the documented v3 Mail Send body with custom_args carrying the delivery id', async () => {
      let posted: Record<string, unknown> | undefined;
      mailSend().post('/v3/mail/send', (body) => { posted = body; return true; }).reply(202, '', { 'X-Message-Id': MESSAGE_ID });
      const message = emailMessage();
      const result = await send();
      expect(result).to.include({ status: 'sent', providerMessageId: MESSAGE_ID });
      expect(posted).to.deep.equal({
        personalizations: [{
          to: [{ email: 'ada@example.com', name: 'Ada Lovelace' }],
          custom_args: { workflow: 'build-failed', clarion_delivery_id: message.deliveryId, clarion_notification_id: message.notificationId },
        }],
        from: { email: 'alerts@acme.example.com', name: 'Acme Alerts' },
        subject: 'Hello',
        content: [{ type: 'text/plain', value: 'Hello Ada' }, { type: 'text/html', value: '<p>Hello Ada</p>' }],
        headers: { 'List-Unsubscribe': '<https://clarion.example.com/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
    });

    it('attaches files as the documented attachments array (base64 content, filename, type, disposition)', async () => {
      let posted: Record<string, unknown> | undefined;
      mailSend().post('/v3/mail/send', (body) => { posted = body; return true; }).reply(202, '', { 'X-Message-Id': MESSAGE_ID });
      const attachments = [{ filename: 'INV-42.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 invoice') }, { filename: 'lines.csv', contentType: 'text/csv', content: Buffer.from('a,b\n1,2\n') }];
      await send(config, { ...emailMessage(), attachments });
      expect(posted!.attachments).to.deep.equal([
        { content: Buffer.from('%PDF-1.4 invoice').toString('base64'), filename: 'INV-42.pdf', type: 'application/pdf', disposition: 'attachment' },
        { content: Buffer.from('a,b\n1,2\n').toString('base64'), filename: 'lines.csv', type: 'text/csv', disposition: 'attachment' },
      ]);
    });

    it('uses the EU endpoint and sandbox mode when configured', async () => {
      let posted: Record<string, unknown> | undefined;
      nock('https://api.eu.sendgrid.com').post('/v3/mail/send', (body) => { posted = body; return true; }).reply(200, '');
      const result = await send({ ...config, region: 'eu', sandboxMode: true });
      expect(result.details).to.deep.equal({ sandbox: true });
      expect(posted?.mail_settings).to.deep.equal({ sandbox_mode: { enable: true } });
    });

    it('refuses a recipient without an e-mail address as permanent, without a request', async () => {
      const message = emailMessage();
      delete message.to.email;
      const err = await failure(config, message);
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_ADDRESS', scope: 'recipient' });
    });

    it('refuses an e-mail the template rendered without subject as the recipient\'s (no provider could send it)', async () => {
      const err = await failure(config, sampleMessage({ content: { text: 'x' } }));
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_SUBJECT', scope: 'recipient' });
    });

    it('is about the provider when a 400 names the recipient and another field', async () => {
      failWith(400, { errors: [
        { message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email' },
        { message: 'The from email does not contain a valid address.', field: 'from.email' },
      ] })();
      expect(await failure()).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    });

    it('classifies 403 (sender identity not verified) as config', async () => {
      failWith(403, { errors: [{ message: 'The from address does not match a verified Sender Identity.', field: 'from', help: null }] })();
      const err = await failure();
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.include('verified Sender Identity');
    });

    it('classifies 413 Payload Too Large as permanent (SendGrid\'s limit)', async () => {
      failWith(413, { errors: [{ message: 'Payload Too Large', field: null }] })();
      expect(await failure()).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    });

    it('classifies 429 as transient, waiting until X-RateLimit-Reset', async () => {
      const reset = Math.floor(Date.now() / 1000) + 120;
      failWith(429, { errors: [{ message: 'too many requests', field: null }] }, { 'X-RateLimit-Limit': '600', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(reset) })();
      const err = await failure();
      expect(err).to.be.instanceOf(TransientError);
      expect(err.retryAfterMs).to.be.within(100_000, 120_000);
    });

    it('classifies 500 and 503 as transient', async () => {
      failWith(500, { errors: [{ message: 'internal error', field: null }] })();
      expect(await failure()).to.be.instanceOf(TransientError);
      failWith(503, 'Service Unavailable')();
      expect(await failure()).to.be.instanceOf(TransientError);
    });

    it('verify() checks that the key has the mail.send scope', async () => {
      const sender = await adapter.create(config, testContext());
      nock('https://api.sendgrid.com').get('/v3/scopes').matchHeader('authorization', `Bearer ${API_KEY}`).reply(200, { scopes: ['mail.send', 'user.profile.read'] });
      await sender.verify!();
      nock('https://api.sendgrid.com').get('/v3/scopes').reply(200, { scopes: ['user.profile.read'] });
      let caught: unknown;
      try {
        await sender.verify!();
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError);
    });
  });

  describe('Signed Event Webhook receipts', () => {
    it('maps delivered, bounce, blocked, dropped, deferred, open, click and spamreport onto deliveries', async () => {
      const result = await parse(eventWebhook([
        event('processed'),
        event('delivered', { response: '250 OK' }),
        event('bounce', { type: 'bounce', status: '5.1.1', reason: '550 5.1.1 The email account that you tried to reach does not exist.' }),
        event('bounce', { type: 'blocked', status: '4.0.0', reason: '421 too many connections' }),
        event('dropped', { reason: 'Bounced Address' }),
        event('deferred', { response: '400 try again later', attempt: '5' }),
        event('open', { useragent: 'Mozilla/4.0', ip: '255.255.255.255' }),
        event('click', { url: 'https://ci.example.com/builds/42' }),
        event('spamreport'),
      ]));
      const at = new Date(1513299569 * 1000);
      const base = { providerMessageId: MESSAGE_ID, deliveryId, at };
      expect(result.updates).to.deep.equal([
        { ...base, status: 'delivered' },
        { ...base, status: 'bounced', errorCode: '5.1.1', errorMessage: '550 5.1.1 The email account that you tried to reach does not exist.' },
        { ...base, status: 'undelivered', errorCode: '4.0.0', errorMessage: '421 too many connections' },
        { ...base, status: 'bounced', errorCode: 'dropped', errorMessage: 'Bounced Address' },
        { ...base, status: 'sent', errorCode: 'deferred', errorMessage: '400 try again later' },
        { ...base, status: 'opened' },
        { ...base, status: 'clicked' },
        { ...base, status: 'complained' },
      ]);
    });

    it("flags an open SendGrid marks sg_machine_open (Apple Mail Privacy Protection) as a machine's", async () => {
      const result = await parse(eventWebhook([event('open', { sg_machine_open: true, useragent: 'Mozilla/5.0' }), event('open', { sg_machine_open: false, useragent: 'Mozilla/5.0 (Macintosh)' })]));
      const base = { providerMessageId: MESSAGE_ID, deliveryId, at: new Date(1513299569 * 1000) };
      expect(result.updates).to.deep.equal([{ ...base, status: 'opened', machine: true }, { ...base, status: 'opened' }]);
    });

    it('reports unsubscribes as e-mail opt-outs', async () => {
      const result = await parse(eventWebhook([event('unsubscribe'), event('group_resubscribe', { asm_group_id: 10 })]));
      expect(result.inbound).to.deep.equal([
        { channel: 'email', from: 'ada@example.com', text: 'unsubscribe', keyword: 'stop' },
        { channel: 'email', from: 'ada@example.com', text: 'group_resubscribe', keyword: 'start' },
      ]);
    });

    it('rejects an unsigned callback with 401', async () => {
      const err = await rejection(eventWebhook([event('delivered')], { sign: false }));
      expect(err.status).to.equal(401);
    });

    it('rejects a forged (tampered) callback with 403', async () => {
      const err = await rejection(eventWebhook([event('delivered')], { tamper: true }));
      expect(err.status).to.equal(403);
    });

    it('rejects a callback signed by another key with 403', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const err = await rejection(eventWebhook([event('delivered')]), { ...config, webhookPublicKey: other });
      expect(err.status).to.equal(403);
    });

    it('rejects a replayed batch signed more than a day ago with 403', async () => {
      const err = await rejection(eventWebhook([event('delivered')], { timestamp: Math.floor(Date.now() / 1000) - 2 * 86_400 }));
      expect(err.status).to.equal(403);
    });

    it('rejects signed callbacks with 403 when no verification key is configured', async () => {
      const { webhookPublicKey: _omitted, ...withoutKey } = config;
      const err = await rejection(eventWebhook([event('delivered')]), withoutKey);
      expect(err.status).to.equal(403);
    });
  });
});
