import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { processEventPayload } from './payloads.ts';

const check = payloadChecker('process_event', processEventPayload);

/** Fans a stored event out to notifications and their deliveries (one transaction). */
export function processEvent(services: Services): Task {
  return async (payload) => {
    const { eventId, tenantId, type } = check(payload);
    await services.notifications.processEvent(eventId, tenantId, type);
  };
}
