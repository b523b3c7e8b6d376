import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

const check = payloadChecker<{ notificationId: string; tenantId: string; step: number }>('escalate_notification', {
  type: 'object',
  required: ['notificationId', 'tenantId', 'step'],
  properties: { notificationId: UUID, tenantId: UUID, step: { type: 'integer', minimum: 0, maximum: 20 } },
});

/** One escalation step is due: it fires unless the notification was acknowledged. */
export function escalateNotification(services: Services): Task {
  return async (payload) => {
    const { notificationId, tenantId, step } = check(payload);
    await services.notifications.escalateNotification(notificationId, tenantId, step);
  };
}
