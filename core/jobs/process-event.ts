import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { processEventPayload } from './payloads.ts';

const check = payloadChecker('process_event', processEventPayload);

/**
 * Fans a stored event out to notifications and their deliveries: a lone event, one with
 * `deliverafter` (due then), and jobs queued by older versions; events stored together share
 * `process_events` jobs (./process-events.ts). The same fan-out, for a batch of one.
 */
export function processEvent(services: Services): Task {
  return async (payload) => {
    const { eventId, tenantId, type } = check(payload);
    await services.notifications.processEvent(eventId, tenantId, type);
  };
}
