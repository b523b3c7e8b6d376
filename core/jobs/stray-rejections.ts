import type { Logger } from 'pino';

/**
 * graphile-worker (0.17.3 and 0.18.0) leaves one of its own promises rejected with nobody to
 * catch it: when its local queue is being released (the pool stops, e.g. after the database went
 * away) and handing the jobs it fetched ahead back to the database fails, the retry chain throws
 * "Error occurred whilst returning jobs from local queue to database queue" from a `.then` that
 * no one awaits. Node's default for an unhandled rejection is to end the process, so a database
 * restart killed every worker with jobs fetched ahead (found by `npm run chaos`, fault pg-stop).
 *
 * Nothing is lost by ignoring it: those jobs stay locked by the released pool's id, and the
 * runner that replaces it (core/jobs/worker.ts) releases every id of the runner before it, or,
 * if the process dies anyway, the dead-worker sweep of another process does (liveness.ts).
 */
export function isLocalQueueReturnFailure(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('Error occurred whilst returning jobs from local queue to database queue');
}

let holders = 0;
let logger: Logger | undefined;

function onUnhandledRejection(reason: unknown): void {
  if (isLocalQueueReturnFailure(reason)) {
    logger?.warn({ err: { message: (reason as Error).message } }, 'graphile-worker could not hand back the jobs it had fetched ahead: they are released when the runner starts again');
    return;
  }
  // Any other rejection is someone else's: with no other listener Node would end the process,
  // and with this one in place it must still (an uncaught exception, as by default).
  if (process.listenerCount('unhandledRejection') === 1) throw reason;
}

/**
 * Ignores graphile-worker's stray rejection (above), and only that one, while a job worker runs
 * in this process; returns the function that stops ignoring it. One listener for any number of
 * workers in the process.
 */
export function ignoreStrayRejections(log: Logger): () => void {
  logger = log;
  if (holders++ === 0) process.on('unhandledRejection', onUnhandledRejection);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) process.off('unhandledRejection', onUnhandledRejection);
  };
}
