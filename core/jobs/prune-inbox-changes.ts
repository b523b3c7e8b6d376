import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';

/**
 * Crontab, hourly: inbox changes older than CLARION_INBOX_CHANGES_KEEP_HOURS go (a stream that
 * comes back with an older cursor gets `reset` and reloads), and so do the presence rows of
 * gateway processes that died.
 */
export function pruneInboxChanges(services: Services): Task {
  return async () => {
    await services.inbox.prune();
  };
}

export const PRUNE_INBOX_CRONTAB = '17 * * * * prune_inbox_changes ?max=1';
