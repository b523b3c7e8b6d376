import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { sendDeliveryPayload } from './payloads.ts';

const check = payloadChecker('send_delivery', sendDeliveryPayload);

/** One attempt at one delivery; the engine schedules retries, failover and fallbacks itself. */
export function sendDelivery(services: Services): Task {
  return async (payload) => {
    const { deliveryId, tenantId, slot } = check(payload);
    await services.delivery.sendDelivery(deliveryId, tenantId, { slotReserved: slot === true });
  };
}
