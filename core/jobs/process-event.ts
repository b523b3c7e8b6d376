import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

export interface ProcessEventPayload {
  eventId: string;
  tenantId: string;
  /** The event's type (jobs queued by older versions lack it). */
  type?: string;
}

const check = payloadChecker<ProcessEventPayload>('process_event', {
  type: 'object',
  required: ['eventId', 'tenantId'],
  properties: { eventId: { type: 'string', minLength: 36, maxLength: 36 }, tenantId: { type: 'string', minLength: 36, maxLength: 36 }, type: { type: 'string', minLength: 1 } },
});

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
