import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';

/** Crontab, every minute: the analytics deltas the triggers appended move into the rollups. */
export function foldAnalytics(services: Services): Task {
  return async () => {
    await services.analytics.fold();
  };
}

/** graphile-worker crontab line: every minute, one at a time (`jobKey`), never backfilled. */
export const FOLD_ANALYTICS_CRONTAB = '* * * * * fold_analytics ?max=1&jobKey=fold_analytics&jobKeyMode=preserve_run_at';
