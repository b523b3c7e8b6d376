import { createHmac } from 'node:crypto';
import {
  CallbackRejected,
  PermanentError,
  TransientError,
  callbackHeader,
  classifyCode,
  classifyNetworkError,
  defineAdapter,
  excerpt,
  fetchOrClassify,
  safeEqual,
  smsKeyword,
  toE164,
} from '@clarion/adapter-kit';
import type { CallbackRequest, CallbackResult, CodeMeaning, DeliveryError, InboundMessage, OutboundMessage, StatusUpdate } from '@clarion/adapter-kit';

export interface WhatsAppCloudConfig {
  /** The business phone number's id (WhatsApp Manager / App Dashboard, "Phone number ID"). */
  phoneNumberId: string;
  /** A system user access token with whatsapp_business_messaging. Secret. */
  accessToken: string;
  /** The Meta app's secret: Meta signs webhooks with it (X-Hub-Signature-256). Secret. Without it receipts are refused. */
  appSecret?: string;
  /** The verify token entered with the callback URL in the App Dashboard (the hub.challenge handshake). Secret. */
  verifyToken?: string;
  /** Graph API version. Default: v23.0. */
  apiVersion?: string;
  /** Let WhatsApp show a preview of the first link of a text message. Default: false. */
  previewUrl?: boolean;
}

const configSchema = {
  type: 'object',
  required: ['phoneNumberId', 'accessToken'],
  additionalProperties: false,
  properties: {
    phoneNumberId: { type: 'string', pattern: '^[0-9]{5,25}$', description: 'WhatsApp business phone number ID.' },
    accessToken: { type: 'string', minLength: 1, writeOnly: true, description: 'System user access token with the whatsapp_business_messaging permission.' },
    appSecret: { type: 'string', minLength: 1, writeOnly: true, description: "The Meta app's secret, to verify X-Hub-Signature-256 on webhooks." },
    verifyToken: { type: 'string', minLength: 1, writeOnly: true, description: 'Verify token of the webhook subscription (hub.verify_token).' },
    apiVersion: { type: 'string', pattern: '^v[0-9]{1,3}\\.[0-9]$', default: 'v23.0', description: 'Graph API version, e.g. v23.0.' },
    previewUrl: { type: 'boolean', default: false, description: 'Show a link preview for the first URL of text messages.' },
  },
};

/**
 * Cloud API error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
 * Meta asks integrations to act on `code`, not on titles or HTTP statuses. A permanent code is
 * about the recipient when WhatsApp will not take this message for this person from any business
 * (not on WhatsApp, opted out of marketing, Meta's per-user decisions, the 24-hour window), about
 * the provider when it is this request, this business number or its templates.
 */
const META_CODES: Record<string, CodeMeaning> = {
  '0': 'config', // AuthException: the token expired, was invalidated or the user blocked apps
  '1': 'transient', // API Unknown: invalid request or possible server error
  '2': 'transient', // API Service: temporary downtime or overload
  '3': 'config', // API Method: capability or permissions issue
  '4': 'transient', // Too many API calls (app rate limit)
  '10': 'config', // Permission denied
  '33': 'config', // Parameter value is not valid: the business phone number was deleted
  '100': 'provider', // Invalid parameter
  '190': 'config', // Access token has expired
  '368': 'config', // Temporarily blocked for policy violations
  '80007': 'transient', // The WhatsApp Business Account reached its rate limit
  '130429': 'transient', // Cloud API throughput reached
  '130472': 'recipient', // The user's number is part of an experiment: Meta withholds marketing messages from it
  '130497': 'provider', // This business may not message users in this country: another sender may
  '131000': 'transient', // Something went wrong
  '131005': 'config', // Access denied
  '131008': 'provider', // Required parameter is missing
  '131009': 'provider', // Parameter value is not valid
  '131016': 'transient', // Service unavailable
  '131021': 'provider', // Recipient cannot be sender: the user is this business number, another sender can reach it
  '131026': 'recipient', // Message undeliverable (not on WhatsApp, old client, terms not accepted)
  '131030': 'config', // The recipient is not in the test number's allowed list (an admin adds it, or registers a real number)
  '131031': 'config', // The business account is locked
  '131037': 'config', // The number needs its display name approved
  '131042': 'config', // Business eligibility payment issue
  '131045': 'config', // Incorrect certificate (number registration)
  '131047': 'recipient', // More than 24 hours since the user last replied: the fallback channel, or an approved template
  '131048': 'transient', // Spam rate limit hit
  '131049': 'recipient', // Meta chose not to deliver this marketing message to this user (ecosystem engagement)
  '131050': 'recipient', // The user stopped marketing messages
  '131051': 'provider', // Unsupported message type
  '131052': 'provider', // Media download error
  '131053': 'provider', // Media upload error
  '131056': 'transient', // Too many messages to this user (pair rate limit)
  '131057': 'transient', // The business account is in maintenance mode
  '132000': 'config', // The template expects another number of parameters
  '132001': 'config', // The template does not exist (in this language) or is not approved
  '132005': 'provider', // The hydrated template text is too long (this business's template)
  '132007': 'provider', // Template format character policy violated
  '132012': 'config', // Template parameter format mismatch
  '132015': 'config', // The template is paused (low quality)
  '132016': 'config', // The template is disabled
  '133000': 'config', // Incomplete deregistration of the number
  '133004': 'transient', // Server temporarily unavailable
  '133010': 'config', // The phone number is not registered on the Cloud API
  '135000': 'provider', // Generic user error
};

// Codes 200-299 are all "API permission" errors.
for (let code = 200; code <= 299; code++) META_CODES[String(code)] = 'config';

interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { messaging_product?: string; details?: string };
  fbtrace_id?: string;
}

interface WebhookError {
  code?: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
}

function assertNotAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  throw new TransientError(`send aborted before calling the Cloud API: ${reason}`, { code: 'ABORTED', cause: signal.reason });
}

async function readText(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw classifyNetworkError(err);
  }
}

function graphFailure(status: number, body: string, retryAfter: string | null): DeliveryError {
  let error: GraphError | undefined;
  try {
    error = (JSON.parse(body) as { error?: GraphError }).error;
  } catch {
    // Not JSON (a proxy's error page): the status decides.
  }
  const details = error?.error_data?.details ? ` (${error.error_data.details})` : '';
  return classifyCode(META_CODES, error?.code, {
    status,
    body,
    retryAfter,
    message: error ? `WhatsApp Cloud API error ${error.code}: ${error.message ?? 'no message'}${details}` : `WhatsApp Cloud API answered HTTP ${status}`,
  });
}

/** Longest caption of a media message (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/document-messages). */
const MAX_CAPTION = 1024;
/** Image types the Cloud API sends as image messages; other files go as documents. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);

/** The request body: an approved template (needed outside the 24-hour window) or a text message. */
function messageBody(message: OutboundMessage, to: string, previewUrl: boolean): Record<string, unknown> {
  const common = { messaging_product: 'whatsapp', recipient_type: 'individual', to, biz_opaque_callback_data: message.deliveryId };
  const template = message.content.template;
  if (template) {
    const variables = template.variables ?? [];
    return {
      ...common,
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.language },
        ...(variables.length > 0 ? { components: [{ type: 'body', parameters: variables.map((text) => ({ type: 'text', text })) }] } : {}),
      },
    };
  }
  const text = message.content.text ?? message.content.body ?? '';
  if (text.trim() === '') throw new PermanentError('the WhatsApp template rendered no text', { code: 'empty_message', scope: 'recipient' });
  // The event's first file: a document (or image) message by link, the text as its caption (at most 1024 characters).
  const media = message.media?.[0];
  if (media && text.length <= MAX_CAPTION) {
    if (IMAGE_TYPES.has(media.contentType)) return { ...common, type: 'image', image: { link: media.url, caption: text } };
    return { ...common, type: 'document', document: { link: media.url, filename: media.filename, caption: text } };
  }
  return { ...common, type: 'text', text: { preview_url: previewUrl, body: text } };
}

const STATUSES: Record<string, StatusUpdate['status']> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

interface WebhookStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  biz_opaque_callback_data?: string;
  errors?: WebhookError[];
}

interface WebhookMessage {
  id?: string;
  from?: string;
  timestamp?: string;
  type?: string;
  text?: { body?: string };
  button?: { text?: string; payload?: string };
  interactive?: { button_reply?: { id?: string; title?: string }; list_reply?: { id?: string; title?: string } };
}

function statusUpdate(status: WebhookStatus): StatusUpdate | undefined {
  const mapped = status.status ? STATUSES[status.status] : undefined;
  if (!mapped || !status.id) return undefined;
  const at = status.timestamp ? new Date(Number(status.timestamp) * 1000) : undefined;
  const error = status.errors?.[0];
  return {
    providerMessageId: status.id,
    status: mapped,
    ...(status.biz_opaque_callback_data ? { deliveryId: status.biz_opaque_callback_data } : {}),
    ...(at && !Number.isNaN(at.getTime()) ? { at } : {}),
    ...(error ? { errorCode: String(error.code), errorMessage: [error.title ?? error.message, error.error_data?.details].filter(Boolean).join(': ') } : {}),
  };
}

/** The text a user sent: a text message, a quick-reply button or an interactive reply. */
function inboundText(message: WebhookMessage): string | undefined {
  if (message.type === 'text') return message.text?.body;
  if (message.type === 'button') return message.button?.text ?? message.button?.payload;
  if (message.type === 'interactive') return message.interactive?.button_reply?.title ?? message.interactive?.list_reply?.title;
  return undefined;
}

export default defineAdapter<WhatsAppCloudConfig>({
  name: 'whatsapp-cloud',
  channel: 'whatsapp',
  description: "WhatsApp through Meta's Cloud API (Graph API), text and approved template messages, with signed webhooks.",
  configSchema,
  create(config, context) {
    const graph = `https://graph.facebook.com/${config.apiVersion ?? 'v23.0'}`;
    const auth = { Authorization: `Bearer ${config.accessToken}` };

    /** The GET handshake Meta makes when the callback URL is saved: echo hub.challenge if the token matches. */
    function handshake(request: CallbackRequest): CallbackResult {
      const query = { ...Object.fromEntries(new URL(request.url).searchParams), ...request.query };
      if (query['hub.mode'] !== 'subscribe' || query['hub.verify_token'] === undefined || query['hub.challenge'] === undefined) {
        throw new CallbackRejected(401, 'not a webhook verification request (hub.mode=subscribe, hub.verify_token, hub.challenge)');
      }
      if (!config.verifyToken || !safeEqual(query['hub.verify_token'], config.verifyToken)) throw new CallbackRejected(403, 'hub.verify_token does not match the configured verifyToken');
      return { response: { status: 200, contentType: 'text/plain', body: query['hub.challenge'] } };
    }

    function verifySignature(request: CallbackRequest): void {
      const header = callbackHeader(request, 'x-hub-signature-256');
      if (!config.appSecret) throw new CallbackRejected(401, 'whatsapp-cloud has no appSecret: configure it to accept webhooks');
      if (!header) throw new CallbackRejected(401, 'the webhook carries no X-Hub-Signature-256');
      const expected = `sha256=${createHmac('sha256', config.appSecret).update(request.rawBody).digest('hex')}`;
      if (!safeEqual(header.trim().toLowerCase(), expected)) throw new CallbackRejected(403, 'X-Hub-Signature-256 does not match the body');
    }

    return {
      async send(message, { signal }) {
        assertNotAborted(signal);
        const to = toE164(message.to.phone);
        const body = messageBody(message, to, config.previewUrl ?? false);
        const res = await fetchOrClassify(context.fetch, `${graph}/${config.phoneNumberId}/messages`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
        const text = await readText(res);
        if (!res.ok) throw graphFailure(res.status, text, res.headers.get('retry-after'));
        let answer: { contacts?: Array<{ input?: string; wa_id?: string }>; messages?: Array<{ id?: string; message_status?: string }> };
        try {
          answer = JSON.parse(text);
        } catch {
          throw new TransientError('the Cloud API answered something that is not JSON', { code: 'BAD_RESPONSE', status: res.status, response: excerpt(text) });
        }
        const id = answer.messages?.[0]?.id;
        if (!id) throw new TransientError('the Cloud API answered without a message id', { code: 'BAD_RESPONSE', status: res.status, response: excerpt(text) });
        return {
          providerMessageId: id,
          status: 'sent',
          details: {
            to,
            kind: body.type,
            ...(body.type === 'template' ? { template: message.content.template!.name, language: message.content.template!.language } : {}),
            ...(answer.contacts?.[0]?.wa_id ? { waId: answer.contacts[0].wa_id } : {}),
            ...(answer.messages?.[0]?.message_status ? { messageStatus: answer.messages[0].message_status } : {}),
          },
        };
      },

      async verify() {
        const res = await fetchOrClassify(context.fetch, `${graph}/${config.phoneNumberId}?fields=display_phone_number,verified_name`, { method: 'GET', headers: { ...auth, Accept: 'application/json' } });
        const text = await readText(res);
        if (!res.ok) throw graphFailure(res.status, text, res.headers.get('retry-after'));
      },

      async parseCallback(request): Promise<CallbackResult> {
        if (request.method.toUpperCase() === 'GET') return handshake(request);
        verifySignature(request);
        let payload: { object?: string; entry?: Array<{ changes?: Array<{ field?: string; value?: { statuses?: WebhookStatus[]; messages?: WebhookMessage[] } }> }> };
        try {
          payload = JSON.parse(request.rawBody.toString('utf8'));
        } catch {
          return {};
        }
        if (payload.object !== 'whatsapp_business_account') return {};
        const updates: StatusUpdate[] = [];
        const inbound: InboundMessage[] = [];
        for (const entry of payload.entry ?? []) {
          for (const change of entry.changes ?? []) {
            if (change.field !== 'messages' || !change.value) continue;
            for (const status of change.value.statuses ?? []) {
              const update = statusUpdate(status);
              if (update) updates.push(update);
            }
            for (const msg of change.value.messages ?? []) {
              const text = inboundText(msg);
              if (text === undefined || !msg.from) continue;
              inbound.push({ channel: 'whatsapp', from: `+${msg.from.replace(/^\+/, '')}`, text, keyword: smsKeyword(text), providerMessageId: msg.id });
            }
          }
        }
        return { ...(updates.length > 0 ? { updates } : {}), ...(inbound.length > 0 ? { inbound } : {}) };
      },
    };
  },
});
