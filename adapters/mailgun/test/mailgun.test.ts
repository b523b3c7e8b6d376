import { createHmac, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { CallbackRejected, ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { CallbackRequest } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { MailgunConfig } from '../src/index.ts';

const API_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const SIGNING_KEY = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e';
const config: MailgunConfig = { apiKey: API_KEY, domain: 'mg.acme.example.com', fromEmail: 'alerts@mg.acme.example.com', fromName: 'Acme, Alerts', webhookSigningKey: SIGNING_KEY };
const BASIC = `Basic ${Buffer.from(`api:${API_KEY}`).toString('base64')}`;
const MESSAGE_ID = '20240513120000.1.4A2F7C0E9B3D5E61@mg.acme.example.com';

const emailMessage = () => sampleMessage({ headers: { 'List-Unsubscribe': '<https://clarion.example.com/u/abc>' }, metadata: { workflow: 'build-failed' } });
const messages = (host = 'https://api.mailgun.net') => nock(host).matchHeader('authorization', BASIC).post('/v3/mg.acme.example.com/messages');
const failWith = (status: number, body: unknown, headers: Record<string, string> = {}) => () => {
  messages().reply(status, body as object, headers);
  return () => nock.cleanAll();
};

/** The multipart form as Mailgun receives it, read back with the platform's own multipart parser. */
async function formOf(headers: Record<string, string>, body: string): Promise<Array<[string, string]>> {
  const form = await new Response(body, { headers: { 'content-type': headers['content-type'] } }).formData();
  return [...form.entries()].map(([k, v]) => [k, String(v)]);
}

function lowerCased(headers: unknown): Record<string, string> {
  const h = headers as { forEach?: (fn: (value: string, name: string) => void) => void };
  const out: Record<string, string> = {};
  if (typeof h.forEach === 'function') h.forEach((value, name) => { out[name.toLowerCase()] = String(value); });
  else for (const [name, value] of Object.entries(headers as object)) out[name.toLowerCase()] = String(value);
  return out;
}

async function send(cfg: MailgunConfig = config, message = emailMessage()) {
  const sender = await adapter.create(cfg, testContext());
  return sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
}

async function failure(cfg: MailgunConfig = config, message = emailMessage()): Promise<DeliveryError> {
  try {
    await send(cfg, message);
  } catch (err) {
    expect(err).to.be.instanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

const deliveryId = sampleMessage().deliveryId;

/** A webhook as Mailgun posts it: JSON with the signature object beside the event data. */
function webhook(eventData: Record<string, unknown>, options: { key?: string; timestamp?: number; unsigned?: boolean } = {}): CallbackRequest {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', options.key ?? SIGNING_KEY).update(timestamp + token).digest('hex');
  const body = { ...(options.unsigned ? {} : { signature: { timestamp, token, signature } }), 'event-data': eventData };
  const rawBody = Buffer.from(JSON.stringify(body));
  return { method: 'POST', url: 'https://clarion.example.com/v1/providers/mailgun/callbacks/p1', headers: { 'content-type': 'application/json' }, query: {}, rawBody, body };
}

const eventData = (event: string, extra: Record<string, unknown> = {}) => ({
  id: 'CPgfbmQMTCKtHW6uIWtuVe',
  timestamp: 1521472262.908181,
  'log-level': 'info',
  event,
  recipient: 'ada@example.com',
  message: { headers: { to: 'ada@example.com', 'message-id': MESSAGE_ID, from: 'alerts@mg.acme.example.com', subject: 'Hello' } },
  'user-variables': { clarion_delivery_id: deliveryId, workflow: 'build-failed' },
  ...extra,
});

async function parse(request: CallbackRequest, cfg: MailgunConfig = config) {
  const sender = await adapter.create(cfg, testContext());
  return sender.parseCallback!(request);
}

async function rejection(request: CallbackRequest, cfg: MailgunConfig = config): Promise<CallbackRejected> {
  try {
    await parse(request, cfg);
  } catch (err) {
    expect(err).to.be.instanceOf(CallbackRejected);
    return err as CallbackRejected;
  }
  throw new Error('the callback should have been rejected');
}

describe('mailgun adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [{}, { apiKey: API_KEY, domain: 'mg.acme.example.com' }, { ...config, domain: 'https://mg.acme.example.com' }, { ...config, region: 'asia' }, { ...config, tags: ['a', 'b', 'c', 'd'] }, { ...config, smtpPassword: 'x' }],
    message: emailMessage(),
    success: () => {
      messages().reply(200, { id: `<${MESSAGE_ID}>`, message: 'Queued. Thank you.' });
      return () => nock.cleanAll();
    },
    failures: [
      { name: '400 invalid recipient', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, { message: "'to' parameter is not a valid address. please check documentation" }) },
      { name: '400 about the rest of the request', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, { message: "Need at least one of 'text' or 'html' parameters specified" }) },
      { name: '400 invalid sender address', errorClass: 'config', arrange: failWith(400, { message: "'from' parameter is not a valid address. please check documentation" }) },
      { name: '429 rate limited', errorClass: 'transient', arrange: failWith(429, { message: 'Too many requests' }, { 'Retry-After': '10' }) },
      { name: '401 bad key', errorClass: 'config', arrange: failWith(401, 'Forbidden') },
    ],
    checkSuccess: (result) => { expect(result.providerMessageId).to.equal(MESSAGE_ID); },
  });

  describe('sending', () => {
    it('posts the documented multipart form with basic auth api:key', async () => {
      let received: { headers: Record<string, string>; body: string } | undefined;
      messages()
        .reply(200, { id: `<${MESSAGE_ID}>`, message: 'Queued. Thank you.' })
        .on('request', (req, _interceptor, body) => { received = { headers: lowerCased(req.headers), body: String(body) }; });
      const message = emailMessage();
      const result = await send();
      expect(result).to.include({ status: 'sent', providerMessageId: MESSAGE_ID });
      expect(received!.headers['content-type']).to.match(/^multipart\/form-data; boundary=/);
      expect(await formOf(received!.headers, received!.body)).to.deep.equal([
        ['from', '"Acme, Alerts" <alerts@mg.acme.example.com>'],
        ['to', '"Ada Lovelace" <ada@example.com>'],
        ['subject', 'Hello'],
        ['text', 'Hello Ada'],
        ['html', '<p>Hello Ada</p>'],
        ['h:List-Unsubscribe', '<https://clarion.example.com/u/abc>'],
        ['v:workflow', 'build-failed'],
        ['v:clarion_delivery_id', message.deliveryId],
        ['v:clarion_notification_id', message.notificationId],
      ]);
    });

    it('attaches files as multipart parts named attachment, with their file names and types', async () => {
      let received: { headers: Record<string, string>; body: string } | undefined;
      messages()
        .reply(200, { id: `<${MESSAGE_ID}>`, message: 'Queued. Thank you.' })
        .on('request', (req, _interceptor, body) => { received = { headers: lowerCased(req.headers), body: String(body) }; });
      await send(config, { ...emailMessage(), attachments: [{ filename: 'lines.csv', contentType: 'text/csv', content: Buffer.from('a,b\n1,2\n') }] });
      const form = await new Response(received!.body, { headers: { 'content-type': received!.headers['content-type'] } }).formData();
      const file = form.get('attachment') as File;
      expect([file.name, file.type, await file.text()]).to.deep.equal(['lines.csv', 'text/csv', 'a,b\n1,2\n']);
    });

    it('uses the EU base URL, tags and test mode when configured', async () => {
      let body = '';
      let headers: Record<string, string> = {};
      messages('https://api.eu.mailgun.net')
        .reply(200, { id: `<${MESSAGE_ID}>`, message: 'Queued. Thank you.' })
        .on('request', (req, _i, b) => { body = String(b); headers = lowerCased(req.headers); });
      await send({ ...config, region: 'eu', tags: ['alerts'], testMode: true });
      const form = await formOf(headers, body);
      expect(form).to.deep.include(['o:tag', 'alerts']);
      expect(form).to.deep.include(['o:testmode', 'yes']);
    });

    it('refuses a recipient without an e-mail address as permanent, without a request', async () => {
      const message = emailMessage();
      delete message.to.email;
      const err = await failure(config, message);
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_ADDRESS', scope: 'recipient' });
      expect(await failure(config, sampleMessage({ content: { text: 'x' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'NO_SUBJECT', scope: 'recipient' });
    });

    it('classifies 403 as config and 404 (domain not found) as config', async () => {
      failWith(403, { message: 'Domain mg.acme.example.com is not allowed to send: Free accounts are for test purposes only.' })();
      expect(await failure()).to.be.instanceOf(ConfigError);
      failWith(404, { message: 'Domain not found: mg.acme.example.com' })();
      expect(await failure()).to.be.instanceOf(ConfigError);
    });

    it('classifies 413 as permanent, 429 with Retry-After and 500 as transient', async () => {
      failWith(413, { message: 'Request entity too large' })();
      expect(await failure()).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
      failWith(429, { message: 'Too many requests' }, { 'Retry-After': '10' })();
      const throttled = await failure();
      expect(throttled).to.be.instanceOf(TransientError);
      expect(throttled.retryAfterMs).to.equal(10_000);
      failWith(500, { message: 'Internal error' })();
      expect(await failure()).to.be.instanceOf(TransientError);
    });

    it('verify() checks the domain is active', async () => {
      const sender = await adapter.create(config, testContext());
      nock('https://api.mailgun.net').matchHeader('authorization', BASIC).get('/v3/domains/mg.acme.example.com').reply(200, { domain: { name: 'mg.acme.example.com', state: 'active' } });
      await sender.verify!();
      nock('https://api.mailgun.net').get('/v3/domains/mg.acme.example.com').reply(200, { domain: { name: 'mg.acme.example.com', state: 'unverified' } });
      let caught: unknown;
      try {
        await sender.verify!();
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError);
    });
  });

  describe('webhook receipts', () => {
    const at = new Date(1521472262908);
    const base = { providerMessageId: MESSAGE_ID, deliveryId, at };

    it('maps delivered, opened, clicked and complained', async () => {
      for (const [event, status] of [['delivered', 'delivered'], ['opened', 'opened'], ['clicked', 'clicked'], ['complained', 'complained']]) {
        expect((await parse(webhook(eventData(event)))).updates).to.deep.equal([{ ...base, status }]);
      }
    });

    it("flags opens and clicks whose client-info.bot names a machine (apple, gmail, generic) as a machine's", async () => {
      const info = (bot: string) => ({ 'client-info': { 'client-name': 'unknown', 'client-type': 'unknown', 'user-agent': 'Mozilla/5.0', 'device-type': 'unknown', 'client-os': 'unknown', bot } });
      for (const bot of ['apple', 'gmail', 'generic']) {
        expect((await parse(webhook(eventData('opened', info(bot))))).updates, bot).to.deep.equal([{ ...base, status: 'opened', machine: true }]);
        expect((await parse(webhook(eventData('clicked', info(bot))))).updates, bot).to.deep.equal([{ ...base, status: 'clicked', machine: true }]);
      }
      expect((await parse(webhook(eventData('opened', info(''))))).updates).to.deep.equal([{ ...base, status: 'opened' }]);
    });

    it('maps a permanent failure to bounced and a temporary one to undelivered', async () => {
      const permanent = await parse(webhook(eventData('failed', { severity: 'permanent', reason: 'bounce', 'delivery-status': { code: 550, message: '5.1.1 The email account that you tried to reach does not exist', description: '' } })));
      expect(permanent.updates).to.deep.equal([{ ...base, status: 'bounced', errorCode: '550', errorMessage: '5.1.1 The email account that you tried to reach does not exist' }]);
      const temporary = await parse(webhook(eventData('failed', { severity: 'temporary', reason: 'generic', 'delivery-status': { code: 452, message: '4.2.2 The email account that you tried to reach is over quota.', description: '' } })));
      expect(temporary.updates).to.deep.equal([{ ...base, status: 'undelivered', errorCode: '452', errorMessage: '4.2.2 The email account that you tried to reach is over quota.' }]);
    });

    it('reports an unsubscribe as an e-mail opt-out', async () => {
      const result = await parse(webhook(eventData('unsubscribed')));
      expect(result.inbound).to.deep.equal([{ channel: 'email', from: 'ada@example.com', text: 'unsubscribed', keyword: 'stop' }]);
    });

    it('rejects an unsigned webhook with 401', async () => {
      expect((await rejection(webhook(eventData('delivered'), { unsigned: true }))).status).to.equal(401);
    });

    it('rejects a webhook signed with another key with 403', async () => {
      expect((await rejection(webhook(eventData('delivered'), { key: 'not-the-signing-key' }))).status).to.equal(403);
    });

    it('rejects a replayed webhook signed two days ago with 403', async () => {
      expect((await rejection(webhook(eventData('delivered'), { timestamp: Math.floor(Date.now() / 1000) - 2 * 86_400 }))).status).to.equal(403);
    });

    it('rejects webhooks with 403 when no signing key is configured', async () => {
      const { webhookSigningKey: _omitted, ...withoutKey } = config;
      expect((await rejection(webhook(eventData('delivered')), withoutKey)).status).to.equal(403);
    });
  });
});
