import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Channel } from '@clarion/adapter-kit';
import { ClarionError } from '../errors.ts';

/**
 * Signed links that act without a login: one-click unsubscribe (RFC 8058) and acknowledgement.
 * A link carries its claims in the clear (base64url JSON) and an HMAC-SHA256 over them with a key
 * derived per purpose from the secret key (HKDF), so an unsubscribe token can never pass as an
 * acknowledgement and a changed claim fails the check.
 */

export type LinkPurpose = 'unsubscribe' | 'ack' | 'subscriber';

export interface UnsubscribeClaims {
  p: 'unsubscribe';
  /** tenant id */
  t: string;
  /** subscriber external id */
  s: string;
  /** what to switch off: a category or a workflow, on a channel (or every channel) */
  k: 'category' | 'workflow';
  v: string;
  c?: Channel;
  /** notification it came from (for the audit trail) */
  n?: string;
}

export interface AckClaims {
  p: 'ack';
  t: string;
  n: string;
  s: string;
  /** expiry, seconds since the epoch */
  e: number;
}

/** A subscriber's own bearer token (in-app clients): acts for that one subscriber only. */
export interface SubscriberClaims {
  p: 'subscriber';
  t: string;
  s: string;
  /** expiry, seconds since the epoch */
  e: number;
}

export type LinkClaims = UnsubscribeClaims | AckClaims | SubscriberClaims;

const keys = new WeakMap<Buffer, Map<LinkPurpose, Buffer>>();

function keyFor(secret: Buffer, purpose: LinkPurpose): Buffer {
  let perSecret = keys.get(secret);
  if (!perSecret) keys.set(secret, (perSecret = new Map()));
  let key = perSecret.get(purpose);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `clarion link ${purpose} v1`, 32));
    perSecret.set(purpose, key);
  }
  return key;
}

export function signLink(secret: Buffer, claims: LinkClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const mac = createHmac('sha256', keyFor(secret, claims.p)).update(body).digest('base64url');
  return `${body}.${mac}`;
}

/** The claims of a genuine, unexpired token of that purpose; a coded error otherwise. */
export function verifyLink<P extends LinkPurpose>(secret: Buffer, purpose: P, token: string, now: Date): Extract<LinkClaims, { p: P }> {
  const invalid = () => new ClarionError('CLARION_ERR_LINK_INVALID', 'This link is not valid: it was changed or is not one Clarion issued');
  const match = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw invalid();
  const expected = createHmac('sha256', keyFor(secret, purpose)).update(match[1]).digest();
  const given = Buffer.from(match[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (claims?.p !== purpose) throw invalid();
  if ((claims.p === 'ack' || claims.p === 'subscriber') && claims.e * 1000 < now.getTime()) {
    throw new ClarionError('CLARION_ERR_LINK_EXPIRED', 'This link has expired');
  }
  return claims as Extract<LinkClaims, { p: P }>;
}
