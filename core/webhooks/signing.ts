import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
 * (seconds) and `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` over
 * `<id>.<timestamp>.<body>`, one per secret in use (two while a rotated secret is in its grace
 * period). Secrets are `whsec_` followed by the base64 of the key bytes, the form the official
 * `standardwebhooks` and `svix` libraries take.
 */

export const SECRET_PREFIX = 'whsec_';
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** A new secret: 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The key bytes of a `whsec_` secret, or undefined when the text is not one (24 to 64 bytes). */
export function secretKey(secret: string): Buffer | undefined {
  const match = SECRET.exec(secret);
  if (!match) return undefined;
  const key = Buffer.from(match[1], 'base64');
  if (key.length < 24 || key.length > 64 || key.toString('base64').replace(/=+$/, '') !== match[1].replace(/=+$/, '')) return undefined;
  return key;
}

/** `v1,<signature>` of one message body under one secret. */
export function sign(secret: string, msgId: string, timestamp: number, body: string): string {
  const key = secretKey(secret);
  if (!key) throw new TypeError('not a whsec_ signing secret');
  return `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

/** The three Standard Webhooks headers for one attempt, signed with every secret given. */
export function signatureHeaders(secrets: readonly string[], msgId: string, timestamp: number, body: string): Record<string, string> {
  if (secrets.length === 0) throw new TypeError('at least one signing secret is needed');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, msgId, timestamp, body)).join(' '),
  };
}
