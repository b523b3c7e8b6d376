import { ConfigError, PermanentError, TransientError, excerpt } from '@clarion/adapter-kit';
import type { DeliveryError } from '@clarion/adapter-kit';

/**
 * FCM failures as firebase-admin reports them: a `code` such as `messaging/registration-token-not-registered`
 * (the SDK maps the HTTP v1 API's ErrorCode values onto these) and a message carrying the server's own text.
 * See https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode and the README's table.
 */

/**
 * The token itself can never work again: the engine removes it from the subscriber. About the
 * recipient (no provider can use a dead token); the fan-out hands it to the channel's next
 * provider when the subscriber also has devices of another platform.
 */
const DEAD_TOKEN = new Set(['messaging/registration-token-not-registered', 'messaging/invalid-registration-token']);

/** FCM says the recipient itself is invalid (not the token's format): about the recipient, the token kept. */
const BAD_RECIPIENT = new Set(['messaging/invalid-recipient']);

/**
 * Something about this message (not the token) is wrong: sending it again cannot succeed, but
 * it is FCM that refuses it (its payload rules, its 4 KB limit, its options): about the provider.
 */
const PERMANENT = new Set([
  'messaging/invalid-argument',
  'messaging/invalid-payload',
  'messaging/invalid-data-payload-key',
  'messaging/payload-size-limit-exceeded',
  'messaging/invalid-options',
  'messaging/invalid-package-name',
]);

/** Credentials, project or APNs/web push credentials uploaded to Firebase are wrong: an admin must act. */
const CONFIG = new Set([
  'messaging/mismatched-credential',
  'messaging/third-party-auth-error',
  'messaging/authentication-error',
  'messaging/invalid-project-id',
  'app/invalid-app-options',
  'app/no-app',
]);

/** FCM asks for at least one minute before retrying after QUOTA_EXCEEDED. */
const QUOTA = new Set(['messaging/message-rate-exceeded', 'messaging/device-message-rate-exceeded', 'messaging/topics-message-rate-exceeded']);
const QUOTA_BACKOFF_MS = 60_000;

const TRANSIENT = new Set(['messaging/server-unavailable', 'messaging/internal-error', 'messaging/unknown-error', 'app/network-error', 'app/network-timeout']);

/** FCM's documented message for an INVALID_ARGUMENT caused by the token rather than the payload. */
const BAD_TOKEN_MESSAGE = /registration token is not a valid FCM registration token|invalid registration token|registration token.*(invalid|malformed)/i;

/** A token-endpoint failure that is about reaching Google, not about the key (firebase-admin reports both as app/invalid-credential). */
const TOKEN_FETCH_UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|network|status code 5\d\d|\b5\d\d\b/i;
const TOKEN_FETCH_REFUSED = /invalid_grant|invalid_client|unauthorized_client|invalid_scope|private key|Invalid JWT|account not found/i;

export function classifyFcmError(err: unknown, token?: string): DeliveryError {
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'unknown';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const common = { code, response: excerpt(message), cause: err };
  const deadToken = token ? { kind: 'device' as const, value: token } : undefined;

  if (DEAD_TOKEN.has(code)) return new PermanentError(`FCM refused the device token: ${message}`, { ...common, invalidDestination: deadToken, scope: 'recipient' });
  if (code === 'messaging/invalid-argument' && BAD_TOKEN_MESSAGE.test(message)) {
    return new PermanentError(`FCM refused the device token: ${message}`, { ...common, invalidDestination: deadToken, scope: 'recipient' });
  }
  if (BAD_RECIPIENT.has(code)) return new PermanentError(`FCM refused the recipient: ${message}`, { ...common, scope: 'recipient' });
  if (PERMANENT.has(code)) return new PermanentError(`FCM refused the message: ${message}`, { ...common, scope: 'provider' });
  if (code === 'app/invalid-credential') {
    if (TOKEN_FETCH_UNREACHABLE.test(message) && !TOKEN_FETCH_REFUSED.test(message)) {
      return new TransientError(`cannot obtain a Google access token: ${message}`, common);
    }
    return new ConfigError(`the service account was refused: ${message}`, common);
  }
  if (CONFIG.has(code)) return new ConfigError(`FCM refused the credentials: ${message}`, common);
  if (QUOTA.has(code)) return new TransientError(`FCM quota exceeded: ${message}`, { ...common, retryAfterMs: QUOTA_BACKOFF_MS });
  if (TRANSIENT.has(code)) return new TransientError(`FCM is unavailable: ${message}`, common);
  // Not an FCM error at all (a reset, an abort): the network failed, which is worth a retry.
  return new TransientError(`FCM send failed: ${message}`, common);
}
