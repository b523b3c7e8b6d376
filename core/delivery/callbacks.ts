import type { CallbackRequest, CallbackResponse, CallbackResult } from '@clarion/adapter-kit';
import { getDelivery, insertDeliveries } from '../db/repositories/deliveries.ts';
import { getNotification } from '../db/repositories/notifications.ts';
import { ClarionError } from '../errors.ts';
import { emitNotification, refreshStatus } from '../notifications/status.ts';
import { fallbackChannels } from './attempts.ts';
import type { DeliveryContext } from './context.ts';
import { applyCallback, rejected } from './receipts.ts';
import type { Senders } from './senders.ts';

/**
 * `POST|GET /v1/providers/:adapter/callbacks/:providerId`: the adapter verifies the callback
 * (CallbackRejected otherwise: 401/403, nothing applied), then its receipts, inbound keywords and
 * acknowledgements apply (receipts.ts): a delivery the provider reports failed falls back like a
 * failed attempt; the answer may depend on what was applied (a voice keypress).
 */
export async function handleCallback(ctx: DeliveryContext, senders: Senders, adapterName: string, providerId: string, request: CallbackRequest): Promise<CallbackResponse | undefined> {
  const { knex, clock, log } = ctx;
  const provider = await ctx.providers.record({ id: providerId, adapter: adapterName });
  if (!provider) throw new ClarionError('CLARION_ERR_CALLBACK_UNSUPPORTED', `No ${adapterName} provider ${providerId}`);
  const sender = await senders.of(provider);
  if (!sender.parseCallback) throw new ClarionError('CLARION_ERR_CALLBACK_UNSUPPORTED', `Adapter ${adapterName} takes no callbacks`);
  let result: CallbackResult;
  try {
    result = await sender.parseCallback(request);
  } catch (err) {
    const refusal = rejected(err);
    if (refusal) {
      log.warn({ adapter: adapterName, providerId, reason: (err as Error).message }, 'provider callback refused');
      throw refusal;
    }
    throw err;
  }
  const effects = await knex.transaction(async (trx) => {
    const effects = await applyCallback(trx, { tenantId: provider.tenantId, providerId, adapter: adapterName, channel: provider.channel, result, now: clock.now(), log, subscribers: ctx.subscribers, webhooks: ctx.webhooks() });
    for (const failed of effects.failedDeliveries) {
      const delivery = (await getDelivery(trx, failed.deliveryId))!;
      const notification = (await getNotification(trx, delivery.notification_id))!;
      const workflow = await ctx.workflows.get(failed.tenantId, notification.workflow_key).catch(() => undefined);
      const fallbacks = fallbackChannels(workflow, notification, delivery.channel);
      if (fallbacks.length > 0) await insertDeliveries(trx, { tenantId: failed.tenantId, notificationId: delivery.notification_id, channels: fallbacks, fallbackOf: delivery.id });
    }
    for (const id of new Set(effects.changedNotifications)) await refreshStatus(trx, id, ctx.webhooks());
    for (const id of new Set(effects.changedNotifications)) {
      const n = await getNotification(trx, id);
      if (n?.status === 'acknowledged') await emitNotification(ctx.webhooks(), trx, n.tenant_id, 'io.clarion.notification.acknowledged', id, { workflow: n.workflow_key, via: adapterName });
    }
    return effects;
  });
  // An SMS STOP wrote a preference: the next fan-out must see it here at once.
  if (effects.optOuts > 0) ctx.preferences()?.forget(provider.tenantId);
  return typeof result.response === 'function' ? result.response(effects.applied) : result.response;
}
