import type { Knex } from 'knex';
import { currentTraceparent } from '../tracing.ts';

export interface JobSpec {
  task: string;
  /** A SQL expression over the row `i` of the source (e.g. `json_build_object('id', i.id)`). */
  payload: string;
  maxAttempts: number;
  /** graphile-worker's priority: lower runs first; 0 by default. */
  priority?: number;
  /** A SQL expression over `i` for when the job is due (null: now). */
  runAt?: string;
}

/**
 * The CTE `queued` of a statement: one job per row of the CTE named `source`, all through one
 * `graphile_worker.add_jobs` call (it costs about as much as one `add_job` whatever the number of
 * rows; none is made for no rows). Reference `queued` in the statement's final SELECT, or it is
 * never run.
 */
export function queuedCte(source: string, job: JobSpec): { sql: string; bindings: Knex.RawBinding[] } {
  // With tracing on, each job carries the active trace's traceparent (see tasks.ts `traced`).
  const traceparent = currentTraceparent();
  const payload = traceparent ? `((${job.payload})::jsonb || jsonb_build_object('traceparent', ?::text))::json` : job.payload;
  return {
    sql: `queued as (
       select count(*) from (
         select array_agg(row(?, ${payload}, null, ${job.runAt ?? 'null'}, ?, null, ?, null)::graphile_worker.job_spec) as specs from ${source} i
       ) s cross join lateral graphile_worker.add_jobs(s.specs) where s.specs is not null
     )`,
    bindings: [job.task, ...(traceparent ? [traceparent] : []), job.maxAttempts, job.priority ?? 0],
  };
}

/**
 * Inserts rows and queues one job per inserted row, in one statement (atomic on its own, and
 * inside the caller's transaction when `db` is one): a job exists exactly when its row does.
 * `insert` must return the columns the payload uses. Rows the insert skips (on conflict) get no
 * job. `before`: another write to run first in the same statement (say, the parent row the
 * inserted rows reference: foreign keys are checked at the end of the statement).
 */
export async function insertQueued<R>(db: Knex, insert: Knex.QueryBuilder, job: JobSpec & { before?: Knex.QueryBuilder }): Promise<R[]> {
  const queued = queuedCte('inserted', job);
  const { rows } = await db.raw(
    `with ${job.before ? 'before as (?), ' : ''}inserted as (?), ${queued.sql}
     select inserted.* from inserted cross join queued`,
    [...(job.before ? [job.before] : []), insert, ...queued.bindings],
  );
  return rows as R[];
}
