import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const check = payloadChecker<{ notificationId: string; tenantId: string }>('dispatch_notification', {
  type: 'object',
  required: ['notificationId', 'tenantId'],
  properties: { notificationId: { type: 'string', minLength: 36, maxLength: 36 }, tenantId: { type: 'string', minLength: 36, maxLength: 36 } },
});

/** A deferred notification (quiet hours, send windows) is due: create its deliveries. */
export function dispatchNotification(services: Services): Task {
  return async (payload) => {
    const { notificationId, tenantId } = check(payload);
    await services.notifications.dispatchNotification(notificationId, tenantId);
  };
}
