/**
 * When a webhook message is attempted again. The schedule lists the delay before each attempt
 * (the first is normally 0: at once); the retry scale shrinks every delay for tests and checks.
 */

/** Standard Webhooks / Svix schedule: 8 attempts over about 27.5 hours. */
export const DEFAULT_RETRY_SCHEDULE = '0s,5s,5m,30m,2h,5h,10h,10h';

/** Each delay is spread by up to this fraction either way, so retries of a burst do not arrive together. */
export const RETRY_JITTER = 0.1;

/** A `Retry-After` longer than this is cut to it (before the retry scale applies). */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** An endpoint whose every attempt failed for this long is disabled (not scaled: tests move the clock). */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3600_000;

export { parseSchedule } from '../kernel/durations.ts';

export interface RetryPlan {
  /** Delays before each attempt, in ms (index 0: the first attempt). */
  schedule: readonly number[];
  /** Multiplies every delay (CLARION_WEBHOOK_RETRY_SCALE). */
  scale: number;
  /** Random number in [0, 1) for the jitter (injected by tests). */
  random?: () => number;
}

/**
 * The delay before attempt `attempt` (1-based), or undefined when the schedule has no such attempt.
 * `retryAfterMs` (the receiver's `Retry-After`) can only lengthen the wait, never shorten it, and
 * is capped at MAX_RETRY_AFTER_MS.
 */
export function delayBeforeAttempt(plan: RetryPlan, attempt: number, retryAfterMs?: number): number | undefined {
  if (attempt < 1 || attempt > plan.schedule.length) return undefined;
  const base = plan.schedule[attempt - 1];
  const jitter = base === 0 ? 1 : 1 + RETRY_JITTER * (2 * (plan.random ?? Math.random)() - 1);
  const scheduled = base * jitter * plan.scale;
  const asked = retryAfterMs === undefined ? 0 : Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS) * plan.scale;
  return Math.round(Math.max(scheduled, asked));
}
