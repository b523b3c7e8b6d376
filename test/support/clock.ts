import type { Clock, Timers } from '../../core/kernel/clock.ts';

/**
 * The time every clock-driven test starts at: a fixed Monday morning (UTC), years after any day
 * the suite runs on. Fixed, so quiet hours, time zones and windows give the same answer on every
 * run; in the future, so a job Clarion schedules on the clock is never due by the database's time
 * until the test says so (`TestApp.runJobsDueBy`).
 */
export const TEST_EPOCH = new Date('2040-01-02T09:00:00.000Z');

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date = TEST_EPOCH) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** Timers that fire only when the test says so (`fireAll`), whatever their delay. */
export class ManualTimers implements Timers {
  readonly #pending = new Set<() => void>();

  after(_ms: number, run: () => void): () => void {
    const entry = () => run();
    this.#pending.add(entry);
    return () => this.#pending.delete(entry);
  }

  /** Timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Fires every pending timer (not those their callbacks set). */
  fireAll(): void {
    const due = [...this.#pending];
    this.#pending.clear();
    for (const run of due) run();
  }
}
