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
 * never run. `name`: another name for the CTE (two of them in one statement).
 */
export function queuedCte(source: string, job: JobSpec, name = 'queued'): { sql: string; bindings: Knex.RawBinding[] } {
  // With tracing on, each job carries the active trace's traceparent (see tasks.ts `traced`).
  const traceparent = currentTraceparent();
  const payload = traceparent ? `((${job.payload})::jsonb || jsonb_build_object('traceparent', ?::text))::json` : job.payload;
  return {
    sql: `${name} as (
       select count(*) from (
         select array_agg(row(?, ${payload}, null, ${job.runAt ?? 'null'}, ?, null, ?, null)::graphile_worker.job_spec) as specs from ${source} i
       ) s cross join lateral graphile_worker.add_jobs(s.specs) where s.specs is not null
     )`,
    bindings: [job.task, ...(traceparent ? [traceparent] : []), job.maxAttempts, job.priority ?? 0],
  };
}

export interface BatchJobSpec {
  task: string;
  /** A SQL expression over the row `i` of the source: one entry of a job's array payload. */
  entry: string;
  maxAttempts: number;
  /** Entries of one job at most. */
  batchSize: number;
  /** A SQL expression over `i`: graphile-worker's priority of its job (lower runs first). */
  priority: string;
}

/**
 * The CTE `queued` of a statement: the rows of the CTE `source` as graphile-worker "batch jobs",
 * their array payloads of at most `batchSize` entries, one job per priority and batch, all
 * through one `graphile_worker.add_jobs` call (none for no rows). No job key: a batch is never
 * merged with another statement's (a merge would lock one job row for every writer, and take
 * the retries of a batch already running away). Reference `queued` (or `name`) in the final SELECT.
 */
export function batchQueuedCte(source: string, job: BatchJobSpec, name = 'queued'): { sql: string; bindings: Knex.RawBinding[] } {
  // With tracing on, each entry carries the active trace's traceparent (see tasks.ts `traced`).
  const traceparent = currentTraceparent();
  const entry = traceparent ? `((${job.entry})::jsonb || jsonb_build_object('traceparent', ?::text))` : `(${job.entry})::jsonb`;
  return {
    sql: `${name} as (
       select count(*) from (
         select array_agg(row(?, b.payload, null, null, ?, null, b.priority, null)::graphile_worker.job_spec order by b.priority, b.batch) as specs
           from (
             select e.priority, e.batch, jsonb_agg(e.entry order by e.n)::json as payload
               from (
                 select ${job.priority} as priority, ${entry} as entry, n,
                        (row_number() over (partition by ${job.priority} order by n) - 1) / ? as batch
                   from (select i.*, row_number() over () as n from ${source} i) i
               ) e
              group by e.priority, e.batch
           ) b
       ) s cross join lateral graphile_worker.add_jobs(s.specs) where s.specs is not null
     )`,
    bindings: [job.task, job.maxAttempts, ...(traceparent ? [traceparent] : []), job.batchSize],
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
