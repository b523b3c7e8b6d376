import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';

/** Crontab, hourly: daily summaries for the subscribers whose local summary hour it is. */
export function sendDailySummaries(services: Services): Task {
  return async () => {
    await services.notifications.dailySummaries();
  };
}

/** graphile-worker crontab line (UTC, every hour on the hour; local hours are matched per subscriber). */
export const DAILY_SUMMARY_CRONTAB = '0 * * * * send_daily_summaries ?max=1';
