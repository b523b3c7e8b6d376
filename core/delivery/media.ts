import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { ClarionError } from '../errors.ts';

/**
 * Media links: an SMS/MMS or WhatsApp provider fetches an event's stored attachment from Clarion
 * itself (`GET /v1/media/{token}` under the public URL), since those APIs take a URL, not the
 * bytes. The token carries its claims in the clear (base64url JSON: tenant, event, the file's
 * position, when it expires) and an HMAC-SHA256 over them with a key derived from the secret key
 * for this purpose alone (HKDF), so no other signed link of Clarion passes as one, a changed claim
 * fails, and a link stops working after `MEDIA_LINK_TTL_S`.
 */

/** How long a media link works: long enough for a provider's fetch and its retries. */
export const MEDIA_LINK_TTL_S = 24 * 3600;

interface MediaClaims {
  /** tenant id */
  t: string;
  /** event id */
  e: string;
  /** the file's position in the event */
  p: number;
  /** expiry, seconds since the epoch */
  x: number;
}

const keys = new WeakMap<Buffer, Buffer>();
function keyFor(secret: Buffer): Buffer {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'clarion media v1', 32))));
  return key;
}

export function mediaUrl(secret: Buffer, publicUrl: string, file: { tenantId: string; eventId: string; position: number }, now: Date): string {
  const claims: MediaClaims = { t: file.tenantId, e: file.eventId, p: file.position, x: Math.floor(now.getTime() / 1000) + MEDIA_LINK_TTL_S };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${publicUrl}/v1/media/${body}.${createHmac('sha256', keyFor(secret)).update(body).digest('base64url')}`;
}

/** The claims of a genuine, unexpired token; `CLARION_ERR_MEDIA_LINK_INVALID` (404) or `_EXPIRED` (410) otherwise. */
export function verifyMedia(secret: Buffer, token: string, now: Date): MediaClaims {
  const invalid = () => new ClarionError('CLARION_ERR_MEDIA_LINK_INVALID', 'This media link is not valid: it was changed or is not one Clarion issued');
  const match = /^([A-Za-z0-9_-]{1,1000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw invalid();
  const expected = Buffer.from(createHmac('sha256', keyFor(secret)).update(match[1]).digest('base64url'));
  const given = Buffer.from(match[2]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let claims: MediaClaims;
  try {
    claims = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof claims?.t !== 'string' || typeof claims.e !== 'string' || !Number.isInteger(claims.p) || !Number.isInteger(claims.x)) throw invalid();
  if (claims.x * 1000 <= now.getTime()) throw new ClarionError('CLARION_ERR_MEDIA_LINK_EXPIRED', 'This media link has expired');
  return claims;
}

/** The stored file a genuine token names (gone with its event: 404). */
export async function mediaFile(knex: Knex, secret: Buffer | undefined, token: string, now: Date): Promise<{ filename: string; contentType: string; content: Buffer }> {
  if (!secret) throw new ClarionError('CLARION_ERR_MEDIA_LINK_INVALID', 'Media links are off (no secret key)');
  const claims = verifyMedia(secret, token, now);
  const row = await knex('attachments').where({ tenant_id: claims.t, event_id: claims.e, position: claims.p }).first('filename', 'content_type', 'content');
  if (!row) throw new ClarionError('CLARION_ERR_MEDIA_LINK_INVALID', 'The file of this media link is gone');
  return { filename: row.filename, contentType: row.content_type, content: row.content };
}
