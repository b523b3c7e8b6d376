import type { Knex } from 'knex';

/**
 * Inserts rows and queues one job per inserted row, in one statement (atomic on its own, and
 * inside the caller's transaction when `db` is one): a job exists exactly when its row does.
 * `payload` is a SQL expression over the inserted row `i` (e.g. `json_build_object('id', i.id)`);
 * `insert` must return the columns it uses. Rows the insert skips (on conflict) get no job.
 * `priority`: graphile-worker's (lower runs first; 0 by default).
 * `before`: another write to run first in the same statement (say, the parent row the inserted
 * rows reference: foreign keys are checked at the end of the statement).
 *
 * One `graphile_worker.add_jobs` call takes every job of the statement: it costs about as much as
 * one `add_job` whatever the number of rows.
 */
export async function insertQueued<R>(
  db: Knex,
  insert: Knex.QueryBuilder,
  job: { task: string; payload: string; maxAttempts: number; priority?: number; before?: Knex.QueryBuilder },
): Promise<R[]> {
  const { rows } = await db.raw(
    `with ${job.before ? 'before as (?), ' : ''}inserted as (?),
     queued as (
       select count(*) from (
         select array_agg(row(?, ${job.payload}, null, null, ?, null, ?, null)::graphile_worker.job_spec) as specs from inserted i
       ) s cross join lateral graphile_worker.add_jobs(s.specs) where s.specs is not null
     )
     select inserted.* from inserted cross join queued`,
    [...(job.before ? [job.before] : []), insert, job.task, job.maxAttempts, job.priority ?? 0],
  );
  return rows as R[];
}
