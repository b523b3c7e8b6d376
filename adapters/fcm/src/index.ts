import { randomUUID } from 'node:crypto';
import { ConfigError, DeliveryError, PermanentError, TransientError, combineOutcomes, defineAdapter, deviceScope } from '@clarion/adapter-kit';
import type { DestinationOutcome, OutboundMessage, SendResult } from '@clarion/adapter-kit';
// firebase-admin is loaded when the first FCM sender is created (create()), not with the adapter:
// a process whose tenants use no FCM provider never holds it.
import type { App } from 'firebase-admin/app';
import type { Message } from 'firebase-admin/messaging';
import { classifyFcmError } from './classify.ts';

export { classifyFcmError } from './classify.ts';

export interface FcmConfig {
  /** The Firebase project id (the service account JSON's `project_id`). */
  projectId: string;
  /** The service account's e-mail (`client_email`). */
  clientEmail: string;
  /** The service account's PEM private key (`private_key`); `\n` escapes are accepted. Secret. */
  privateKey: string;
  /** How long FCM keeps an undelivered message, in seconds. Default: FCM's own (4 weeks). */
  ttlSeconds?: number;
  /** Android notification channel the notification is posted to. Default: the app's default channel. */
  androidChannelId?: string;
}

const configSchema = {
  type: 'object',
  required: ['projectId', 'clientEmail', 'privateKey'],
  additionalProperties: false,
  properties: {
    projectId: { type: 'string', pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$', description: 'Firebase project id (project_id of the service account JSON).' },
    clientEmail: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$', description: 'Service account e-mail (client_email).' },
    privateKey: { type: 'string', minLength: 1, writeOnly: true, description: 'Service account PEM private key (private_key).' },
    ttlSeconds: { type: 'integer', minimum: 0, maximum: 2_419_200, description: 'How long FCM keeps an undelivered message. Default: 4 weeks.' },
    androidChannelId: { type: 'string', minLength: 1, description: 'Android notification channel id. Default: the app default.' },
  },
};

/** Resolves when `promise` does, rejects with a transient error as soon as `signal` aborts (firebase-admin takes no signal). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (err) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}

function aborted(signal: AbortSignal): TransientError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new TransientError(`FCM send aborted: ${reason}`, { code: 'ABORTED', cause: signal.reason });
}

/** What a device-list report may show of a token: enough to recognise it, not enough to use it. */
function tokenHint(token: string): string {
  return token.length > 12 ? `…${token.slice(-8)}` : '…';
}

export function buildMessage(message: OutboundMessage, token: string, config: FcmConfig): Message {
  const { content } = message;
  const title = content.title ?? content.subject;
  const body = content.body ?? content.text;
  const urgent = message.priority === 'high' || message.priority === 'critical';
  const data: Record<string, string> = {
    ...(content.data ?? {}),
    clarion_notification_id: message.notificationId,
    clarion_delivery_id: message.deliveryId,
  };
  if (content.url) data.url = content.url;
  const fcm: Message = {
    token,
    notification: { ...(title ? { title } : {}), ...(body ? { body } : {}) },
    data,
    // A delivery sent twice (its first send was not recorded: a crash, a timeout after Google took
    // it) replaces itself on the device instead of showing twice: the Android notification tag
    // and the APNs collapse id are the delivery's id (FCM has no idempotency key).
    android: {
      priority: urgent ? 'high' : 'normal',
      ...(config.ttlSeconds !== undefined ? { ttl: config.ttlSeconds * 1000 } : {}),
      notification: { tag: message.deliveryId, ...(config.androidChannelId ? { channelId: config.androidChannelId } : {}) },
    },
    apns: { headers: { 'apns-priority': urgent ? '10' : '5', 'apns-collapse-id': message.deliveryId } },
  };
  if (content.url?.startsWith('https://')) fcm.webpush = { fcmOptions: { link: content.url } };
  return fcm;
}

export default defineAdapter<FcmConfig>({
  name: 'fcm',
  channel: 'push',
  description: 'Push notifications through Firebase Cloud Messaging (HTTP v1, firebase-admin).',
  configSchema,
  async create(config, { log, providerId, outbound }) {
    const [{ cert, deleteApp, initializeApp }, { getMessaging }] = await Promise.all([import('firebase-admin/app'), import('firebase-admin/messaging')]);
    let app: App;
    try {
      // Token requests and sends go through the operator's outbound policy (the SDK's own agent otherwise).
      app = initializeApp(
        {
          credential: cert({ projectId: config.projectId, clientEmail: config.clientEmail, privateKey: config.privateKey.replace(/\\n/g, '\n') }, outbound.httpsAgent),
          projectId: config.projectId,
          httpAgent: outbound.httpsAgent,
        },
        `clarion-fcm-${providerId}-${randomUUID()}`,
      );
    } catch (err) {
      // The SDK's message names what is wrong with the key without quoting it.
      throw new ConfigError(`the FCM service account cannot be used: ${(err as Error).message}`, { code: (err as { code?: string }).code ?? 'app/invalid-credential', cause: err });
    }
    const messaging = getMessaging(app);

    async function sendTo(message: OutboundMessage, token: string, signal: AbortSignal): Promise<DestinationOutcome> {
      // Messaging.send() posts one HTTP/1.1 request to fcm.googleapis.com/v1/projects/{id}/messages:send
      // (only sendEach() defaults to HTTP/2), with the SDK's own retries of HTTP 503.
      try {
        const messageId = await abortable(messaging.send(buildMessage(message, token, config)), signal);
        return { hint: tokenHint(token), providerMessageId: messageId };
      } catch (err) {
        return { hint: tokenHint(token), error: err instanceof DeliveryError ? err : classifyFcmError(err, token) };
      }
    }

    return {
      async send(message, { signal }): Promise<SendResult> {
        if (signal.aborted) throw aborted(signal);
        const tokens = [...new Set((message.to.devices ?? []).filter((d) => d.platform === 'fcm' && d.token).map((d) => d.token as string))];
        // FCM tokens are this provider's addresses: with devices of another platform, a subscriber
        // FCM cannot reach is still the channel's next provider's to try.
        const scope = deviceScope(message.to, 'fcm');
        if (tokens.length === 0) throw new PermanentError('the recipient has no FCM device token', { code: 'NO_DEVICE', scope });
        const { content } = message;
        if (!(content.title ?? content.subject) && !(content.body ?? content.text) && !content.data) {
          throw new PermanentError('the rendered push has no title, body or data', { code: 'EMPTY_MESSAGE', scope: 'recipient' });
        }

        const outcomes = await Promise.all(tokens.map((token) => sendTo(message, token, signal)));
        log.debug({ devices: tokens.length, sent: outcomes.filter((o) => o.providerMessageId).length }, 'fcm send');
        return combineOutcomes(outcomes, 'device', { recipientScope: scope });
      },

      /** Exchanges the service account for an access token: proves the key is live without sending. */
      async verify() {
        try {
          await app.options.credential!.getAccessToken();
        } catch (err) {
          // The raw token-endpoint error: classify it as firebase-admin would report it on a send.
          throw classifyFcmError({ code: 'app/invalid-credential', message: (err as Error)?.message ?? String(err) });
        }
      },

      async close() {
        await deleteApp(app);
      },
    };
  },
});
