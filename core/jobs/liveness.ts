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
