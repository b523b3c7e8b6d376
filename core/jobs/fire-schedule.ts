import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { fireSchedulePayload } from './payloads.ts';

const check = payloadChecker('fire_schedule', fireSchedulePayload);

/** One occurrence of a schedule is due: its event is emitted once, and the next occurrence queued. */
export function fireSchedule(services: Services): Task {
  return async (payload) => {
    const { scheduleId, tenantId, occurrence } = check(payload);
    await services.schedules.fire(scheduleId, tenantId, occurrence);
  };
}
