import { createECDH } from 'node:crypto';
import { ConfigError, PermanentError, TransientError, classifyHttp, combineOutcomes, defineAdapter, deviceScope, excerpt, fetchOrClassify } from '@clarion/adapter-kit';
import type { DeliveryError, DestinationOutcome, Device, OutboundMessage, Priority } from '@clarion/adapter-kit';
// web-push is loaded when the first Web Push sender is created (create()), not with the adapter.
import type { PushSubscription, Urgency } from 'web-push';

export interface WebPushConfig {
  /** VAPID subject: a `mailto:` address or an `https:` URL where the push service can reach the sender. */
  subject: string;
  /** VAPID public key (base64url, 65-byte uncompressed P-256 point): the browsers' `applicationServerKey`. */
  publicKey: string;
  /** VAPID private key (base64url, 32 bytes). Secret. */
  privateKey: string;
  /** How long the push service keeps an undelivered message, in seconds. Default: 86 400 (one day). */
  ttlSeconds?: number;
  /**
   * Push service hosts subscriptions may point at (`host` or `*.domain`). Endpoints come from
   * browsers, so anything else is refused rather than posted to. Default: FCM (Chrome, Opera,
   * Samsung), Mozilla autopush (Firefox), Apple (Safari), WNS (Edge).
   */
  pushHosts?: string[];
}

export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'updates.push.services.mozilla.com', 'web.push.apple.com', '*.notify.windows.com'];

const configSchema = {
  type: 'object',
  required: ['subject', 'publicKey', 'privateKey'],
  additionalProperties: false,
  properties: {
    subject: { type: 'string', pattern: '^(mailto:[^@\\s]+@[^@\\s]+|https://\\S+)$', description: 'VAPID subject: mailto: address or https: URL of the sender.' },
    publicKey: { type: 'string', pattern: '^[A-Za-z0-9_-]{87}={0,1}$', description: 'VAPID public key, base64url (the applicationServerKey given to browsers).' },
    privateKey: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}={0,1}$', writeOnly: true, description: 'VAPID private key, base64url.' },
    ttlSeconds: { type: 'integer', minimum: 0, maximum: 2_419_200, description: 'How long the push service keeps an undelivered message. Default: 86400.' },
    pushHosts: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(\\*\\.)?[a-z0-9-]+(\\.[a-z0-9-]+)+$', 'x-outbound': 'host' }, description: 'Push service hosts subscriptions may point at. Default: FCM, Mozilla, Apple, WNS.' },
  },
};

const DEFAULT_TTL_SECONDS = 86_400;

/** The RFC 8030 Urgency header for a notification priority. */
const URGENCY: Record<Priority, Urgency> = { low: 'low', normal: 'normal', high: 'high', critical: 'high' };

/**
 * What the service worker receives (`event.data.json()`): the rendered notification plus the ids
 * it needs to acknowledge or deep-link. Push services guarantee about 4 KB of payload.
 */
export function buildPayload(message: OutboundMessage): string {
  const { content } = message;
  return JSON.stringify({
    title: content.title ?? content.subject ?? '',
    body: content.body ?? content.text ?? '',
    ...(content.url ? { url: content.url } : {}),
    ...(content.actions?.length ? { actions: content.actions } : {}),
    ...(content.data ? { data: content.data } : {}),
    notificationId: message.notificationId,
    deliveryId: message.deliveryId,
    priority: message.priority,
    locale: message.locale,
  });
}

function hostAllowed(hostname: string, patterns: string[]): boolean {
  const host = hostname.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
}

/** The endpoint of a subscription that can be sent to, or why it never can. */
function checkSubscription(device: Device, pushHosts: string[]): { subscription: PushSubscription } | { error: PermanentError } {
  const sub = device.subscription;
  const endpoint = sub?.endpoint ?? '';
  const dead = (why: string) => ({
    error: new PermanentError(`the web push subscription cannot be used: ${why}`, { code: 'INVALID_SUBSCRIPTION', scope: 'recipient', invalidDestination: endpoint ? { kind: 'device' as const, value: endpoint } : undefined }),
  });
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return dead('its endpoint is not a URL');
  }
  if (url.protocol !== 'https:') return dead('its endpoint is not https');
  // Google's pre-VAPID GCM endpoints were shut down; browsers hand out FCM endpoints instead.
  if (url.hostname === 'android.googleapis.com') return dead('it is a retired GCM endpoint');
  if (!sub?.keys?.p256dh || !sub.keys.auth) return dead('it has no p256dh/auth keys');
  if (!hostAllowed(url.hostname, pushHosts)) {
    // Not necessarily dead (an admin may add the host), so the subscription is kept; this
    // provider's configuration refuses it, another's may not.
    return { error: new PermanentError(`the web push endpoint host ${url.hostname} is not one of the allowed push services`, { code: 'PUSH_HOST_NOT_ALLOWED', scope: 'provider' }) };
  }
  return { subscription: { endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } } };
}

/**
 * Push services answer per RFC 8030; 404 and 410 mean the subscription is gone for good (about
 * the recipient). Another 4xx (a payload over the service's limit, a request it refuses) is about
 * this send, not the person: `classifyHttp`'s provider scope.
 */
async function classifyPushResponse(res: Response, endpoint: string): Promise<DeliveryError> {
  const body = await res.text().catch(() => '');
  const options = { body, retryAfter: res.headers.get('retry-after'), message: `the push service answered HTTP ${res.status}: ${excerpt(body, 200) || res.statusText}` };
  if (res.status === 404 || res.status === 410) {
    return new PermanentError(options.message, { status: res.status, code: String(res.status), response: excerpt(body), scope: 'recipient', invalidDestination: { kind: 'device', value: endpoint } });
  }
  if (res.status >= 300 && res.status < 400) {
    // Autopush answers 301 with a new endpoint for a bridged subscription: this one is dead.
    return new PermanentError(`${options.message} (redirects are not followed)`, { status: res.status, code: String(res.status), response: excerpt(body), scope: 'recipient', invalidDestination: { kind: 'device', value: endpoint } });
  }
  return classifyHttp(res.status, options);
}

function endpointHint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}/…${endpoint.slice(-8)}`;
  } catch {
    return '…';
  }
}

export default defineAdapter<WebPushConfig>({
  name: 'web-push',
  channel: 'push',
  description: 'Browser push notifications over the Web Push protocol with VAPID (Chrome/FCM, Firefox/autopush, Safari, Edge).',
  configSchema,
  async create(config, { fetch, log }) {
    const { default: webpush } = await import('web-push');
    const vapidDetails = { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey };
    try {
      // Validates subject and key lengths, then that the private key is a P-256 key whose public
      // half is the configured one (browsers subscribed with that public key).
      webpush.getVapidHeaders('https://push.example.com', config.subject, config.publicKey, config.privateKey, 'aes128gcm');
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(config.privateKey, 'base64url'));
      if (!ecdh.getPublicKey().equals(Buffer.from(config.publicKey, 'base64url'))) throw new Error('the private key does not belong to the public key');
    } catch (err) {
      throw new ConfigError(`the VAPID configuration is invalid: ${(err as Error).message.replace(config.privateKey, '[private key]')}`, { code: 'INVALID_VAPID' });
    }

    async function pushTo(message: OutboundMessage, device: Device, signal: AbortSignal): Promise<DestinationOutcome> {
      const checked = checkSubscription(device, config.pushHosts ?? DEFAULT_PUSH_HOSTS);
      const endpoint = device.subscription?.endpoint ?? '';
      if ('error' in checked) return { hint: endpointHint(endpoint), error: checked.error };
      let request: ReturnType<typeof webpush.generateRequestDetails>;
      try {
        request = webpush.generateRequestDetails(checked.subscription, buildPayload(message), {
          vapidDetails,
          TTL: config.ttlSeconds ?? DEFAULT_TTL_SECONDS,
          urgency: URGENCY[message.priority] ?? 'normal',
          // RFC 8030 §5.4: a message with the Topic of one still waiting at the push service
          // replaces it, so a delivery sent twice (its first send not recorded) arrives once.
          // The delivery's id without its dashes: 32 characters of the URL-safe alphabet.
          topic: message.deliveryId.replace(/[^A-Za-z0-9]/g, '').slice(0, 32),
          contentEncoding: 'aes128gcm',
        });
      } catch (err) {
        // Encryption fails only on keys the browser could not have produced.
        return { hint: endpointHint(endpoint), error: new PermanentError(`cannot encrypt for the subscription: ${(err as Error).message}`, { code: 'INVALID_SUBSCRIPTION', scope: 'recipient', invalidDestination: { kind: 'device', value: endpoint } }) };
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
      try {
        const res = await fetchOrClassify(fetch, request.endpoint, { method: 'POST', headers, body: request.body ?? undefined, signal });
        if (res.status >= 200 && res.status < 300) {
          await res.body?.cancel();
          // RFC 8030 §5: the push service names the message resource in Location.
          return { hint: endpointHint(endpoint), providerMessageId: res.headers.get('location') ?? `${message.deliveryId}:${endpointHint(endpoint)}` };
        }
        return { hint: endpointHint(endpoint), error: await classifyPushResponse(res, endpoint) };
      } catch (err) {
        return { hint: endpointHint(endpoint), error: err as DeliveryError };
      }
    }

    return {
      async send(message, { signal }) {
        if (signal.aborted) throw new TransientError('web push send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const seen = new Set<string>();
        const devices = (message.to.devices ?? []).filter((d) => {
          if (d.platform !== 'webpush') return false;
          const key = d.subscription?.endpoint ?? '';
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        // Subscriptions are this provider's addresses: with devices of another platform (FCM
        // tokens), a subscriber web push cannot reach is still the channel's next provider's.
        const scope = deviceScope(message.to, 'webpush');
        if (devices.length === 0) throw new PermanentError('the recipient has no web push subscription', { code: 'NO_DEVICE', scope });
        const { content } = message;
        if (!(content.title ?? content.subject) && !(content.body ?? content.text)) {
          throw new PermanentError('the rendered push has no title or body', { code: 'EMPTY_MESSAGE', scope: 'recipient' });
        }
        const outcomes = await Promise.all(devices.map((device) => pushTo(message, device, signal)));
        log.debug({ subscriptions: devices.length, sent: outcomes.filter((o) => o.providerMessageId).length }, 'web push send');
        return combineOutcomes(outcomes, 'subscription', { recipientScope: scope });
      },
    };
  },
});
