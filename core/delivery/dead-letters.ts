import { audit } from '../db/repositories/audit-log.ts';
import { lockDelivery, scheduleSend, updateDelivery } from '../db/repositories/deliveries.ts';
import { ClarionError } from '../errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { refreshStatus } from '../notifications/status.ts';
import type { DeliveryContext } from './context.ts';

/** Deliveries an admin may send again: those that exhausted their attempts (dead) or failed for good. */
const REQUEUEABLE = ['dead', 'failed'];

/** `POST /v1/deliveries/:id/requeue`: a fresh start (attempts, providers), at once. */
export async function requeue(ctx: DeliveryContext, tenantId: string, deliveryId: string, actor: string): Promise<void> {
  await ctx.knex.transaction(async (trx) => {
    const delivery = isUuid(deliveryId) ? await lockDelivery(trx, tenantId, deliveryId) : undefined;
    if (!delivery) throw new ClarionError('CLARION_ERR_DELIVERY_NOT_FOUND', `No delivery ${deliveryId}`);
    if (!REQUEUEABLE.includes(delivery.status)) {
      throw new ClarionError('CLARION_ERR_DELIVERY_NOT_REQUEUEABLE', `Delivery ${deliveryId} is ${delivery.status}: only dead or failed deliveries can be requeued`);
    }
    await updateDelivery(trx, deliveryId, { status: 'pending', provider_attempts: 0, providers_tried: [], next_attempt_at: null, failing_since: null });
    await scheduleSend(trx, { tenantId, deliveryId, runAt: ctx.clock.now() });
    await audit(trx, tenantId, actor, 'delivery.requeued', deliveryId, { from: delivery.status }, 'delivery');
    await refreshStatus(trx, delivery.notification_id, ctx.webhooks());
  });
}
