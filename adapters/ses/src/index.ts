// The AWS SDK is loaded when the first SES sender is created (create()), not with the adapter:
// a process whose tenants use no SES provider never holds it (docs/plugins.md, adapter packages).
import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { CallbackRejected, PermanentError, TransientError, callbackHeader, defineAdapter } from '@clarion/adapter-kit';
import type { CallbackRequest, CallbackResult, OutboundMessage, SendResult, StatusUpdate } from '@clarion/adapter-kit';
import { classifySesError } from './classify.ts';
import { isSnsUrl, readSnsMessage, verifySnsMessage } from './sns.ts';

export { classifySesError } from './classify.ts';

export interface SesConfig {
  /** AWS region of the SES identity, e.g. `eu-west-1`. */
  region: string;
  /** Access key id of an IAM user or role allowed `ses:SendEmail`. */
  accessKeyId: string;
  /** Its secret access key. Secret. */
  secretAccessKey: string;
  /** Session token, for temporary credentials. Secret. Default: none. */
  sessionToken?: string;
  /** Sender address: a verified identity (address or domain) in the region. */
  fromEmail: string;
  /** Sender display name. Default: none. */
  fromName?: string;
  /** Reply-To address. Default: none. */
  replyTo?: string;
  /** Configuration set used for sending (needed for event publishing to SNS). Default: the identity's default. */
  configurationSetName?: string;
  /** SNS topic(s) whose SES events are accepted as receipts. Receipts from any other topic are refused. */
  snsTopicArns?: string[];
}

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

const configSchema = {
  type: 'object',
  required: ['region', 'accessKeyId', 'secretAccessKey', 'fromEmail'],
  additionalProperties: false,
  properties: {
    region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$', description: 'AWS region, e.g. eu-west-1.' },
    accessKeyId: { type: 'string', pattern: '^[A-Z0-9]{16,128}$' },
    secretAccessKey: { type: 'string', minLength: 16, writeOnly: true },
    sessionToken: { type: 'string', minLength: 16, writeOnly: true },
    fromEmail: { type: 'string', pattern: EMAIL },
    fromName: { type: 'string', minLength: 1 },
    replyTo: { type: 'string', pattern: EMAIL },
    configurationSetName: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    snsTopicArns: { type: 'array', items: { type: 'string', pattern: '^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$' }, minItems: 1 },
  },
};

/** A mailbox for SES: display names outside printable ASCII in RFC 2047 encoded-word form, as SES requires. */
function mailbox(email: string, name?: string): string {
  if (!name) return email;
  const clean = name.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return `"${clean.replace(/[\\"]/g, (c) => `\\${c}`)}" <${email}>`;
  return `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?= <${email}>`;
}

/** SES tag values allow letters, digits, `_ - . @`: anything else is replaced. */
const tagValue = (value: string) => value.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256);

export function buildSendEmail(message: OutboundMessage, config: SesConfig): SendEmailCommandInput {
  const { content, to } = message;
  // Every e-mail provider reads the same address and rendering: none of them could send these.
  if (!to.email) throw new PermanentError('the recipient has no e-mail address', { code: 'NO_ADDRESS', scope: 'recipient' });
  if (!content.subject) throw new PermanentError('the rendered e-mail has no subject', { code: 'NO_SUBJECT', scope: 'recipient' });
  if (!content.text && !content.html) throw new PermanentError('the rendered e-mail has no text or HTML body', { code: 'NO_BODY', scope: 'recipient' });
  const headers = Object.entries(message.headers ?? {}).map(([Name, Value]) => ({ Name, Value }));
  return {
    FromEmailAddress: mailbox(config.fromEmail, config.fromName),
    Destination: { ToAddresses: [mailbox(to.email, to.name)] },
    ...(config.replyTo ? { ReplyToAddresses: [config.replyTo] } : {}),
    Content: {
      Simple: {
        Subject: { Data: content.subject, Charset: 'UTF-8' },
        Body: {
          ...(content.text ? { Text: { Data: content.text, Charset: 'UTF-8' } } : {}),
          ...(content.html ? { Html: { Data: content.html, Charset: 'UTF-8' } } : {}),
        },
        // SES v2 takes extra headers (List-Unsubscribe, List-Unsubscribe-Post) on simple messages.
        ...(headers.length > 0 ? { Headers: headers } : {}),
        ...(message.attachments?.length ? { Attachments: message.attachments.map((a) => ({ RawContent: new Uint8Array(a.content), FileName: a.filename, ContentType: a.contentType, ContentDisposition: 'ATTACHMENT' as const })) } : {}),
      },
    },
    // Tags come back on every published event (mail.tags), which is how receipts find the delivery.
    EmailTags: [
      { Name: 'clarion_delivery_id', Value: tagValue(message.deliveryId) },
      { Name: 'clarion_notification_id', Value: tagValue(message.notificationId) },
      ...Object.entries(message.metadata ?? {}).map(([name, value]) => ({ Name: tagValue(name), Value: tagValue(value) })),
    ],
    ...(config.configurationSetName ? { ConfigurationSetName: config.configurationSetName } : {}),
  };
}

interface SesEvent {
  eventType?: string;
  notificationType?: string;
  mail?: { messageId?: string; timestamp?: string; tags?: Record<string, string[]> };
  bounce?: { bounceType?: string; bounceSubType?: string; timestamp?: string; bouncedRecipients?: Array<{ status?: string; diagnosticCode?: string }> };
  complaint?: { timestamp?: string; complaintFeedbackType?: string };
  delivery?: { timestamp?: string; smtpResponse?: string };
  /** SES documents no machine-open flag here (only ipAddress, timestamp, userAgent): every open counts. */
  open?: { timestamp?: string };
  click?: { timestamp?: string; link?: string };
  reject?: { reason?: string };
  failure?: { errorMessage?: string; templateName?: string };
  deliveryDelay?: { timestamp?: string; delayType?: string; delayedRecipients?: Array<{ diagnosticCode?: string }> };
}

/** SES event publishing (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html) as delivery statuses. */
export function mapSesEvent(event: SesEvent): StatusUpdate | undefined {
  const providerMessageId = event.mail?.messageId;
  if (!providerMessageId) return undefined;
  const type = event.eventType ?? event.notificationType;
  const deliveryId = event.mail?.tags?.clarion_delivery_id?.[0];
  const when = (ts?: string) => (ts ? { at: new Date(ts) } : {});
  const common = { providerMessageId, ...(deliveryId ? { deliveryId } : {}) };
  switch (type) {
    case 'Delivery':
      return { ...common, ...when(event.delivery?.timestamp), status: 'delivered' };
    case 'Bounce': {
      const recipient = event.bounce?.bouncedRecipients?.[0];
      return {
        ...common,
        ...when(event.bounce?.timestamp),
        // Transient and Undetermined bounces: SES gave up on this message, the address may still work.
        status: event.bounce?.bounceType === 'Permanent' ? 'bounced' : 'undelivered',
        errorCode: recipient?.status ?? `${event.bounce?.bounceType ?? 'Bounce'}/${event.bounce?.bounceSubType ?? ''}`,
        ...(recipient?.diagnosticCode ? { errorMessage: recipient.diagnosticCode } : {}),
      };
    }
    case 'Complaint':
      return { ...common, ...when(event.complaint?.timestamp), status: 'complained', ...(event.complaint?.complaintFeedbackType ? { errorCode: event.complaint.complaintFeedbackType } : {}) };
    case 'Reject':
      return { ...common, ...when(event.mail?.timestamp), status: 'failed', errorCode: 'Reject', ...(event.reject?.reason ? { errorMessage: event.reject.reason } : {}) };
    case 'Rendering Failure':
      return { ...common, ...when(event.mail?.timestamp), status: 'failed', errorCode: 'RenderingFailure', ...(event.failure?.errorMessage ? { errorMessage: event.failure.errorMessage } : {}) };
    case 'DeliveryDelay':
      // SES keeps trying: accepted, not delivered yet.
      return { ...common, ...when(event.deliveryDelay?.timestamp), status: 'sent', errorCode: event.deliveryDelay?.delayType ?? 'DeliveryDelay', ...(event.deliveryDelay?.delayedRecipients?.[0]?.diagnosticCode ? { errorMessage: event.deliveryDelay.delayedRecipients[0].diagnosticCode } : {}) };
    case 'Open':
      return { ...common, ...when(event.open?.timestamp), status: 'opened' };
    case 'Click':
      return { ...common, ...when(event.click?.timestamp), status: 'clicked' };
    default:
      // Send (already "sent"), Subscription: nothing to apply.
      return undefined;
  }
}

export default defineAdapter<SesConfig>({
  name: 'ses',
  channel: 'email',
  description: 'E-mail through Amazon SES (API v2 SendEmail), with event receipts over signed SNS notifications.',
  configSchema,
  async create(config, { fetch, log, outbound }) {
    const { GetAccountCommand, SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
    const client = new SESv2Client({
      region: config.region,
      // The SDK's requests go through the operator's outbound policy.
      requestHandler: { httpsAgent: outbound.httpsAgent, httpAgent: outbound.httpAgent },
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}) },
      // The engine owns retries, backoff and circuit breaking: one attempt per send.
      maxAttempts: 1,
    });

    return {
      async send(message, { signal }): Promise<SendResult> {
        if (signal.aborted) throw new TransientError('SES send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const input = buildSendEmail(message, config);
        try {
          const output = await client.send(new SendEmailCommand(input), { abortSignal: signal });
          if (!output.MessageId) throw new TransientError('SES accepted the message without a MessageId', { code: 'NO_MESSAGE_ID' });
          return { providerMessageId: output.MessageId, status: 'sent' };
        } catch (err) {
          if (err instanceof TransientError) throw err;
          throw classifySesError(err);
        }
      },

      /** GetAccount: the credentials work in the region, and the account may send. */
      async verify() {
        try {
          const account = await client.send(new GetAccountCommand({}), { abortSignal: AbortSignal.timeout(10_000) });
          if (account.SendingEnabled === false) throw classifySesError({ name: 'SendingPausedException', message: 'sending is disabled for this account in this region' });
          if (account.ProductionAccessEnabled === false) log.warn({ region: config.region }, 'SES account is in the sandbox: only verified recipients receive mail');
        } catch (err) {
          throw classifySesError(err);
        }
      },

      async close() {
        client.destroy();
      },

      async parseCallback(request: CallbackRequest): Promise<CallbackResult> {
        const sns = readSnsMessage(request.rawBody);
        if (!sns) throw new CallbackRejected(401, 'not a signed SNS message');
        const headerType = callbackHeader(request, 'x-amz-sns-message-type');
        if (headerType && headerType !== sns.Type) throw new CallbackRejected(403, 'the SNS message type header does not match the message');
        await verifySnsMessage(sns, fetch);
        // A valid SNS signature proves SNS sent it, not that it is our topic: anyone can publish to their own.
        if (!config.snsTopicArns?.includes(sns.TopicArn)) throw new CallbackRejected(403, `SNS topic ${sns.TopicArn} is not one of this provider's snsTopicArns`);

        if (sns.Type === 'SubscriptionConfirmation') {
          if (!isSnsUrl(sns.SubscribeURL)) throw new CallbackRejected(403, 'the SubscribeURL is not an SNS URL');
          const res = await fetch(sns.SubscribeURL!, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
          if (!res.ok) throw new Error(`confirming the SNS subscription answered HTTP ${res.status}`);
          log.info({ topicArn: sns.TopicArn }, 'SNS subscription confirmed');
          return {};
        }
        if (sns.Type !== 'Notification') return {};
        let event: SesEvent;
        try {
          event = JSON.parse(sns.Message) as SesEvent;
        } catch {
          log.warn({ topicArn: sns.TopicArn, messageId: sns.MessageId }, 'SNS notification is not an SES event');
          return {};
        }
        const update = mapSesEvent(event);
        return update ? { updates: [update] } : {};
      },
    };
  },
});
