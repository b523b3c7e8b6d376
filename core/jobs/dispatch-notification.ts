import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { dispatchNotificationPayload } from './payloads.ts';

const check = payloadChecker('dispatch_notification', dispatchNotificationPayload);

/** A deferred notification (quiet hours, send windows) is due: create its deliveries. */
export function dispatchNotification(services: Services): Task {
  return async (payload) => {
    const { notificationId, tenantId } = check(payload);
    await services.notifications.dispatchNotification(notificationId, tenantId);
  };
}
