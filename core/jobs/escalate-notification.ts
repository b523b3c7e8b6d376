import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { escalateNotificationPayload } from './payloads.ts';

const check = payloadChecker('escalate_notification', escalateNotificationPayload);

/** One escalation step is due: it fires unless the notification was acknowledged. */
export function escalateNotification(services: Services): Task {
  return async (payload) => {
    const { notificationId, tenantId, step } = check(payload);
    await services.notifications.escalateNotification(notificationId, tenantId, step);
  };
}
