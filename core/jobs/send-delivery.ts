import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const check = payloadChecker<{ deliveryId: string; tenantId: string; slot?: boolean }>('send_delivery', {
  type: 'object',
  required: ['deliveryId', 'tenantId'],
  properties: {
    deliveryId: { type: 'string', minLength: 36, maxLength: 36 },
    tenantId: { type: 'string', minLength: 36, maxLength: 36 },
    // Scheduled for the throughput slot it already holds.
    slot: { type: 'boolean' },
  },
});

/** One attempt at one delivery; the engine schedules retries, failover and fallbacks itself. */
export function sendDelivery(services: Services): Task {
  return async (payload) => {
    const { deliveryId, tenantId, slot } = check(payload);
    await services.delivery.sendDelivery(deliveryId, tenantId, { slotReserved: slot === true });
  };
}
