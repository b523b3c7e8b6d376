import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import nock from 'nock';
import { CallbackRejected, ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { CallbackRequest } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter, { classifySesError } from '../src/index.ts';
import type { SesConfig } from '../src/index.ts';
import { stringToSign } from '../src/sns.ts';
import type { SnsMessage } from '../src/sns.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:clarion-ses-events';
const config: SesConfig = {
  region: 'eu-west-1',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  fromEmail: 'alerts@acme.example.com',
  fromName: 'Acme Alerts',
  configurationSetName: 'clarion-events',
  snsTopicArns: [TOPIC],
};
const SES_HOST = 'https://email.eu-west-1.amazonaws.com';
const MESSAGE_ID = '0102018f7c2b3a4d-2f1e0c9b-8a7d-4e6f-9b1c-3d5e7f9a1b2c-000000';

const emailMessage = () => sampleMessage({ headers: { 'List-Unsubscribe': '<https://clarion.example.com/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } });

/** SES v2 over restJson1, signed with SigV4 for the ses service in the configured region. */
const outbound = () => nock(SES_HOST).matchHeader('authorization', /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/ses\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/);
/** An AWS error answer: the error name in x-amzn-ErrorType, the message in the JSON body. */
const awsError = (status: number, name: string, message: string) => () => {
  outbound().post('/v2/email/outbound-emails').reply(status, { message }, { 'x-amzn-ErrorType': `${name}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`, 'x-amzn-RequestId': 'b25f48e8-84fd-11e6-80d1-7f1d6b3c2a4e' });
  return () => nock.cleanAll();
};

async function send(cfg: SesConfig = config, message = emailMessage()) {
  const sender = await adapter.create(cfg, testContext());
  try {
    return await sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
  } finally {
    await sender.close?.();
  }
}

async function failure(cfg: SesConfig = config, message = emailMessage()): Promise<DeliveryError> {
  try {
    await send(cfg, message);
  } catch (err) {
    expect(err).to.be.instanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

// A stand-in for SNS's signing certificate: a self-signed test certificate served from an SNS host.
const CERT_PEM = readFileSync(new URL('./fixtures/sns-test-signing.crt', import.meta.url), 'utf8');
const CERT_KEY = readFileSync(new URL('./fixtures/sns-test-signing.key', import.meta.url), 'utf8');
const CERT_PATH = '/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
const CERT_URL = `https://sns.eu-west-1.amazonaws.com${CERT_PATH}`;

function snsMessage(fields: Partial<SnsMessage> & Pick<SnsMessage, 'Type' | 'Message'>, options: { version?: '1' | '2'; key?: string } = {}): SnsMessage {
  const message = {
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: TOPIC,
    Timestamp: new Date().toISOString(),
    SignatureVersion: options.version ?? '1',
    SigningCertURL: CERT_URL,
    Signature: '',
    ...fields,
  } as SnsMessage;
  const signer = createSign(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  signer.update(stringToSign(message));
  message.Signature = signer.sign(options.key ?? CERT_KEY, 'base64');
  return message;
}

function snsCallback(message: SnsMessage | Record<string, unknown>): CallbackRequest {
  const rawBody = Buffer.from(JSON.stringify(message));
  return {
    method: 'POST',
    url: 'https://clarion.example.com/v1/providers/ses/callbacks/p1',
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': String(message.Type), 'x-amz-sns-topic-arn': String(message.TopicArn) },
    query: {},
    rawBody,
    body: rawBody.toString('utf8'),
  };
}

const deliveryId = sampleMessage().deliveryId;
const sesEvent = (eventType: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  eventType,
  mail: {
    timestamp: '2026-01-10T10:00:00.000Z',
    source: 'alerts@acme.example.com',
    messageId: MESSAGE_ID,
    destination: ['ada@example.com'],
    tags: { 'ses:configuration-set': ['clarion-events'], clarion_delivery_id: [deliveryId] },
  },
  ...extra,
});

async function parse(request: CallbackRequest, cfg: SesConfig = config) {
  const sender = await adapter.create(cfg, testContext());
  return sender.parseCallback!(request);
}

async function rejection(request: CallbackRequest, cfg: SesConfig = config): Promise<CallbackRejected> {
  try {
    await parse(request, cfg);
  } catch (err) {
    expect(err).to.be.instanceOf(CallbackRejected);
    return err as CallbackRejected;
  }
  throw new Error('the callback should have been rejected');
}

describe('ses adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { region: 'eu-west-1', fromEmail: 'alerts@acme.example.com' },
      { ...config, region: 'Ireland' },
      { ...config, snsTopicArns: ['not-an-arn'] },
      { ...config, smtpPassword: 'x' },
    ],
    message: emailMessage(),
    success: () => {
      outbound().post('/v2/email/outbound-emails').reply(200, { MessageId: MESSAGE_ID });
      return () => nock.cleanAll();
    },
    failures: [
      { name: 'an illegal recipient address (BadRequestException)', errorClass: 'permanent', scope: 'recipient', arrange: awsError(400, 'BadRequestException', 'Illegal address') },
      { name: 'content SES rejects (MessageRejected)', errorClass: 'permanent', scope: 'provider', arrange: awsError(400, 'MessageRejected', 'Message rejected: the message contains a virus.') },
      { name: 'a sandbox account sending to an unverified address (MessageRejected)', errorClass: 'config', arrange: awsError(400, 'MessageRejected', 'Email address is not verified. The following identities failed the check in region EU-WEST-1: ada@example.com') },
      { name: 'TooManyRequestsException', errorClass: 'transient', arrange: awsError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.') },
      { name: 'MailFromDomainNotVerifiedException', errorClass: 'config', arrange: awsError(400, 'MailFromDomainNotVerifiedException', 'The MAIL FROM domain is not verified.') },
    ],
    checkSuccess: (result) => { expect(result.providerMessageId).to.equal(MESSAGE_ID); },
  });

  describe('sending', () => {
    it('posts the documented SendEmail body: simple content, List-Unsubscribe headers, tags, configuration set', async () => {
      let posted: Record<string, unknown> | undefined;
      outbound().post('/v2/email/outbound-emails', (body) => { posted = body; return true; }).reply(200, { MessageId: MESSAGE_ID });
      const result = await send();
      expect(result).to.include({ status: 'sent', providerMessageId: MESSAGE_ID });
      const message = emailMessage();
      expect(posted).to.deep.equal({
        FromEmailAddress: '"Acme Alerts" <alerts@acme.example.com>',
        Destination: { ToAddresses: ['"Ada Lovelace" <ada@example.com>'] },
        Content: {
          Simple: {
            Subject: { Data: 'Hello', Charset: 'UTF-8' },
            Body: { Text: { Data: 'Hello Ada', Charset: 'UTF-8' }, Html: { Data: '<p>Hello Ada</p>', Charset: 'UTF-8' } },
            Headers: [{ Name: 'List-Unsubscribe', Value: '<https://clarion.example.com/u/abc>' }, { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' }],
          },
        },
        EmailTags: [{ Name: 'clarion_delivery_id', Value: message.deliveryId }, { Name: 'clarion_notification_id', Value: message.notificationId }],
        ConfigurationSetName: 'clarion-events',
      });
    });

    it('attaches files to the simple content (SES v2 Attachments: raw content, file name, type, disposition)', async () => {
      let posted: { Content: { Simple: { Attachments?: unknown } } } | undefined;
      outbound().post('/v2/email/outbound-emails', (body) => { posted = body; return true; }).reply(200, { MessageId: MESSAGE_ID });
      await send(config, { ...emailMessage(), attachments: [{ filename: 'INV-42.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 invoice') }] });
      expect(posted!.Content.Simple.Attachments).to.deep.equal([{ RawContent: Buffer.from('%PDF-1.4 invoice').toString('base64'), FileName: 'INV-42.pdf', ContentType: 'application/pdf', ContentDisposition: 'ATTACHMENT' }]);
    });

    it('encodes a non-ASCII display name as RFC 2047', async () => {
      let posted: Record<string, unknown> | undefined;
      outbound().post('/v2/email/outbound-emails', (body) => { posted = body; return true; }).reply(200, { MessageId: MESSAGE_ID });
      const message = emailMessage();
      message.to.name = 'Zoë Ångström';
      await send(config, message);
      expect((posted?.Destination as { ToAddresses: string[] }).ToAddresses).to.deep.equal([`=?UTF-8?B?${Buffer.from('Zoë Ångström').toString('base64')}?= <ada@example.com>`]);
    });

    for (const [name, status] of [['AccountSuspendedException', 400], ['SendingPausedException', 400], ['NotFoundException', 404]] as const) {
      it(`classifies ${name} as config`, async () => {
        awsError(status, name, 'refused')();
        const err = await failure();
        expect(err).to.be.instanceOf(ConfigError);
        expect(err.code).to.equal(name);
      });
    }

    for (const [name, status] of [['UnrecognizedClientException', 403], ['InvalidClientTokenId', 403], ['SignatureDoesNotMatch', 403], ['AccessDeniedException', 403]] as const) {
      it(`classifies ${name} (bad credentials) as config`, async () => {
        awsError(status, name, 'The security token included in the request is invalid.')();
        expect(await failure()).to.be.instanceOf(ConfigError);
      });
    }

    it('classifies a refused address as permanent about the recipient, other bad requests about the provider', async () => {
      for (const text of ['Illegal address', "Missing final '@domain'", 'Domain contains illegal character', 'Local address contains control or whitespace']) {
        awsError(400, 'BadRequestException', text)();
        expect(await failure(), text).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
      }
      awsError(400, 'BadRequestException', 'Configuration set <clarion-events> does not allow the header List-Unsubscribe-Post.')();
      expect(await failure()).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    });

    it('classifies Throttling and 5xx as transient', async () => {
      awsError(400, 'ThrottlingException', 'Rate exceeded')();
      expect(await failure()).to.be.instanceOf(TransientError);
      outbound().post('/v2/email/outbound-emails').reply(503, 'Service Unavailable');
      expect(await failure()).to.be.instanceOf(TransientError);
    });

    it('classifies an unreachable endpoint as transient', () => {
      expect(classifySesError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).to.be.instanceOf(TransientError);
    });

    it('refuses a recipient without an e-mail address, or a rendering without subject, as the recipient\'s, without a request', async () => {
      const message = emailMessage();
      delete message.to.email;
      const err = await failure(config, message);
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_ADDRESS', scope: 'recipient' });
      expect(await failure(config, sampleMessage({ content: { text: 'x' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'NO_SUBJECT', scope: 'recipient' });
    });
  });

  describe('SNS event receipts', () => {
    const serveCertificate = () => nock('https://sns.eu-west-1.amazonaws.com').get(CERT_PATH).optionally().reply(200, CERT_PEM);

    it('maps Delivery, Bounce, Complaint, Reject, DeliveryDelay, Open and Click events', async () => {
      serveCertificate();
      const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
        ['Delivery', { delivery: { timestamp: '2026-01-10T10:00:02.000Z', smtpResponse: '250 ok' } }, { status: 'delivered', at: new Date('2026-01-10T10:00:02.000Z') }],
        ['Bounce', { bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: '2026-01-10T10:00:03.000Z', bouncedRecipients: [{ emailAddress: 'ada@example.com', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } }, { status: 'bounced', errorCode: '5.1.1', errorMessage: 'smtp; 550 5.1.1 user unknown', at: new Date('2026-01-10T10:00:03.000Z') }],
        ['Bounce', { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', timestamp: '2026-01-10T10:00:03.000Z', bouncedRecipients: [{ emailAddress: 'ada@example.com' }] } }, { status: 'undelivered', errorCode: 'Transient/MailboxFull', at: new Date('2026-01-10T10:00:03.000Z') }],
        ['Complaint', { complaint: { timestamp: '2026-01-10T11:00:00.000Z', complaintFeedbackType: 'abuse' } }, { status: 'complained', errorCode: 'abuse', at: new Date('2026-01-10T11:00:00.000Z') }],
        ['Reject', { reject: { reason: 'Bad content' } }, { status: 'failed', errorCode: 'Reject', errorMessage: 'Bad content', at: new Date('2026-01-10T10:00:00.000Z') }],
        ['DeliveryDelay', { deliveryDelay: { timestamp: '2026-01-10T10:30:00.000Z', delayType: 'MailboxFull', delayedRecipients: [{ diagnosticCode: 'smtp; 452 4.2.2 over quota' }] } }, { status: 'sent', errorCode: 'MailboxFull', errorMessage: 'smtp; 452 4.2.2 over quota', at: new Date('2026-01-10T10:30:00.000Z') }],
        ['Open', { open: { timestamp: '2026-01-10T12:00:00.000Z' } }, { status: 'opened', at: new Date('2026-01-10T12:00:00.000Z') }],
        ['Click', { click: { timestamp: '2026-01-10T12:01:00.000Z', link: 'https://ci.example.com' } }, { status: 'clicked', at: new Date('2026-01-10T12:01:00.000Z') }],
      ];
      for (const [type, extra, expected] of cases) {
        const result = await parse(snsCallback(snsMessage({ Type: 'Notification', Message: sesEvent(type, extra) }, { version: '2' })));
        expect(result.updates, type).to.deep.equal([{ providerMessageId: MESSAGE_ID, deliveryId, ...expected }]);
      }
    });

    it('accepts SignatureVersion 1 (SHA1) as well', async () => {
      serveCertificate();
      const result = await parse(snsCallback(snsMessage({ Type: 'Notification', Subject: 'Amazon SES Email Event Notification', Message: sesEvent('Delivery', { delivery: {} }) }, { version: '1' })));
      expect(result.updates).to.have.length(1);
    });

    it('confirms the subscription by calling the SubscribeURL', async () => {
      serveCertificate();
      const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=2336412f37`;
      const confirm = nock('https://sns.eu-west-1.amazonaws.com').get('/').query({ Action: 'ConfirmSubscription', TopicArn: TOPIC, Token: '2336412f37' }).reply(200, '<ConfirmSubscriptionResponse/>');
      await parse(snsCallback(snsMessage({ Type: 'SubscriptionConfirmation', Token: '2336412f37', SubscribeURL: subscribeUrl, Message: `You have chosen to subscribe to the topic ${TOPIC}.` })));
      expect(confirm.isDone()).to.equal(true);
    });

    it('rejects a body that is not a signed SNS message with 401', async () => {
      expect((await rejection(snsCallback({ Type: 'Notification', TopicArn: TOPIC, Message: sesEvent('Delivery') }))).status).to.equal(401);
    });

    it('rejects a forged (tampered) notification with 403', async () => {
      serveCertificate();
      const message = snsMessage({ Type: 'Notification', Message: sesEvent('Delivery') });
      message.Message = sesEvent('Bounce', { bounce: { bounceType: 'Permanent' } });
      expect((await rejection(snsCallback(message))).status).to.equal(403);
    });

    it('rejects a certificate URL that is not an SNS host with 403, without fetching it', async () => {
      const message = snsMessage({ Type: 'Notification', Message: sesEvent('Delivery'), SigningCertURL: 'https://attacker.example.com/SimpleNotificationService-1.pem' });
      expect((await rejection(snsCallback(message))).status).to.equal(403);
    });

    it('rejects a validly signed message from another topic with 403', async () => {
      serveCertificate();
      const message = snsMessage({ Type: 'Notification', Message: sesEvent('Delivery'), TopicArn: 'arn:aws:sns:eu-west-1:999999999999:someone-else' });
      expect((await rejection(snsCallback(message))).status).to.equal(403);
    });
  });
});
