import { ClarionError } from '../errors.ts';
import type { Timers } from '../kernel/clock.ts';

/** How single events are grouped into one statement (README: CLARION_INGEST_GROUP_*). */
export interface GroupCommitSettings {
  /** How long a group waits for more events after its first one, in ms; 0: each event is written alone, at once. */
  windowMs: number;
  /** Events in one group at most: a full group is written without waiting for the window. */
  maxEvents: number;
  /** Events waiting or being written at most; one more is refused with 503 and `Retry-After`. */
  maxQueued: number;
}

/** What became of one event of a group: stored now, or a resend of the stored event `eventId`. */
export interface GroupOutcome {
  eventId: string;
  duplicate: boolean;
}

interface Waiter<R> {
  row: R;
  resolve(outcome: GroupOutcome): void;
  reject(err: unknown): void;
}

/** Seconds a client refused for a full queue is told to wait (`Retry-After`). */
export const BUSY_RETRY_AFTER_S = 1;

/**
 * Group commit: single events that arrive within `windowMs` of each other (or until `maxEvents`
 * wait) are written by one call of `write`, which is one statement and so one commit; each
 * caller's promise settles when that statement returns, so an event is answered only once it is
 * committed. When a group's statement fails (a row the database refuses: a tenant deleted a moment
 * ago...), every event of it is written again alone, so only the bad one fails. `write` must be
 * idempotent (insert-or-ignore): an event of a group whose commit was lost and that is written
 * again is then reported as a duplicate of itself, never stored twice.
 *
 * The queue is bounded: with `maxQueued` events waiting or being written (the database is slower
 * than the clients), `submit` refuses the next one at once with CLARION_ERR_INGEST_BUSY.
 */
export class GroupCommit<R> {
  readonly #write: (rows: R[]) => Promise<GroupOutcome[]>;
  readonly #settings: GroupCommitSettings;
  readonly #timers: Timers;
  #open: Waiter<R>[] = [];
  #cancelWindow: (() => void) | undefined;
  #queued = 0;
  #watchers: Array<{ count: number; resolve: () => void }> = [];

  constructor(write: (rows: R[]) => Promise<GroupOutcome[]>, settings: GroupCommitSettings, timers: Timers) {
    this.#write = write;
    this.#settings = settings;
    this.#timers = timers;
  }

  /** Events submitted and not yet answered (waiting for their group, or being written). */
  get queued(): number {
    return this.#queued;
  }

  /** Resolves once at least `count` events wait in the open group (for tests and diagnostics). */
  whenWaiting(count: number): Promise<void> {
    if (this.#open.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ count, resolve }));
  }

  submit(row: R): Promise<GroupOutcome> {
    if (this.#queued >= this.#settings.maxQueued) {
      throw new ClarionError('CLARION_ERR_INGEST_BUSY', `${this.#queued} events are waiting to be stored; retry in ${BUSY_RETRY_AFTER_S} s`, {
        extensions: { retryAfter: BUSY_RETRY_AFTER_S },
      });
    }
    this.#queued++;
    const answered = new Promise<GroupOutcome>((resolve, reject) => {
      this.#open.push({ row, resolve, reject });
    }).finally(() => this.#queued--);
    this.#notify();
    if (this.#settings.windowMs === 0 || this.#open.length >= this.#settings.maxEvents) this.#flush();
    else if (this.#open.length === 1) this.#cancelWindow = this.#timers.after(this.#settings.windowMs, () => this.#flush());
    return answered;
  }

  /** Writes the open group now (a stop does not wait for the window). */
  flush(): void {
    if (this.#open.length > 0) this.#flush();
  }

  #flush(): void {
    this.#cancelWindow?.();
    this.#cancelWindow = undefined;
    const group = this.#open;
    this.#open = [];
    void this.#store(group);
  }

  async #store(group: Waiter<R>[]): Promise<void> {
    let outcomes: GroupOutcome[];
    try {
      outcomes = await this.#write(group.map((w) => w.row));
    } catch (err) {
      if (group.length === 1) return group[0].reject(err);
      // One row the database refused fails the whole statement: each event alone, so the others
      // are stored and only that one is answered with its error.
      await Promise.all(group.map((w) => this.#store([w])));
      return;
    }
    group.forEach((w, i) => w.resolve(outcomes[i]));
  }

  #notify(): void {
    const waiting = this.#open.length;
    const ready = this.#watchers.filter((w) => w.count <= waiting);
    if (ready.length === 0) return;
    this.#watchers = this.#watchers.filter((w) => w.count > waiting);
    for (const w of ready) w.resolve();
  }
}
