import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

const check = payloadChecker<{ scheduleId: string; tenantId: string; occurrence: string }>('fire_schedule', {
  type: 'object',
  required: ['scheduleId', 'tenantId', 'occurrence'],
  properties: { scheduleId: UUID, tenantId: UUID, occurrence: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' } },
});

/** One occurrence of a schedule is due: its event is emitted once, and the next occurrence queued. */
export function fireSchedule(services: Services): Task {
  return async (payload) => {
    const { scheduleId, tenantId, occurrence } = check(payload);
    await services.schedules.fire(scheduleId, tenantId, occurrence);
  };
}
