/**
 * Time and chance come from here, injected: logic never reads `Date.now()` or `Math.random()`
 * itself, so tests of windows, quiet hours, backoff and jitter move time without sleeping.
 * Operational timing (a circuit's half-open delay, cache expiry, measured durations) is not
 * business time and may use the process's own clocks.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A random number in [0, 1). */
export type Random = () => number;

export const systemRandom: Random = Math.random;
