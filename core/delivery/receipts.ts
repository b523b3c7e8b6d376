import { announceChange } from '../cache-invalidation.ts';
import type { CallbackApplied, CallbackRequest, CallbackResult, Channel, InboundMessage, StatusUpdate } from '@clarion/adapter-kit';
import { CallbackRejected } from '@clarion/adapter-kit';
import { acknowledge } from '../notifications/status.ts';
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
/** Later states never go back to earlier ones (a late "sent" receipt after "delivered"). */
const RANK: Record<string, number> = { pending: 0, sending: 1, retrying: 1, sent: 2, delivered: 3, undelivered: 3, bounced: 3, failed: 3, read: 4 };

export interface ReceiptEffects {
  updated: number;
  acknowledged: number;
  optOuts: number;
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
  input: { tenantId: string; providerId: string; adapter: string; channel: Channel; result: CallbackResult; now: Date; log: Logger },
): Promise<ReceiptEffects> {
  const { tenantId, adapter, result, now, log } = input;
  const effects: ReceiptEffects = { updated: 0, acknowledged: 0, optOuts: 0, failedDeliveries: [], changedNotifications: [], applied: { acknowledged: [], alreadyAcknowledged: [], unknown: [] } };

  for (const update of result.updates ?? []) {
    const query = trx('deliveries').where({ tenant_id: tenantId }).forUpdate();
    if (update.deliveryId && isUuid(update.deliveryId)) query.where({ id: update.deliveryId });
    else query.where({ adapter, provider_message_id: update.providerMessageId });
    const delivery = await query.first();
    if (!delivery) {
      log.debug({ providerMessageId: update.providerMessageId, adapter }, 'receipt for an unknown message ignored');
      continue;
    }
    const next = RECEIPT_TO_DELIVERY[update.status];
    if (!next || (RANK[next] ?? 0) < (RANK[delivery.status] ?? 0) || next === delivery.status) continue;
    await trx('deliveries')
      .where({ id: delivery.id })
      .update({
        status: next,
        ...(next === 'delivered' ? { delivered_at: update.at ?? now } : {}),
        ...(['undelivered', 'bounced', 'failed'].includes(next) ? { error_class: 'permanent', error_code: update.errorCode ?? update.status, error_message: update.errorMessage ?? `provider reported ${update.status}` } : {}),
        updated_at: trx.fn.now(),
      });
    await audit(trx, tenantId, `provider:${adapter}`, `delivery.${next}`, delivery.id, { providerMessageId: update.providerMessageId, errorCode: update.errorCode ?? null }, 'delivery');
    effects.updated++;
    effects.changedNotifications.push(delivery.notification_id);
    if (['undelivered', 'bounced', 'failed'].includes(next)) effects.failedDeliveries.push({ deliveryId: delivery.id, tenantId });
  }

  for (const inbound of result.inbound ?? []) {
    const subscriber = await subscriberByAddress(trx, tenantId, inbound);
    if (!subscriber) {
      log.info({ channel: inbound.channel, keyword: inbound.keyword }, 'inbound message from an unknown address ignored');
      continue;
    }
    if (inbound.keyword === 'stop' || inbound.keyword === 'start') {
      await setChannelOptOut(trx, tenantId, subscriber.external_id, inbound.channel, inbound.keyword === 'stop');
      await audit(trx, tenantId, `subscriber:${subscriber.external_id}`, inbound.keyword === 'stop' ? 'preference.opted_out' : 'preference.opted_in', subscriber.id, { channel: inbound.channel, via: adapter }, 'subscriber');
      effects.optOuts++;
    } else if (inbound.keyword === 'ack') {
      const latest = await trx('notifications')
        .where({ tenant_id: tenantId, subscriber_id: subscriber.id })
        .whereIn('priority', ['high', 'critical'])
        .whereNull('acknowledged_at')
        .whereNotIn('status', ['suppressed', 'archived'])
        .orderBy('created_at', 'desc')
        .first('id');
      if (latest && (await acknowledge(trx, tenantId, latest.id, `subscriber:${subscriber.external_id}`, `${adapter} reply`, now))) {
        effects.acknowledged++;
        effects.changedNotifications.push(latest.id);
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
      const known = await trx('notifications').where({ tenant_id: tenantId, id: notificationId }).first('acknowledged_at');
      (known?.acknowledged_at ? effects.applied.alreadyAcknowledged : effects.applied.unknown).push(notificationId);
    }
  }
  return effects;
}

async function subscriberByAddress(trx: Knex, tenantId: string, inbound: InboundMessage) {
  const from = inbound.from.replace(/^whatsapp:/, '');
  const column = inbound.channel === 'email' ? 'email' : 'phone';
  return trx('subscribers').where({ tenant_id: tenantId, [column]: from }).whereNull('erased_at').orderBy('updated_at', 'desc').first('id', 'external_id');
}

/** A subscriber-scope preference turning a whole channel off (or on again). */
export async function setChannelOptOut(trx: Knex, tenantId: string, externalId: string, channel: Channel, optOut: boolean): Promise<void> {
  const patch = JSON.stringify({ channels: { [channel]: !optOut } });
  await trx.raw(
    `insert into preferences (tenant_id, scope, scope_id, settings) values (?, 'subscriber', ?, ?::jsonb)
     on conflict (tenant_id, scope, scope_id) do update
       set settings = jsonb_set(preferences.settings, '{channels}', coalesce(preferences.settings->'channels', '{}'::jsonb) || (excluded.settings->'channels')),
           updated_at = now()`,
    [tenantId, externalId, patch],
  );
  await announceChange(trx, 'preferences', tenantId);
}

export function rejected(err: unknown): ClarionError | undefined {
  if (err instanceof CallbackRejected) {
    return new ClarionError(err.status === 401 ? 'CLARION_ERR_CALLBACK_UNSIGNED' : 'CLARION_ERR_CALLBACK_FORGED', err.message);
  }
  return undefined;
}

export type { CallbackRequest };
