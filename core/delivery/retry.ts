import type { Priority } from '@clarion/adapter-kit';

/**
 * Retry policy of transient failures: exponential backoff with full jitter (AWS architecture
 * blog, "Exponential Backoff And Jitter"), attempts and base delay by priority, a provider's
 * Retry-After honoured (but never beyond the cap).
 */
export const ATTEMPTS: Record<Priority, number> = { low: 3, normal: 5, high: 8, critical: 12 };
const BASE_FACTOR: Record<Priority, number> = { low: 4, normal: 1, high: 0.5, critical: 0.25 };

export function maxAttempts(priority: Priority): number {
  return ATTEMPTS[priority];
}

/** Delay before attempt `attempt + 1`, after `attempt` failed attempts (1-based). */
export function backoffMs(options: { attempt: number; priority: Priority; baseMs: number; maxMs: number; retryAfterMs?: number; random?: () => number }): number {
  const random = options.random ?? Math.random;
  const base = options.baseMs * BASE_FACTOR[options.priority];
  const ceiling = Math.min(options.maxMs, base * 2 ** Math.max(0, options.attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  if (options.retryAfterMs !== undefined) return Math.min(options.maxMs, Math.max(options.retryAfterMs, jittered));
  return jittered;
}
