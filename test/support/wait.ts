import type { Runner } from 'graphile-worker';

/**
 * Waits until `check` holds, re-checking after each job the worker finishes (event-driven: no
 * sleeping, no polling on a timer). The test's own timeout bounds it.
 */
export function untilJobs<T>(runner: Runner, check: () => Promise<T | undefined | false>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let busy = false;
    let again = false;
    let done = false;
    const evaluate = async () => {
      if (done) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const value = await check();
          if (value && !done) {
            done = true;
            runner.events.off('job:complete', evaluate);
            resolve(value);
            return;
          }
        } while (again && !done);
      } catch (err) {
        done = true;
        runner.events.off('job:complete', evaluate);
        reject(err);
      } finally {
        busy = false;
      }
    };
    // Listen first, then check: a job finishing during the first check is not missed.
    runner.events.on('job:complete', evaluate);
    void evaluate();
  });
}
