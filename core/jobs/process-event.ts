import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

export interface ProcessEventPayload {
  eventId: string;
  tenantId: string;
}

const check = payloadChecker<ProcessEventPayload>('process_event', {
  type: 'object',
  required: ['eventId', 'tenantId'],
  properties: { eventId: { type: 'string', minLength: 36, maxLength: 36 }, tenantId: { type: 'string', minLength: 36, maxLength: 36 } },
});

/** Fans a stored event out to notifications and their deliveries (one transaction). */
export function processEvent(services: Services): Task {
  return async (payload) => {
    const { eventId, tenantId } = check(payload);
    await services.delivery.processEvent(eventId, tenantId);
  };
}
