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

/**
 * Operational timers (a batching window, say), injected where a test must decide when they fire:
 * `after` runs `run` once, `ms` milliseconds from now, unless the returned function cancels it.
 */
export interface Timers {
  after(ms: number, run: () => void): () => void;
}

export const systemTimers: Timers = {
  after(ms, run) {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * The system's timers, but a pending one does not keep the process alive (a stream's heartbeat,
 * say: the process lives as long as its server, not as long as its next beat).
 */
export const backgroundTimers: Timers = {
  after(ms, run) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
