import type { RenderedContent } from '@clarion/adapter-kit';
import type { Static } from '../kernel/schema.ts';
import type { pushInfoSchema, pushLimitCheckSchema } from './schemas.ts';

/**
 * Push notification size against the platforms' limits. The payload limits are hard (the
 * provider refuses the message): FCM 4000 bytes for a notification message, APNs 4096 bytes for a
 * regular remote notification, Web Push 3993 bytes of plaintext (a 4096-byte aes128gcm record less
 * its 103 bytes of header, tag and padding delimiter, RFC 8188 / RFC 8291). The display lengths are
 * soft: beyond them the lock screen truncates the text.
 */

/** What the preview says of a push notification (schemas.ts `pushInfoSchema`). */
export type PushLimitCheck = Static<typeof pushLimitCheckSchema>;
export type PushInfo = Static<typeof pushInfoSchema>;

export const PUSH_PAYLOAD_LIMITS = { fcm: 4000, apns: 4096, webpush: 3993 } as const;
/** Typical lock-screen truncation (Android collapsed title ~65 characters, body ~240 expanded). */
export const PUSH_DISPLAY_LIMITS = { title: 65, body: 240 } as const;

export function pushInfo(content: RenderedContent): PushInfo {
  const title = content.title ?? '';
  const body = content.body ?? '';
  const data = content.data ?? {};
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  const withUrl = content.url ? { ...data, url: content.url } : data;
  const payloads: PushLimitCheck[] = [
    { platform: 'fcm', bytes: bytes({ notification: { title, body }, data: withUrl }), limit: PUSH_PAYLOAD_LIMITS.fcm, fits: false },
    { platform: 'apns', bytes: bytes({ aps: { alert: { title, body } }, ...withUrl }), limit: PUSH_PAYLOAD_LIMITS.apns, fits: false },
    { platform: 'webpush', bytes: bytes({ title, body, data: withUrl }), limit: PUSH_PAYLOAD_LIMITS.webpush, fits: false },
  ];
  for (const p of payloads) p.fits = p.bytes <= p.limit;
  const length = (s: string) => [...s].length;
  return {
    title: { length: length(title), displayLimit: PUSH_DISPLAY_LIMITS.title, truncated: length(title) > PUSH_DISPLAY_LIMITS.title },
    body: { length: length(body), displayLimit: PUSH_DISPLAY_LIMITS.body, truncated: length(body) > PUSH_DISPLAY_LIMITS.body },
    payloads,
    fits: payloads.every((p) => p.fits),
  };
}
