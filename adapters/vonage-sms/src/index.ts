import {
  CallbackRejected,
  ConfigError,
  PermanentError,
  TransientError,
  assertFreshSignature,
  callbackFields,
  classifyCode,
  classifyHttp,
  classifyNetworkError,
  defineAdapter,
  excerpt,
  fetchOrClassify,
  smsKeyword,
  smsSegments,
  toE164,
} from '@clarion/adapter-kit';
import type { CallbackRequest, CallbackResult, ErrorCodeTable, StatusUpdate } from '@clarion/adapter-kit';
// The Vonage SDK (its signature check) is loaded when the first sender is created (create()), not
// with the adapter.

export interface VonageSmsConfig {
  /** The account's API key (dashboard, "API settings"). */
  apiKey: string;
  /** The account's API secret. Secret. */
  apiSecret: string;
  /** Sender: a Vonage number in E.164 or an alphanumeric sender id (up to 11 characters). */
  from: string;
  /** The signature secret Vonage signs delivery receipts with (signed webhooks must be enabled). Secret. Without it receipts are refused. */
  signatureSecret?: string;
  /** The signature method chosen in the dashboard. Default: md5hash (Vonage's default). */
  signatureMethod?: (typeof ALGORITHMS)[number];
  /** How long, in milliseconds, Vonage keeps trying to deliver. Default: Vonage's (72 hours). */
  ttl?: number;
}

/** Signature methods, by the names of the SDK's `AlgorithmTypes` members. */
const ALGORITHMS = ['md5hash', 'md5hmac', 'sha1hmac', 'sha256hmac', 'sha512hmac'] as const;

const configSchema = {
  type: 'object',
  required: ['apiKey', 'apiSecret', 'from'],
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', pattern: '^[A-Za-z0-9]{4,32}$', description: 'Vonage API key.' },
    apiSecret: { type: 'string', minLength: 1, writeOnly: true, description: 'Vonage API secret.' },
    from: {
      type: 'string',
      pattern: '^(\\+?[1-9][0-9]{6,14}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$',
      description: 'Sender: a Vonage number in E.164 (+447700900001) or an alphanumeric sender id (up to 11 letters/digits).',
    },
    signatureSecret: { type: 'string', minLength: 1, writeOnly: true, description: 'Signature secret of signed webhooks, to verify delivery receipts and inbound SMS.' },
    signatureMethod: { type: 'string', enum: [...ALGORITHMS], default: 'md5hash', description: 'Signature method set in the dashboard.' },
    ttl: { type: 'integer', minimum: 20_000, maximum: 604_800_000, description: 'Delivery attempts stop after this many milliseconds. Default: 72 hours.' },
  },
};

const ENDPOINT = 'https://rest.nexmo.com/sms/json';
const BALANCE = 'https://rest.nexmo.com/account/get-balance';

/**
 * The `status` of each message in the SMS API's 200 answer (https://developer.vonage.com/en/api-errors/sms).
 * A permanent status is about the recipient when the number can never get an SMS (barred,
 * de-activated), about the provider when Vonage refused this request: the number already passed
 * toE164, so an invalid parameter or an unrecognised prefix is Vonage's to route, and another
 * provider may.
 */
const STATUS_CODES: ErrorCodeTable = {
  '1': 'transient', // Throttled: faster than the account's limit
  '2': 'provider', // Missing parameters
  '3': 'provider', // Invalid parameters
  '4': 'config', // Invalid credentials
  '5': 'transient', // Internal error
  '6': 'provider', // Invalid message: Vonage could not process it (e.g. a number prefix it does not recognise)
  '7': 'recipient', // Number barred: the number is blacklisted and may not receive messages
  '8': 'config', // Partner account barred (account suspended)
  '9': 'config', // Partner quota violation: not enough credit ("top up and retry")
  '10': 'transient', // Too many existing binds
  '11': 'config', // Account not enabled for HTTP (SMPP only)
  '12': 'provider', // Message too long (Vonage's limit for binary messages)
  '14': 'config', // Invalid signature
  '15': 'config', // Invalid sender address (not authorised for this destination)
  '22': 'provider', // Invalid network code
  '23': 'config', // Invalid callback URL
  '29': 'config', // Non-whitelisted destination (demo account)
  '32': 'config', // Signature and API secret disallowed
  '33': 'recipient', // Number de-activated: it may not receive messages
};

/** The `err-code` of a delivery receipt (https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts). */
const DLR_ERRORS: Record<string, string> = {
  '1': 'unknown: not delivered, no reason given',
  '2': 'absent subscriber (temporary)',
  '3': 'absent subscriber (permanent): the number is no longer active',
  '4': 'call barred by the user',
  '5': 'portability error',
  '6': 'anti-spam rejection',
  '7': 'handset busy',
  '8': 'network error',
  '9': 'illegal number: the user asked not to receive messages from this service',
  '10': 'illegal message',
  '11': 'unroutable',
  '12': 'destination unreachable',
  '13': 'subscriber age restriction',
  '14': 'number blocked by the carrier',
  '15': 'prepaid insufficient funds',
  '99': 'general error',
};

/** DLR `status` words (SMS API) and their SMPP spellings; accepted/buffered/unknown say nothing new. */
const DLR_STATUSES: Record<string, StatusUpdate['status']> = {
  delivered: 'delivered',
  delivrd: 'delivered',
  expired: 'undelivered',
  failed: 'undelivered',
  rejected: 'undelivered',
  rejectd: 'undelivered',
  undeliv: 'undelivered',
};

/** Signed webhooks older than this are refused as replays. */
const MAX_SIGNATURE_AGE_SECONDS = 24 * 60 * 60;

interface ApiMessage {
  to?: string;
  'message-id'?: string;
  status?: string;
  'error-text'?: string;
  'remaining-balance'?: string;
  'message-price'?: string;
  network?: string;
}

function assertNotAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  throw new TransientError(`send aborted before calling Vonage: ${reason}`, { code: 'ABORTED', cause: signal.reason });
}

async function readText(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw classifyNetworkError(err);
  }
}

/** "2026-11-22 10:00:31" (UTC, as Vonage sends it) as a Date. */
function vonageTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(`${value.trim().replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export default defineAdapter<VonageSmsConfig>({
  name: 'vonage-sms',
  channel: 'sms',
  description: 'SMS through the Vonage SMS API, with signed delivery receipts: the second SMS provider for fallback.',
  configSchema,
  async create(config, context) {
    const [{ AlgorithmTypes }, { SMS }] = await Promise.all([import('@vonage/auth'), import('@vonage/sms')]);
    // The SDK's signature check for receipts (it never sends here: sends go through the engine's
    // fetch, to honour the AbortSignal). privateKey '' keeps @vonage/auth from probing
    // fs.existsSync(undefined), which Node reports as deprecated.
    const verifier = new SMS({ apiKey: config.apiKey, apiSecret: config.apiSecret, privateKey: '' });
    const algorithm = AlgorithmTypes[config.signatureMethod ?? 'md5hash'];

    function verifiedFields(request: CallbackRequest): Record<string, string> {
      const fields = callbackFields(request);
      const params = Object.keys(fields).length > 0 ? fields : { ...request.query };
      if (!config.signatureSecret) {
        throw new CallbackRejected(401, 'vonage-sms has no signatureSecret: enable signed webhooks with Vonage and configure the secret to accept receipts');
      }
      if (!params.sig) throw new CallbackRejected(401, 'the callback carries no sig parameter (signed webhooks are not enabled?)');
      if (!verifier.verifySignature(params.sig, params, config.signatureSecret, algorithm)) {
        throw new CallbackRejected(403, 'the sig parameter does not match the callback');
      }
      assertFreshSignature(params.timestamp, { maxAgeSeconds: MAX_SIGNATURE_AGE_SECONDS });
      if (params['api-key'] !== undefined && params['api-key'] !== config.apiKey) throw new CallbackRejected(403, 'the callback is for another Vonage account');
      return params;
    }

    return {
      async send(message, { signal }) {
        assertNotAborted(signal);
        const to = toE164(message.to.phone);
        const text = message.content.text ?? message.content.body ?? '';
        if (text.trim() === '') throw new PermanentError('the SMS template rendered no text', { code: 'empty_message', scope: 'recipient' });
        const segments = smsSegments(text);
        const form = new URLSearchParams({
          api_key: config.apiKey,
          api_secret: config.apiSecret,
          from: config.from.replace(/^\+/, ''),
          to: to.slice(1),
          text,
          type: segments.encoding === 'UCS-2' ? 'unicode' : 'text',
          callback: context.callbackUrl,
          'status-report-req': 'true',
          // Echoed in the receipt: Vonage has no idempotency key, this ties receipts to the delivery.
          'client-ref': message.deliveryId,
          ...(config.ttl ? { ttl: String(config.ttl) } : {}),
        });
        const res = await fetchOrClassify(context.fetch, ENDPOINT, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: form.toString(),
          signal,
        });
        const body = await readText(res);
        if (!res.ok) throw classifyHttp(res.status, { body, retryAfter: res.headers.get('retry-after'), message: `Vonage answered HTTP ${res.status}` });
        let messages: ApiMessage[];
        try {
          messages = (JSON.parse(body) as { messages?: ApiMessage[] }).messages ?? [];
        } catch {
          throw new TransientError('Vonage answered something that is not JSON', { code: 'BAD_RESPONSE', status: res.status, response: excerpt(body) });
        }
        if (messages.length === 0) throw new TransientError('Vonage answered without any message', { code: 'BAD_RESPONSE', status: res.status, response: excerpt(body) });
        const failed = messages.find((m) => m.status !== '0');
        if (failed) {
          const accepted = messages.length - messages.filter((m) => m.status !== '0').length;
          const partly = accepted > 0 ? ` (${accepted} of ${messages.length} parts were accepted)` : '';
          throw classifyCode(STATUS_CODES, failed.status, {
            status: res.status,
            body,
            // A status Vonage does not document: nothing says the number is at fault, so the
            // channel's next provider may try (never a retry of what Vonage refused).
            fallback: 'provider',
            message: `Vonage status ${failed.status}: ${failed['error-text'] ?? 'no error text'}${partly}`,
          });
        }
        const price = messages.reduce((sum, m) => sum + (Number(m['message-price']) || 0), 0);
        return {
          providerMessageId: messages[0]['message-id']!,
          status: 'sent',
          details: {
            to,
            segments: segments.segments,
            encoding: segments.encoding,
            units: segments.units,
            parts: messages.length,
            ...(messages.length > 1 ? { messageIds: messages.map((m) => m['message-id']) } : {}),
            ...(messages[0].network ? { network: messages[0].network } : {}),
            ...(price > 0 ? { price: price.toFixed(8) } : {}),
          },
        };
      },

      async verify() {
        const url = `${BALANCE}?${new URLSearchParams({ api_key: config.apiKey, api_secret: config.apiSecret })}`;
        const res = await fetchOrClassify(context.fetch, url, { method: 'GET', headers: { Accept: 'application/json' } });
        const body = await readText(res);
        if (!res.ok) throw classifyHttp(res.status, { body, message: `Vonage refused the credentials (HTTP ${res.status})` });
        let balance: { value?: number; autoReload?: boolean };
        try {
          balance = JSON.parse(body);
        } catch {
          throw new TransientError('Vonage answered something that is not JSON', { code: 'BAD_RESPONSE', response: excerpt(body) });
        }
        if (typeof balance.value === 'number' && balance.value <= 0 && !balance.autoReload) {
          throw new ConfigError(`the Vonage account has no credit (balance ${balance.value})`, { code: '9' });
        }
      },

      async parseCallback(request): Promise<CallbackResult> {
        const fields = verifiedFields(request);
        if (fields.messageId && fields.status) {
          const status = DLR_STATUSES[fields.status.toLowerCase()];
          if (!status) return { updates: [] };
          const errorCode = fields['err-code'] && fields['err-code'] !== '0' ? fields['err-code'] : undefined;
          const at = vonageTime(fields['message-timestamp']);
          return {
            updates: [{
              providerMessageId: fields.messageId,
              status,
              ...(fields['client-ref'] ? { deliveryId: fields['client-ref'] } : {}),
              ...(at ? { at } : {}),
              ...(errorCode ? { errorCode, errorMessage: DLR_ERRORS[errorCode] ?? `Vonage delivery error ${errorCode}` } : {}),
            }],
          };
        }
        if (fields.msisdn && fields.text !== undefined) {
          // An inbound SMS (the number's inbound webhook points here).
          return { inbound: [{ channel: 'sms', from: `+${fields.msisdn.replace(/^\+/, '')}`, text: fields.text, keyword: smsKeyword(fields.text), providerMessageId: fields.messageId }] };
        }
        return {};
      },
    };
  },
});
