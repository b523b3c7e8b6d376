import type { TaskList } from 'graphile-worker';
import type { Services } from '../services.ts';
import { processEvent } from './process-event.ts';

/** The worker's task list: one file per task, job names are snake_case verbs. */
export function taskList(services: Services): TaskList {
  return {
    process_event: processEvent(services),
  };
}
