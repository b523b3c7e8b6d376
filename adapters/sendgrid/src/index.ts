import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  CallbackRejected, ConfigError, PermanentError, TransientError, assertFreshSignature, callbackHeader, classifyHttp, defineAdapter,
  excerpt, fetchOrClassify, parseRetryAfter,
} from '@clarion/adapter-kit';
import type { CallbackRequest, CallbackResult, InboundMessage, OutboundMessage, SendResult, StatusUpdate } from '@clarion/adapter-kit';

export interface SendGridConfig {
  /** API key with the Mail Send permission (`SG.…`). Secret. */
  apiKey: string;
  /** Sender address: a verified Sender Identity or an address of an authenticated domain. */
  fromEmail: string;
  /** Sender display name. Default: none. */
  fromName?: string;
  /** Reply-To address. Default: none (replies go to the sender). */
  replyTo?: string;
  /** `global` (api.sendgrid.com) or `eu` (api.eu.sendgrid.com, for EU-pinned subusers). Default: global. */
  region?: 'global' | 'eu';
  /** Categories added to every message (for SendGrid statistics). Default: none. */
  categories?: string[];
  /** Validate the request without delivering it (mail_settings.sandbox_mode). Default: false. */
  sandboxMode?: boolean;
  /** Signed Event Webhook verification key (base64 public key from Mail Settings). Receipts are refused without it. */
  webhookPublicKey?: string;
  /** Oldest signed event batch accepted, in seconds; 0 accepts any age. Default: 86 400 (SendGrid retries for 24 h). */
  callbackMaxAgeSeconds?: number;
}

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

const configSchema = {
  type: 'object',
  required: ['apiKey', 'fromEmail'],
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', pattern: '^SG\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', writeOnly: true, description: 'API key with Mail Send permission (SG.…).' },
    fromEmail: { type: 'string', pattern: EMAIL, description: 'Verified sender address.' },
    fromName: { type: 'string', minLength: 1 },
    replyTo: { type: 'string', pattern: EMAIL },
    region: { enum: ['global', 'eu'], default: 'global' },
    categories: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 }, maxItems: 10 },
    sandboxMode: { type: 'boolean', default: false },
    webhookPublicKey: { type: 'string', minLength: 40, description: 'Signed Event Webhook verification key (base64).' },
    callbackMaxAgeSeconds: { type: 'integer', minimum: 0, default: 86_400 },
  },
};

const API = { global: 'https://api.sendgrid.com', eu: 'https://api.eu.sendgrid.com' };

export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/** The v3 Mail Send body (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send). */
export function buildMailSend(message: OutboundMessage, config: SendGridConfig): Record<string, unknown> {
  const { content, to } = message;
  // Every e-mail provider reads the same address and rendering: none of them could send these.
  if (!to.email) throw new PermanentError('the recipient has no e-mail address', { code: 'NO_ADDRESS', scope: 'recipient' });
  if (!content.subject) throw new PermanentError('the rendered e-mail has no subject', { code: 'NO_SUBJECT', scope: 'recipient' });
  if (!content.text && !content.html) throw new PermanentError('the rendered e-mail has no text or HTML body', { code: 'NO_BODY', scope: 'recipient' });
  const customArgs: Record<string, string> = {
    ...(message.metadata ?? {}),
    clarion_delivery_id: message.deliveryId,
    clarion_notification_id: message.notificationId,
  };
  return {
    personalizations: [{ to: [{ email: to.email, ...(to.name ? { name: to.name } : {}) }], custom_args: customArgs }],
    from: { email: config.fromEmail, ...(config.fromName ? { name: config.fromName } : {}) },
    ...(config.replyTo ? { reply_to: { email: config.replyTo } } : {}),
    subject: content.subject,
    // SendGrid requires text/plain before text/html.
    content: [
      ...(content.text ? [{ type: 'text/plain', value: content.text }] : []),
      ...(content.html ? [{ type: 'text/html', value: content.html }] : []),
    ],
    ...(message.headers && Object.keys(message.headers).length > 0 ? { headers: message.headers } : {}),
    ...(message.attachments?.length ? { attachments: message.attachments.map((a) => ({ content: a.content.toString('base64'), filename: a.filename, type: a.contentType, disposition: 'attachment' })) } : {}),
    ...(config.categories?.length ? { categories: config.categories } : {}),
    ...(config.sandboxMode ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
  };
}

/** The recipient's address in a Mail Send body (`personalizations.0.to.0.email`): the only one Clarion puts there. */
const RECIPIENT_FIELD = /^personalizations\.\d+\.(to|cc|bcc)\b/;

/**
 * Mail Send failures: documented statuses, with the `errors[].message` text kept for the attempt.
 * A 400 whose every error names the recipient's address ("Does not contain a valid address.") is
 * about the recipient; any other refusal is about this request, and so the provider.
 */
function classifyMailSend(res: Response, body: string) {
  let detail = '';
  let aboutRecipient = false;
  try {
    const errors = (JSON.parse(body) as { errors?: Array<{ message?: string; field?: string | null }> }).errors ?? [];
    detail = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
    aboutRecipient = errors.length > 0 && errors.every((e) => typeof e.field === 'string' && RECIPIENT_FIELD.test(e.field));
  } catch {
    detail = excerpt(body, 200) ?? '';
  }
  const message = `SendGrid answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
  if (res.status === 429) {
    // Mail Send reports its window in X-RateLimit-Reset (epoch seconds) rather than Retry-After.
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after')) ?? (Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined);
    return new TransientError(message, { status: 429, code: '429', response: excerpt(body), retryAfterMs });
  }
  return classifyHttp(res.status, { body, message, scope: aboutRecipient ? 'recipient' : 'provider' });
}

function verificationKey(base64: string): KeyObject {
  const trimmed = base64.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  return createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
}

interface SendGridEvent {
  event?: string;
  email?: string;
  timestamp?: number;
  sg_message_id?: string;
  sg_event_id?: string;
  type?: string;
  reason?: string;
  response?: string;
  status?: string;
  url?: string;
  /** On open events: true when the open was a machine's (Apple Mail Privacy Protection prefetching the pixel). */
  sg_machine_open?: boolean;
  clarion_delivery_id?: string;
}

/** Event Webhook events (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event) as delivery statuses. */
export function mapEvent(event: SendGridEvent): StatusUpdate | InboundMessage | undefined {
  if (event.event === 'unsubscribe' || event.event === 'group_unsubscribe' || event.event === 'group_resubscribe') {
    if (!event.email) return undefined;
    const stop = event.event !== 'group_resubscribe';
    return { channel: 'email', from: event.email, text: event.event, keyword: stop ? 'stop' : 'start' };
  }
  // sg_message_id is the X-Message-Id of the send followed by SendGrid's filter suffix.
  const providerMessageId = event.sg_message_id ? (/^(.+?)\.(filter|recvd|ismtpd)/.exec(event.sg_message_id)?.[1] ?? event.sg_message_id.split('.')[0]) : undefined;
  if (!providerMessageId) return undefined;
  const common = {
    providerMessageId,
    ...(event.clarion_delivery_id ? { deliveryId: event.clarion_delivery_id } : {}),
    ...(typeof event.timestamp === 'number' ? { at: new Date(event.timestamp * 1000) } : {}),
  };
  switch (event.event) {
    case 'delivered':
      return { ...common, status: 'delivered' };
    case 'bounce':
      // `blocked` is the receiving server refusing for now (reputation, content), not a dead address.
      return { ...common, status: event.type === 'blocked' ? 'undelivered' : 'bounced', errorCode: event.status ?? event.type, errorMessage: event.reason };
    case 'dropped':
      return { ...common, status: 'bounced', errorCode: 'dropped', errorMessage: event.reason };
    case 'deferred':
      // Still being retried by SendGrid (up to 72 h): accepted, not delivered yet.
      return { ...common, status: 'sent', errorCode: 'deferred', errorMessage: event.response };
    case 'open':
      return { ...common, status: 'opened', ...(event.sg_machine_open === true ? { machine: true } : {}) };
    case 'click':
      return { ...common, status: 'clicked' };
    case 'spamreport':
      return { ...common, status: 'complained' };
    default:
      // processed (already "sent"), account events: nothing to apply.
      return undefined;
  }
}

export default defineAdapter<SendGridConfig>({
  name: 'sendgrid',
  channel: 'email',
  description: 'E-mail through the Twilio SendGrid v3 Mail Send API, with Signed Event Webhook receipts.',
  configSchema,
  create(config, { fetch, log }) {
    const base = API[config.region ?? 'global'];
    let publicKey: KeyObject | undefined;
    if (config.webhookPublicKey) {
      try {
        publicKey = verificationKey(config.webhookPublicKey);
      } catch (err) {
        throw new ConfigError(`webhookPublicKey is not a public key: ${(err as Error).message}`, { code: 'INVALID_WEBHOOK_KEY' });
      }
    }

    return {
      async send(message, { signal }): Promise<SendResult> {
        if (signal.aborted) throw new TransientError('SendGrid send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const res = await fetchOrClassify(fetch, `${base}/v3/mail/send`, {
          method: 'POST',
          headers: { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(buildMailSend(message, config)),
          signal,
        });
        const body = await res.text().catch(() => '');
        if (res.status === 202 || res.status === 200) {
          const id = res.headers.get('x-message-id');
          // Sandbox mode answers 200 without an id: nothing was sent, nothing will be reported.
          return { providerMessageId: id ?? message.deliveryId, status: 'sent', ...(config.sandboxMode ? { details: { sandbox: true } } : {}) };
        }
        throw classifyMailSend(res, body);
      },

      /** GET /v3/scopes: proves the key is live and may send mail, without sending. */
      async verify() {
        const res = await fetchOrClassify(fetch, `${base}/v3/scopes`, { headers: { authorization: `Bearer ${config.apiKey}` }, signal: AbortSignal.timeout(10_000) });
        const body = await res.text().catch(() => '');
        if (!res.ok) throw classifyMailSend(res, body);
        let scopes: string[] = [];
        try {
          scopes = (JSON.parse(body) as { scopes?: string[] }).scopes ?? [];
        } catch {
          throw new TransientError('SendGrid answered /v3/scopes with something that is not JSON', { status: res.status, response: excerpt(body) });
        }
        if (!scopes.includes('mail.send')) throw new ConfigError('the SendGrid API key lacks the Mail Send (mail.send) permission', { code: 'MISSING_SCOPE' });
      },

      async parseCallback(request: CallbackRequest): Promise<CallbackResult> {
        const signature = callbackHeader(request, SIGNATURE_HEADER);
        const timestamp = callbackHeader(request, TIMESTAMP_HEADER);
        if (!signature || !timestamp) throw new CallbackRejected(401, 'the Event Webhook request is not signed');
        if (!publicKey) throw new CallbackRejected(403, 'no webhookPublicKey is configured: signed events cannot be verified');
        const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
        let valid = false;
        try {
          valid = verify('sha256', signed, publicKey, Buffer.from(signature, 'base64'));
        } catch {
          valid = false;
        }
        if (!valid) throw new CallbackRejected(403, 'the Event Webhook signature does not verify');
        assertFreshSignature(timestamp, { maxAgeSeconds: config.callbackMaxAgeSeconds ?? 86_400 });

        let events: unknown;
        try {
          events = JSON.parse(request.rawBody.toString('utf8'));
        } catch {
          events = undefined;
        }
        if (!Array.isArray(events)) {
          log.warn({ bytes: request.rawBody.length }, 'sendgrid event webhook body is not an array');
          return {};
        }
        const updates: StatusUpdate[] = [];
        const inbound: InboundMessage[] = [];
        for (const event of events as SendGridEvent[]) {
          const mapped = mapEvent(event);
          if (!mapped) continue;
          if ('status' in mapped) updates.push(mapped);
          else inbound.push(mapped);
        }
        return { updates, ...(inbound.length > 0 ? { inbound } : {}) };
      },
    };
  },
});
