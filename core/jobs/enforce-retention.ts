import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';

/**
 * Crontab, daily: each tenant's rows older than its retention window go, in small batches, and the
 * analytics rollups older than theirs (core/analytics/retention.ts).
 */
export function enforceRetention(services: Services): Task {
  return async () => {
    await services.analytics.enforceRetention();
  };
}

/** graphile-worker crontab line: daily at 03:41 UTC, one at a time (`jobKey`), never backfilled. */
export const RETENTION_CRONTAB = '41 3 * * * enforce_retention ?max=1&jobKey=enforce_retention&jobKeyMode=preserve_run_at';
