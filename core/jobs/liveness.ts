import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { Logger } from 'pino';

/**
 * graphile-worker leaves the jobs of a crashed worker locked for 4 hours. Each worker beats in
 * `worker_heartbeats`; any worker may sweep: jobs locked by a worker that stopped beating (or
 * never beat) for `deadAfterMs` are unlocked, so another worker picks them up within a minute.
 * Only graphile-worker's public API is used: the `graphile_worker.jobs` view to find the locks,
 * `graphile_worker.force_unlock_workers` to release them (jobs and job queues alike).
 */
export async function heartbeat(knex: Knex, workerIds: string[], now: Date): Promise<void> {
  if (workerIds.length === 0) return;
  const process = `${hostname()}:${globalThis.process.pid}`;
  await knex('worker_heartbeats')
    .insert(workerIds.map((id) => ({ worker_id: id, process, started_at: now, last_seen_at: now })))
    .onConflict('worker_id')
    .merge({ last_seen_at: now });
}

export async function forgetWorkers(knex: Knex, workerIds: string[]): Promise<void> {
  if (workerIds.length > 0) await knex('worker_heartbeats').whereIn('worker_id', workerIds).delete();
}

/** Unlocks the jobs of dead workers; returns the worker ids it found dead. */
export async function sweepDeadWorkers(knex: Knex, now: Date, deadAfterMs: number, log: Logger): Promise<string[]> {
  const cutoff = new Date(now.getTime() - deadAfterMs);
  const { rows } = await knex.raw(
    `select distinct j.locked_by as worker_id
       from graphile_worker.jobs j
       left join worker_heartbeats h on h.worker_id = j.locked_by
      where j.locked_by is not null
        and j.locked_at < ?
        and (h.worker_id is null or h.last_seen_at < ?)`,
    [cutoff, cutoff],
  );
  const dead = (rows as Array<{ worker_id: string }>).map((r) => r.worker_id);
  if (dead.length === 0) return [];
  await knex.transaction(async (trx) => {
    // WorkerUtils.forceUnlockWorkers runs this same function; in SQL it shares the transaction
    // that forgets the dead workers' heartbeats.
    await trx.raw(`select graphile_worker.force_unlock_workers(?::text[])`, [dead]);
    await trx('worker_heartbeats').whereIn('worker_id', dead).delete();
  });
  log.warn({ workers: dead }, 'unlocked the jobs of dead workers');
  return dead;
}

/**
 * Unlocks every job (and job queue) these workers hold, at once: for workers this process knows
 * have stopped (its own, at stop or after its runner ended), not for another process's.
 */
export async function releaseWorkers(knex: Knex, workerIds: string[]): Promise<void> {
  if (workerIds.length > 0) await knex.raw(`select graphile_worker.force_unlock_workers(?::text[])`, [workerIds]);
}

/**
 * Whether this process may judge other workers dead. After a database outage every worker's beats
 * stopped at once, and each needs a while to be heard again: a process that has not itself been
 * beating without a break for a whole dead-after period would take a live worker for a dead one,
 * unlock its jobs, and have them run a second time beside the first.
 */
export class SweepGate {
  readonly #deadAfterMs: number;
  #beatingSince: number | undefined;

  constructor(deadAfterMs: number) {
    this.#deadAfterMs = deadAfterMs;
  }

  /** Records a heartbeat's outcome at `now`; returns whether a sweep may follow it. */
  beat(ok: boolean, now: Date): boolean {
    if (!ok) {
      this.#beatingSince = undefined;
      return false;
    }
    this.#beatingSince ??= now.getTime();
    return now.getTime() - this.#beatingSince >= this.#deadAfterMs;
  }
}
