import { timingSafeEqual } from 'node:crypto';

/** Thrown by `parseCallback` when a receipt's signature is missing (401) or wrong (403). */
export class CallbackRejected extends Error {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.name = 'CallbackRejected';
    this.status = status;
  }
}

/** A header of a callback request, whatever the case the engine or the provider gave its name in. */
export function callbackHeader(request: { headers: Record<string, string | undefined> }, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Compares a received signature with the expected one in constant time (for equal lengths). */
export function safeEqual(received: string | Buffer, expected: string | Buffer): boolean {
  const a = Buffer.isBuffer(received) ? received : Buffer.from(received);
  const b = Buffer.isBuffer(expected) ? expected : Buffer.from(expected);
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/**
 * Refuses a signed callback whose signing time is too old (a replayed capture) or too far in the
 * future (a clock that cannot be trusted). `signedAt` is in seconds since the epoch, as providers send it.
 */
export function assertFreshSignature(signedAt: string | number | undefined, options: { maxAgeSeconds: number; now?: number; skewSeconds?: number }): void {
  const seconds = typeof signedAt === 'number' ? signedAt : Number(signedAt);
  if (signedAt === undefined || signedAt === '' || !Number.isFinite(seconds)) throw new CallbackRejected(403, 'the signature timestamp is missing or unreadable');
  const now = (options.now ?? Date.now()) / 1000;
  if (seconds > now + (options.skewSeconds ?? 300)) throw new CallbackRejected(403, 'the signature timestamp is in the future');
  if (options.maxAgeSeconds > 0 && now - seconds > options.maxAgeSeconds) throw new CallbackRejected(403, `the signature is older than ${options.maxAgeSeconds} s`);
}
