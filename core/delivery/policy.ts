import type { ErrorClass, ErrorScope, Priority } from '@clarion/adapter-kit';
import { parseDuration, parseSchedule } from '../kernel/durations.ts';

/**
 * What happens after a failed attempt, or while every provider of a channel is down: a pure
 * function of the failure and the delivery's state, so the rules can be read (and tested) apart
 * from the writes that carry them out.
 *
 * - A failure about the provider (config, or permanent with scope `provider`) moves to the
 *   channel's next provider; with none left, the delivery fails and the fallback channels start.
 * - A failure about the recipient (permanent, scope `recipient`) fails the delivery at once and
 *   starts the fallback channels: no other provider is tried.
 * - A transient failure is retried on the priority's schedule (its delays spread by ±20 %, a
 *   provider's Retry-After honoured, capped); once the schedule is spent the next provider gets a
 *   schedule of its own, and with none left the delivery is a dead letter and the fallbacks start.
 *   A channel with a fallback does not wait that long: once its failures have lasted the
 *   priority's `fallbackAfter`, the fallback channels start and this delivery stops, unless the
 *   workflow asks to keep retrying it too (`retryOriginal`).
 * - A probe (the one call let through a provider's half-open circuit) that fails spends none of
 *   the delivery's attempts; the retries are bounded in time instead: once the failures have
 *   lasted as long as the priority's whole schedule, the delivery gives up as if its attempts
 *   were spent.
 * - While every provider of the channel is down (circuits open), a delivery with a fallback falls
 *   back at once; one without waits for the next probe, spending nothing, as long as the schedule
 *   lasts.
 */

export interface RetryPolicy {
  /** Delays before each retry, by priority: attempts = delays + 1. */
  schedules: Record<Priority, readonly number[]>;
  /** Multiplies every delay (CLARION_RETRY_SCALE; tests shrink it). */
  scale: number;
  /** No wait is longer than this, Retry-After included (CLARION_RETRY_MAX_MS). */
  maxDelayMs: number;
  /** How long a channel's failures last before its fallback starts, by priority (scaled too). */
  fallbackAfterMs: Record<Priority, number>;
  /** Random number in [0, 1) for the spread. */
  random: () => number;
}

/** The spread either way of every retry delay, so a burst of failures does not retry together. */
export const RETRY_JITTER = 0.2;

/**
 * Defaults: normal about an hour (7 attempts), high about six hours (9), critical a day (13),
 * low an hour with few attempts (4): Knock retries 8 times in 30 minutes, Courier for 24 hours.
 */
export const DEFAULT_RETRY_SCHEDULES: Record<Priority, string> = {
  low: '5m,15m,40m',
  normal: '10s,1m,5m,10m,20m,30m',
  high: '5s,30s,2m,10m,30m,1h,2h,2h',
  critical: '2s,10s,30s,2m,5m,15m,30m,1h,2h,4h,8h,8h',
};

export const DEFAULT_FALLBACK_AFTER = 'low=30m,normal=5m,high=1m,critical=0s';

const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'critical'];

/** `low=30m,normal=5m,...` (every priority named once); undefined when unreadable. */
export function parseFallbackAfter(text: string): Record<Priority, number> | undefined {
  const found: Partial<Record<Priority, number>> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value, ...rest] = part.split('=').map((p) => p.trim());
    const ms = value === undefined ? undefined : parseDuration(value, 86_400_000);
    if (rest.length > 0 || !PRIORITIES.includes(name as Priority) || ms === undefined || found[name as Priority] !== undefined) return undefined;
    found[name as Priority] = ms;
  }
  return PRIORITIES.every((p) => found[p] !== undefined) ? (found as Record<Priority, number>) : undefined;
}

export { parseSchedule };

export interface Failure {
  errorClass: ErrorClass;
  scope: ErrorScope;
  /** The provider asked to wait this long (Retry-After). */
  retryAfterMs?: number;
  /** The call was the probe of a half-open circuit. */
  probe?: boolean;
}

export interface DeliveryState {
  priority: Priority;
  /** Attempts spent on the current provider before this failure. */
  providerAttempts: number;
  /** When the current run of transient failures began (null: this is the first). */
  failingSince: Date | null;
  now: Date;
  /** Providers of the channel not tried yet for this delivery. */
  remainingProviders: number;
  /** The workflow falls back from this channel to one the pipeline did not rule out. */
  hasFallback: boolean;
  /** Keep retrying this delivery after its fallback started. */
  retryOriginal: boolean;
}

export type NextStep =
  /** Try the same provider again at `at`; with `fallback`, start the fallback channels now as well. */
  | { step: 'retry'; at: Date; providerAttempts: number; failingSince: Date | null; fallback: boolean }
  /** Give up on this provider for this delivery and try the channel's next one now. */
  | { step: 'next_provider'; failingSince: Date | null }
  /** This delivery is over (`failed`, or `dead`: retries spent, requeueable); the fallbacks start if any. */
  | { step: 'stop'; status: 'failed' | 'dead'; fallback: boolean; reason: 'permanent' | 'config' | 'exhausted' | 'fallback_engaged' };

/** The delay before the retry after `attempts` failed attempts, or undefined when they are spent. */
export function retryDelay(policy: RetryPolicy, priority: Priority, attempts: number, retryAfterMs?: number): number | undefined {
  const schedule = policy.schedules[priority];
  if (attempts < 1 || attempts > schedule.length) return undefined;
  const spread = 1 + RETRY_JITTER * (2 * policy.random() - 1);
  const scheduled = schedule[attempts - 1] * spread * policy.scale;
  const asked = retryAfterMs === undefined ? 0 : Math.max(retryAfterMs, 0) * policy.scale;
  return Math.round(Math.min(policy.maxDelayMs, Math.max(scheduled, asked)));
}

/** How long the priority's retries last in all (the sum of its schedule, scaled). */
export function retrySpanMs(policy: RetryPolicy, priority: Priority): number {
  return policy.schedules[priority].reduce((sum, d) => sum + d, 0) * policy.scale;
}

/** The next step after a failed attempt. */
export function nextStep(policy: RetryPolicy, failure: Failure, state: DeliveryState): NextStep {
  if (failure.errorClass === 'config' || (failure.errorClass === 'permanent' && failure.scope === 'provider')) {
    if (state.remainingProviders > 0) return { step: 'next_provider', failingSince: state.failingSince };
    return { step: 'stop', status: 'failed', fallback: state.hasFallback, reason: failure.errorClass === 'config' ? 'config' : 'permanent' };
  }
  if (failure.errorClass === 'permanent') return { step: 'stop', status: 'failed', fallback: state.hasFallback, reason: 'permanent' };

  const failingSince = state.failingSince ?? state.now;
  // A probe's failure says the provider is still down; it spends none of this delivery's attempts.
  const attempts = failure.probe ? state.providerAttempts : state.providerAttempts + 1;
  const outlasted = failure.probe === true && state.now.getTime() - failingSince.getTime() >= retrySpanMs(policy, state.priority);
  const delay = outlasted ? undefined : retryDelay(policy, state.priority, Math.max(attempts, 1), failure.retryAfterMs);
  if (delay === undefined) {
    if (state.remainingProviders > 0) return { step: 'next_provider', failingSince };
    return { step: 'stop', status: 'dead', fallback: state.hasFallback, reason: 'exhausted' };
  }
  const engage = state.hasFallback && state.now.getTime() - failingSince.getTime() >= policy.fallbackAfterMs[state.priority] * policy.scale;
  if (engage && !state.retryOriginal) return { step: 'stop', status: 'failed', fallback: true, reason: 'fallback_engaged' };
  return { step: 'retry', at: new Date(state.now.getTime() + delay), providerAttempts: attempts, failingSince, fallback: engage };
}

export type DownStep =
  /** Fall back now; with `wait`, keep this delivery waiting for the next probe as well. */
  | { step: 'fallback'; wait: Date | undefined }
  /** Nothing to fall back to: wait for the next probe, spending nothing. */
  | { step: 'wait'; at: Date }
  /** Nothing to fall back to, and the outage outlasted the schedule: a dead letter. */
  | { step: 'dead' };

/** Every provider of the channel is down (open circuits); `probeAt`: when the first may be probed. */
export function whileDown(policy: RetryPolicy, state: Pick<DeliveryState, 'hasFallback' | 'retryOriginal' | 'priority' | 'failingSince' | 'now'>, probeAt: Date): DownStep {
  if (state.hasFallback) return { step: 'fallback', wait: state.retryOriginal ? probeAt : undefined };
  if (state.failingSince && state.now.getTime() - state.failingSince.getTime() >= retrySpanMs(policy, state.priority)) return { step: 'dead' };
  return { step: 'wait', at: probeAt };
}
