import { setImmediate } from 'node:timers';
import DataLoader from 'dataloader';

/**
 * A DataLoader whose batches take turns: at most `maxInFlight` of its batches run at once, and
 * the loads that arrive while they run gather into the next batch, which starts as soon as one
 * finishes. This is group commit without a timer: an idle loader runs a load at the next turn of
 * the event loop, as a plain DataLoader does, and a busy one writes more per statement the slower
 * the database answers, instead of queueing one statement (and one commit) per caller behind the
 * others. Every caller still awaits the batch that holds its key.
 *
 * Nothing is cached: a key loaded twice is read (or written) twice.
 */
export function pacedLoader<K, V>(
  batch: (keys: readonly K[]) => Promise<ArrayLike<V | Error>>,
  options: { maxBatchSize: number; maxInFlight: number },
): DataLoader<K, V> {
  let running = 0;
  const waiting: Array<() => void> = [];
  const start = (run: () => void) => {
    running++;
    setImmediate(run);
  };
  return new DataLoader<K, V>(
    async (keys) => {
      try {
        return await batch(keys);
      } finally {
        running--;
        const next = waiting.shift();
        if (next) start(next);
      }
    },
    {
      cache: false,
      maxBatchSize: options.maxBatchSize,
      batchScheduleFn: (run) => (running < options.maxInFlight ? start(run) : waiting.push(run)),
    },
  );
}
