import { createHmac } from 'node:crypto';
import {
  CallbackRejected, ConfigError, PermanentError, TransientError, assertFreshSignature, classifyHttp, defineAdapter, excerpt,
  fetchOrClassify, safeEqual,
} from '@clarion/adapter-kit';
import type { CallbackRequest, CallbackResult, InboundMessage, OutboundMessage, SendResult, StatusUpdate } from '@clarion/adapter-kit';

export interface MailgunConfig {
  /** Mailgun API key (a domain sending key is enough to send). Secret. */
  apiKey: string;
  /** The sending domain as configured in Mailgun, e.g. `mg.example.com`. */
  domain: string;
  /** Sender address, on the sending domain. */
  fromEmail: string;
  /** Sender display name. Default: none. */
  fromName?: string;
  /** Reply-To address. Default: none. */
  replyTo?: string;
  /** `us` (api.mailgun.net) or `eu` (api.eu.mailgun.net): where the domain was created. Default: us. */
  region?: 'us' | 'eu';
  /** Tags added to every message (`o:tag`, at most 3). Default: none. */
  tags?: string[];
  /** Accept messages without delivering them (`o:testmode`). Default: false. */
  testMode?: boolean;
  /** HTTP webhook signing key (Sending → Webhooks). Receipts are refused without it. Secret. */
  webhookSigningKey?: string;
  /** Oldest signed webhook accepted, in seconds; 0 accepts any age. Default: 86 400. */
  callbackMaxAgeSeconds?: number;
}

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

const configSchema = {
  type: 'object',
  required: ['apiKey', 'domain', 'fromEmail'],
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', minLength: 8, writeOnly: true, description: 'Mailgun API key or domain sending key.' },
    domain: { type: 'string', pattern: '^[a-z0-9.-]+\\.[a-z]{2,}$', description: 'Sending domain, e.g. mg.example.com.' },
    fromEmail: { type: 'string', pattern: EMAIL },
    fromName: { type: 'string', minLength: 1 },
    replyTo: { type: 'string', pattern: EMAIL },
    region: { enum: ['us', 'eu'], default: 'us' },
    tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 3 },
    testMode: { type: 'boolean', default: false },
    webhookSigningKey: { type: 'string', minLength: 8, writeOnly: true, description: 'HTTP webhook signing key.' },
    callbackMaxAgeSeconds: { type: 'integer', minimum: 0, default: 86_400 },
  },
};

const API = { us: 'https://api.mailgun.net', eu: 'https://api.eu.mailgun.net' };

/** An RFC 5322 mailbox: the display name quoted so commas or brackets in it cannot split the address list. */
function mailbox(email: string, name?: string): string {
  if (!name) return email;
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ')}" <${email}>`;
}

/** The form fields of `POST /v3/{domain}/messages`. */
export function buildForm(message: OutboundMessage, config: MailgunConfig): FormData {
  const { content, to } = message;
  // Every e-mail provider reads the same address and rendering: none of them could send these.
  if (!to.email) throw new PermanentError('the recipient has no e-mail address', { code: 'NO_ADDRESS', scope: 'recipient' });
  if (!content.subject) throw new PermanentError('the rendered e-mail has no subject', { code: 'NO_SUBJECT', scope: 'recipient' });
  if (!content.text && !content.html) throw new PermanentError('the rendered e-mail has no text or HTML body', { code: 'NO_BODY', scope: 'recipient' });
  const form = new FormData();
  form.append('from', mailbox(config.fromEmail, config.fromName));
  form.append('to', mailbox(to.email, to.name));
  form.append('subject', content.subject);
  if (content.text) form.append('text', content.text);
  if (content.html) form.append('html', content.html);
  if (config.replyTo) form.append('h:Reply-To', config.replyTo);
  for (const [name, value] of Object.entries(message.headers ?? {})) form.append(`h:${name}`, value);
  for (const tag of config.tags ?? []) form.append('o:tag', tag);
  if (config.testMode) form.append('o:testmode', 'yes');
  // User variables come back on every webhook event as event-data["user-variables"].
  for (const [name, value] of Object.entries(message.metadata ?? {})) form.append(`v:${name}`, value);
  form.append('v:clarion_delivery_id', message.deliveryId);
  form.append('v:clarion_notification_id', message.notificationId);
  // Files as multipart parts named `attachment`, as the Messages API takes them.
  for (const a of message.attachments ?? []) form.append('attachment', new Blob([new Uint8Array(a.content)], { type: a.contentType }), a.filename);
  return form;
}

/** Mailgun's 400 for an address it cannot parse names the parameter: `'to' parameter is not a valid address`. */
const BAD_PARAMETER_ADDRESS = /'(to|from|h:reply-to)' parameter is not a valid address/i;

/**
 * A refused `to` is the recipient's address (fallback channel); a refused `from` or Reply-To is
 * this provider's configuration (config); any other refusal is about this request (provider).
 */
function classifyMailgun(res: Response, body: string) {
  let detail = '';
  try {
    detail = (JSON.parse(body) as { message?: string }).message ?? '';
  } catch {
    detail = excerpt(body, 200) ?? '';
  }
  const message = `Mailgun answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
  const common = { status: res.status, code: String(res.status), response: excerpt(body) };
  // 404 on the messages URL: the domain is not in this account or region (a JSON message says so).
  if (res.status === 404 || res.status === 402) return new ConfigError(message, common);
  const refused = res.status === 400 ? BAD_PARAMETER_ADDRESS.exec(detail)?.[1].toLowerCase() : undefined;
  if (refused === 'from' || refused === 'h:reply-to') return new ConfigError(message, common);
  return classifyHttp(res.status, { body, retryAfter: res.headers.get('retry-after'), message, scope: refused === 'to' ? 'recipient' : 'provider' });
}

interface MailgunEventData {
  event?: string;
  timestamp?: number;
  severity?: string;
  reason?: string;
  recipient?: string;
  message?: { headers?: { 'message-id'?: string } };
  'delivery-status'?: { code?: number; message?: string; description?: string };
  'user-variables'?: Record<string, unknown>;
  /** On opened and clicked events, `bot` names the machine Mailgun detected (`apple` for Apple MPP, `gmail`, `generic` for a scanner); empty for a person. */
  'client-info'?: { bot?: string };
}

/** Webhook events (https://documentation.mailgun.com/docs/mailgun/user-manual/events/) as delivery statuses. */
export function mapEvent(data: MailgunEventData): StatusUpdate | InboundMessage | undefined {
  if (data.event === 'unsubscribed') return data.recipient ? { channel: 'email', from: data.recipient, text: 'unsubscribed', keyword: 'stop' } : undefined;
  const providerMessageId = data.message?.headers?.['message-id']?.replace(/^<|>$/g, '');
  if (!providerMessageId) return undefined;
  const deliveryId = data['user-variables']?.clarion_delivery_id;
  const common = {
    providerMessageId,
    ...(typeof deliveryId === 'string' ? { deliveryId } : {}),
    ...(typeof data.timestamp === 'number' ? { at: new Date(Math.round(data.timestamp * 1000)) } : {}),
  };
  const status = data['delivery-status'];
  const machine = typeof data['client-info']?.bot === 'string' && data['client-info'].bot !== '' ? { machine: true } : {};
  const errorText = status?.description || status?.message || data.reason;
  switch (data.event) {
    case 'delivered':
      return { ...common, status: 'delivered' };
    case 'failed':
      // Permanent: the address is gone (bounce, suppression). Temporary: Mailgun gave up for now.
      return {
        ...common,
        status: data.severity === 'permanent' ? 'bounced' : 'undelivered',
        ...(status?.code ? { errorCode: String(status.code) } : data.reason ? { errorCode: data.reason } : {}),
        ...(errorText ? { errorMessage: errorText } : {}),
      };
    case 'rejected':
      return { ...common, status: 'failed', ...(data.reason ? { errorCode: data.reason } : {}), ...(errorText ? { errorMessage: errorText } : {}) };
    case 'opened':
      return { ...common, status: 'opened', ...machine };
    case 'clicked':
      return { ...common, status: 'clicked', ...machine };
    case 'complained':
      return { ...common, status: 'complained' };
    default:
      // accepted (already "sent"), stored: nothing to apply.
      return undefined;
  }
}

export default defineAdapter<MailgunConfig>({
  name: 'mailgun',
  channel: 'email',
  description: 'E-mail through the Mailgun Messages API (US or EU region), with signed webhook receipts.',
  configSchema,
  create(config, { fetch }) {
    const base = API[config.region ?? 'us'];
    const authorization = `Basic ${Buffer.from(`api:${config.apiKey}`).toString('base64')}`;

    return {
      async send(message, { signal }): Promise<SendResult> {
        if (signal.aborted) throw new TransientError('Mailgun send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const res = await fetchOrClassify(fetch, `${base}/v3/${encodeURIComponent(config.domain)}/messages`, {
          method: 'POST',
          headers: { authorization },
          body: buildForm(message, config),
          signal,
        });
        const body = await res.text().catch(() => '');
        if (res.status === 200) {
          let id: string | undefined;
          try {
            id = (JSON.parse(body) as { id?: string }).id;
          } catch {
            id = undefined;
          }
          // Mailgun's id is the Message-Id header in angle brackets; webhooks carry it without them.
          return { providerMessageId: id?.replace(/^<|>$/g, '') ?? message.deliveryId, status: 'sent', response: body };
        }
        throw classifyMailgun(res, body);
      },

      /** GET /v3/domains/{domain}: the key works and the domain is verified for sending. */
      async verify() {
        const res = await fetchOrClassify(fetch, `${base}/v3/domains/${encodeURIComponent(config.domain)}`, { headers: { authorization }, signal: AbortSignal.timeout(10_000) });
        const body = await res.text().catch(() => '');
        if (!res.ok) throw classifyMailgun(res, body);
        let state: string | undefined;
        try {
          state = (JSON.parse(body) as { domain?: { state?: string } }).domain?.state;
        } catch {
          throw new TransientError('Mailgun answered the domain lookup with something that is not JSON', { status: res.status, response: excerpt(body) });
        }
        if (state && state !== 'active') throw new ConfigError(`the Mailgun domain ${config.domain} is ${state}, not active`, { code: 'DOMAIN_NOT_ACTIVE' });
      },

      async parseCallback(request: CallbackRequest): Promise<CallbackResult> {
        let payload: { signature?: { timestamp?: string; token?: string; signature?: string }; 'event-data'?: MailgunEventData } | undefined;
        try {
          payload = JSON.parse(request.rawBody.toString('utf8'));
        } catch {
          payload = undefined;
        }
        const sig = payload?.signature;
        if (!sig?.signature || !sig.token || !sig.timestamp) throw new CallbackRejected(401, 'the Mailgun webhook is not signed');
        if (!config.webhookSigningKey) throw new CallbackRejected(403, 'no webhookSigningKey is configured: webhooks cannot be verified');
        const expected = createHmac('sha256', config.webhookSigningKey).update(`${sig.timestamp}${sig.token}`).digest('hex');
        if (!safeEqual(sig.signature.toLowerCase(), expected)) throw new CallbackRejected(403, 'the Mailgun webhook signature does not verify');
        assertFreshSignature(sig.timestamp, { maxAgeSeconds: config.callbackMaxAgeSeconds ?? 86_400 });

        const mapped = payload?.['event-data'] ? mapEvent(payload['event-data']) : undefined;
        if (!mapped) return {};
        return 'status' in mapped ? { updates: [mapped] } : { inbound: [mapped] };
      },
    };
  },
});
