import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ClarionError } from '../errors.ts';

/**
 * Tracking links of emails: the open pixel and the click redirect, served under the gateway's
 * public URL. A token carries its claims in the clear (base64url JSON: the delivery, and for a
 * click the target URL) and an HMAC-SHA256 over them with a key derived from the secret key for
 * this purpose alone (HKDF), so a pixel token cannot pass as a redirect, no other signed link of
 * Clarion passes as either, and a changed target fails the check: the redirect only ever leads
 * where Clarion itself put the link (never an open redirect).
 */

export interface OpenClaims {
  p: 'open';
  /** delivery id */
  d: string;
}

export interface ClickClaims {
  p: 'click';
  d: string;
  /** the link's target, as the template wrote it */
  u: string;
}

export type TrackingClaims = OpenClaims | ClickClaims;

/** Longest target a click token is made for; longer links are left as they are (a URL that long breaks mail clients anyway). */
export const MAX_TRACKED_URL = 2048;

const keys = new WeakMap<Buffer, Map<string, Buffer>>();

function keyFor(secret: Buffer, purpose: TrackingClaims['p']): Buffer {
  let perSecret = keys.get(secret);
  if (!perSecret) keys.set(secret, (perSecret = new Map()));
  let key = perSecret.get(purpose);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `clarion tracking ${purpose} v1`, 32));
    perSecret.set(purpose, key);
  }
  return key;
}

export function signTracking(secret: Buffer, claims: TrackingClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${createHmac('sha256', keyFor(secret, claims.p)).update(body).digest('base64url')}`;
}

/** The claims of a genuine token of that purpose; `CLARION_ERR_TRACKING_LINK_INVALID` (400) otherwise. */
export function verifyTracking<P extends TrackingClaims['p']>(secret: Buffer, purpose: P, token: string): Extract<TrackingClaims, { p: P }> {
  const invalid = () => new ClarionError('CLARION_ERR_TRACKING_LINK_INVALID', 'This tracking link is not valid: it was changed or is not one Clarion issued');
  const match = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw invalid();
  const expected = createHmac('sha256', keyFor(secret, purpose)).update(match[1]).digest();
  const given = Buffer.from(match[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let claims: TrackingClaims;
  try {
    claims = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (claims?.p !== purpose || typeof claims.d !== 'string') throw invalid();
  // Signed by Clarion, so this holds; checked again so nothing but http(s) is ever redirected to.
  if (claims.p === 'click' && (typeof claims.u !== 'string' || !/^https?:\/\//i.test(claims.u))) throw invalid();
  return claims as Extract<TrackingClaims, { p: P }>;
}

/** The pixel and redirect URLs of one delivery. */
export function trackingUrls(secret: Buffer, publicUrl: string, deliveryId: string): { open: string; click: (target: string) => string } {
  return {
    open: `${publicUrl}/v1/track/open/${signTracking(secret, { p: 'open', d: deliveryId })}`,
    click: (target) => `${publicUrl}/v1/track/click/${signTracking(secret, { p: 'click', d: deliveryId, u: target })}`,
  };
}
