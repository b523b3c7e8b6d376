import type { CallbackApplied, CallbackRequest, CallbackResult, Channel, StatusUpdate } from '@clarion/adapter-kit';
import { CallbackRejected } from '@clarion/adapter-kit';
import { recordInteraction, type InteractionEmitter } from '../analytics/interactions.ts';
import { callPricing, deliveryForReceipt, latestDeliveryTo, updateDelivery } from '../db/repositories/deliveries.ts';
import { callCost } from './cost.ts';
import type { ProviderPrice } from './providers.ts';
import { getNotification, latestAcknowledgeable } from '../db/repositories/notifications.ts';
import { acknowledge } from '../notifications/status.ts';
import { setChannelOptOut } from '../preferences/service.ts';
import type { SubscriberService } from '../subscribers/service.ts';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ClarionError } from '../errors.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { isUuid } from '../kernel/ids.ts';

/** Delivery statuses a receipt may move a delivery to, and from which ones. */
const RECEIPT_TO_DELIVERY: Partial<Record<StatusUpdate['status'], string>> = {
  delivered: 'delivered',
  undelivered: 'undelivered',
  bounced: 'bounced',
  read: 'read',
  failed: 'failed',
  opened: 'read',
};
/** How far back an inbound message may answer a delivery (30 days). */
const REPLY_WINDOW_MS = 30 * 86_400_000;

/** Later states never go back to earlier ones (a late "sent" receipt after "delivered"). */
const RANK: Record<string, number> = { pending: 0, sending: 1, retrying: 1, sent: 2, delivered: 3, undelivered: 3, bounced: 3, failed: 3, read: 4 };

export interface ReceiptEffects {
  updated: number;
  acknowledged: number;
  optOuts: number;
  /** Inbound messages recorded as replies to a delivery. */
  replies: number;
  /** Provider open, click and read events recorded as interactions. */
  engagements: number;
  failedDeliveries: Array<{ deliveryId: string; tenantId: string }>;
  changedNotifications: string[];
  /** What became of the callback's own acknowledgements (a keypress). */
  applied: CallbackApplied;
}

/**
 * Applies what a verified provider callback says: delivery receipts, inbound keywords (STOP sets
 * an opt-out preference for the channel, ACK/1 acknowledges the sender's latest notification
 * that asks for it) and acknowledgements (a voice keypress). Nothing unverified gets here.
 */
export async function applyCallback(
  trx: Knex,
  input: { tenantId: string; providerId: string; adapter: string; channel: Channel; result: CallbackResult; now: Date; log: Logger; subscribers: Pick<SubscriberService, 'byAddress'>; webhooks?: InteractionEmitter },
): Promise<ReceiptEffects> {
  const { tenantId, adapter, result, now, log, subscribers } = input;
  const effects: ReceiptEffects = { updated: 0, acknowledged: 0, optOuts: 0, replies: 0, engagements: 0, failedDeliveries: [], changedNotifications: [], applied: { acknowledged: [], alreadyAcknowledged: [], unknown: [] } };

  for (const update of result.updates ?? []) {
    const delivery = await deliveryForReceipt(trx, tenantId, { deliveryId: update.deliveryId && isUuid(update.deliveryId) ? update.deliveryId : undefined, adapter, providerMessageId: update.providerMessageId });
    if (!delivery) {
      log.debug({ providerMessageId: update.providerMessageId, adapter }, 'receipt for an unknown message ignored');
      continue;
    }
    // Provider engagement events (SendGrid, Mailgun, SES opens and clicks; read receipts) are
    // interactions like the pixel's and the redirect's: the first sets openedAt/clickedAt and counts
    // in the analytics. One per message and kind (a provider resending the event records it once).
    // An open or click the provider flags as a machine's (Apple MPP, a scanner) is a prefetch, kept
    // under its own key so that the person's later open is still recorded.
    const kind = update.status === 'clicked' ? 'click' : update.status === 'opened' || update.status === 'read' ? 'open' : undefined;
    if (kind) {
      const machine = update.machine === true;
      const recorded = await recordInteraction(trx, input.webhooks, { deliveryId: delivery.id, tenantId }, {
        kind, source: 'provider', adapter, providerEventId: `${update.providerMessageId}:${kind}${machine ? ':machine' : ''}`, prefetch: machine, at: update.at ?? now,
      }, tenantId);
      if (recorded) effects.engagements++;
    }
    // A call priced per minute costs what it lasted, known once it ended (Twilio's CallDuration);
    // charged once, whatever the provider repeats. Unanswered calls report no duration: no cost.
    if (update.durationSeconds !== undefined && delivery.cost === null) {
      const pricing = await callPricing(trx, tenantId, delivery);
      const cost = pricing && callCost(pricing.price as ProviderPrice | null, update.durationSeconds, pricing.phone);
      if (cost) await updateDelivery(trx, delivery.id, { cost: cost.cost, currency: cost.currency });
    }
    // A machine's open says nothing about the person reading it: the delivery stays where it is.
    const next = update.machine === true ? undefined : RECEIPT_TO_DELIVERY[update.status];
    if (!next || (RANK[next] ?? 0) < (RANK[delivery.status] ?? 0) || next === delivery.status) continue;
    await updateDelivery(trx, delivery.id, {
      status: next,
      ...(next === 'delivered' ? { delivered_at: update.at ?? now } : {}),
      ...(['undelivered', 'bounced', 'failed'].includes(next) ? { error_class: 'permanent', error_code: update.errorCode ?? update.status, error_message: update.errorMessage ?? `provider reported ${update.status}` } : {}),
    });
    await audit(trx, tenantId, `provider:${adapter}`, `delivery.${next}`, delivery.id, { providerMessageId: update.providerMessageId, errorCode: update.errorCode ?? null }, 'delivery');
    effects.updated++;
    effects.changedNotifications.push(delivery.notification_id);
    if (['undelivered', 'bounced', 'failed'].includes(next)) effects.failedDeliveries.push({ deliveryId: delivery.id, tenantId });
  }

  for (const inbound of result.inbound ?? []) {
    const subscriber = await subscribers.byAddress(trx, tenantId, inbound.channel === 'email' ? { email: inbound.from } : { phone: inbound.from.replace(/^whatsapp:/, '') });
    if (!subscriber) {
      log.info({ channel: inbound.channel, keyword: inbound.keyword }, 'inbound message from an unknown address ignored');
      continue;
    }
    // Every inbound message is a reply to what the person last got on that channel (its text is
    // not kept: the interaction says that and when they answered, and the keyword it was). Email
    // "inbound" are the providers' unsubscribe and spam reports, not answers.
    const answered = inbound.channel !== 'email' && await latestDeliveryTo(trx, tenantId, subscriber.id, inbound.channel, new Date(now.getTime() - REPLY_WINDOW_MS));
    if (answered) {
      const recorded = await recordInteraction(trx, input.webhooks, { deliveryId: answered, tenantId }, {
        kind: 'reply', source: 'provider', channel: inbound.channel, adapter, action: inbound.keyword ?? null, providerEventId: inbound.providerMessageId ?? null, prefetch: false, at: now,
      }, tenantId);
      if (recorded) effects.replies++;
    }
    if (inbound.keyword === 'stop' || inbound.keyword === 'start') {
      await setChannelOptOut(trx, tenantId, subscriber.external_id, inbound.channel, inbound.keyword === 'stop');
      await audit(trx, tenantId, `subscriber:${subscriber.external_id}`, inbound.keyword === 'stop' ? 'preference.opted_out' : 'preference.opted_in', subscriber.id, { channel: inbound.channel, via: adapter }, 'subscriber');
      effects.optOuts++;
    } else if (inbound.keyword === 'ack') {
      const latest = await latestAcknowledgeable(trx, tenantId, subscriber.id);
      if (latest && (await acknowledge(trx, tenantId, latest, `subscriber:${subscriber.external_id}`, `${adapter} reply`, now))) {
        effects.acknowledged++;
        effects.changedNotifications.push(latest);
      }
    }
  }

  for (const notificationId of result.acknowledgements ?? []) {
    if (!isUuid(notificationId)) {
      effects.applied.unknown.push(notificationId);
      continue;
    }
    if (await acknowledge(trx, tenantId, notificationId, `provider:${adapter}`, `${adapter} keypress`, now)) {
      effects.acknowledged++;
      effects.changedNotifications.push(notificationId);
      effects.applied.acknowledged.push(notificationId);
    } else {
      const known = await getNotification(trx, notificationId);
      (known?.tenant_id === tenantId && known.acknowledged_at ? effects.applied.alreadyAcknowledged : effects.applied.unknown).push(notificationId);
    }
  }
  return effects;
}



export function rejected(err: unknown): ClarionError | undefined {
  if (err instanceof CallbackRejected) {
    return new ClarionError(err.status === 401 ? 'CLARION_ERR_CALLBACK_UNSIGNED' : 'CLARION_ERR_CALLBACK_FORGED', err.message);
  }
  return undefined;
}

export type { CallbackRequest };
