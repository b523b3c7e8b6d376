import {
  ConfigError, DestinationRefused, PermanentError, TransientError, classifyHttp, classifyNetworkError, defineAdapter, excerpt, parseRetryAfter,
} from '@clarion/adapter-kit';
import type { DeliveryError, OutboundMessage, SendResult } from '@clarion/adapter-kit';

export type WebhookAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'header'; name: string; value: string };

export interface WebhookConfig {
  /** Where the JSON is posted (https). Optional when every subscriber has a webhook address (`to.chat.webhook.url`). */
  url?: string;
  /** How the receiver authenticates Clarion. Default: none. The token, password or header value is secret. */
  auth?: WebhookAuth;
  /** Extra, non-secret request headers. Default: none. */
  headers?: Record<string, string>;
  /** Gives up after this many milliseconds (the engine's own send timeout applies too). Default: 10 000. */
  timeoutMs?: number;
  /** Accept subscribers' own webhook addresses (`to.chat.webhook.url`). Default: false: only `url` is called. */
  allowSubscriberUrls?: boolean;
}

const FORBIDDEN_HEADERS = '^(?![Hh][Oo][Ss][Tt]$|[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]$|[Tt][Rr][Aa][Nn][Ss][Ff][Ee][Rr]-[Ee][Nn][Cc][Oo][Dd][Ii][Nn][Gg]$)';
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://', 'x-outbound': 'url', description: 'Receiver URL (https recommended). Which addresses it may reach is the operator\'s outbound policy.' },
    auth: {
      type: 'object',
      oneOf: [
        { required: ['type'], additionalProperties: false, properties: { type: { const: 'none' } } },
        { required: ['type', 'token'], additionalProperties: false, properties: { type: { const: 'bearer' }, token: { type: 'string', minLength: 1, writeOnly: true } } },
        {
          required: ['type', 'username', 'password'],
          additionalProperties: false,
          properties: { type: { const: 'basic' }, username: { type: 'string', minLength: 1, pattern: '^[^:]*$' }, password: { type: 'string', writeOnly: true } },
        },
        {
          required: ['type', 'name', 'value'],
          additionalProperties: false,
          properties: { type: { const: 'header' }, name: { type: 'string', pattern: `${FORBIDDEN_HEADERS}${TOKEN}$` }, value: { type: 'string', minLength: 1, writeOnly: true } },
        },
      ],
    },
    headers: { type: 'object', propertyNames: { pattern: `${FORBIDDEN_HEADERS}${TOKEN}$` }, additionalProperties: { type: 'string' } },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 120_000, default: 10_000 },
    allowSubscriberUrls: { type: 'boolean', default: false },
  },
};

/** Response bodies are read this far at most: enough for an error excerpt, never a memory problem. */
const MAX_RESPONSE_BYTES = 64 * 1024;

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still tells what it had.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

/** The JSON posted: the template's rendered JSON, else an envelope of the rendered content. */
export function buildBody(message: OutboundMessage): unknown {
  if (message.content.json !== undefined) return message.content.json;
  const { content } = message;
  return {
    notificationId: message.notificationId,
    deliveryId: message.deliveryId,
    priority: message.priority,
    locale: message.locale,
    recipient: { id: message.to.id, ...(message.to.name ? { name: message.to.name } : {}) },
    content: {
      ...(content.title ?? content.subject ? { title: content.title ?? content.subject } : {}),
      ...(content.body ?? content.text ? { body: content.body ?? content.text } : {}),
      ...(content.url ? { url: content.url } : {}),
      ...(content.data ? { data: content.data } : {}),
      ...(content.actions ? { actions: content.actions } : {}),
    },
    ...(message.links ? { links: message.links } : {}),
  };
}

function authorization(auth: WebhookAuth | undefined): Record<string, string> {
  switch (auth?.type) {
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
    case 'header':
      return { [auth.name.toLowerCase()]: auth.value };
    default:
      return {};
  }
}

export default defineAdapter<WebhookConfig>({
  name: 'webhook',
  channel: 'webhook',
  description: 'The rendered JSON POSTed to an HTTP(S) endpoint, with bearer, basic or custom-header authentication, a timeout, no redirects, through the operator\'s outbound policy.',
  configSchema,
  create(config, { log, fetch, outbound }) {
    const timeoutMs = config.timeoutMs ?? 10_000;

    /** A URL the adapter may call, or the error saying why not (config for ours, permanent about the recipient for a subscriber's). */
    function target(raw: string, ownedBySubscriber: boolean): URL {
      try {
        return outbound.checkUrl(raw);
      } catch (err) {
        const code = (err as DeliveryError).code ?? 'ERR_INVALID_URL';
        throw ownedBySubscriber ? new PermanentError((err as Error).message, { code, scope: 'recipient', cause: err }) : new ConfigError((err as Error).message, { code, cause: err });
      }
    }

    return {
      async send(message, { idempotencyKey, signal }): Promise<SendResult> {
        if (signal.aborted) throw new TransientError('webhook send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const own = message.to.chat?.webhook?.url;
        const ownedBySubscriber = own !== undefined && config.allowSubscriberUrls === true;
        const raw = ownedBySubscriber ? own : config.url;
        // No address this provider can use: another webhook provider (one with a url) may have one.
        if (!raw) throw new PermanentError('the subscriber has no webhook address and no url is configured', { code: 'NO_ADDRESS', scope: 'provider' });
        const url = target(raw, ownedBySubscriber);

        const body = JSON.stringify(buildBody(message));
        const headers: Record<string, string> = {
          ...Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
          ...authorization(config.auth),
          'content-type': 'application/json',
          'user-agent': 'Clarion-Webhook/1',
          // Receivers deduplicate retries of one delivery on this.
          'idempotency-key': idempotencyKey,
          'x-clarion-delivery-id': message.deliveryId,
          'x-clarion-notification-id': message.notificationId,
        };

        let res: Response;
        try {
          // The engine's fetch: the operator's outbound policy checks every address it connects to.
          res = await fetch(url.href, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
        } catch (err) {
          if (err instanceof DestinationRefused) {
            throw ownedBySubscriber ? new PermanentError(err.message, { code: err.code, scope: 'recipient', cause: err }) : err;
          }
          throw classifyNetworkError(err);
        }
        const text = await readCapped(res);
        log.debug({ status: res.status, host: url.host }, 'webhook send');
        if (res.status >= 200 && res.status < 300) {
          const id = res.headers.get('x-message-id') ?? res.headers.get('x-request-id');
          return { providerMessageId: id ?? message.deliveryId, status: 'sent', response: excerpt(text) };
        }
        const description = `the webhook receiver answered HTTP ${res.status}`;
        // A subscriber's own receiver refusing is about that recipient; the configured one's, about this provider.
        const scope = ownedBySubscriber ? 'recipient' : 'provider';
        const common = { status: res.status, code: String(res.status), response: excerpt(text) };
        if (res.status >= 300 && res.status < 400) {
          throw new PermanentError(`${description} (redirect to ${res.headers.get('location') ?? 'nowhere'} not followed)`, { ...common, code: 'REDIRECT', scope });
        }
        if (res.status === 429) throw new TransientError(description, { ...common, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) });
        if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 410) {
          // Our credentials or our URL are wrong: an admin must act; a subscriber's own URL is just gone.
          throw ownedBySubscriber ? new PermanentError(description, { ...common, scope }) : new ConfigError(description, common);
        }
        throw classifyHttp(res.status, { body: text, retryAfter: res.headers.get('retry-after'), message: description, scope });
      },
    };
  },
});
