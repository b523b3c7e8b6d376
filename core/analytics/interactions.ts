import type { Knex } from 'knex';
import { insertInteraction, type NewInteraction, type RecordedInteraction } from '../db/repositories/interactions.ts';

/**
 * Recording an interaction, wherever it comes from (the tracking pixel and redirect, a provider's
 * engagement event, an acknowledgement): the row and the first open or click on its delivery and
 * notification (the repository's one statement), and its signed webhook
 * `io.clarion.interaction.<kind>` in the same transaction.
 */

/** What recording needs from the outgoing webhook hub. */
export interface InteractionEmitter {
  emit(trx: Knex, event: { tenantId: string; type: string; subject?: string; data: Record<string, unknown> }): Promise<number>;
  subscribed(tenantId: string, type: string): Promise<boolean>;
}

export type InteractionTarget = Parameters<typeof insertInteraction>[1];

/**
 * Records one interaction and announces it. `db` may be a transaction (a provider callback's);
 * otherwise a transaction is opened only when an endpoint of the tenant takes the webhook.
 */
export async function recordInteraction(db: Knex, hub: InteractionEmitter | undefined, target: InteractionTarget, interaction: NewInteraction, tenantHint?: string): Promise<RecordedInteraction | undefined> {
  const type = `io.clarion.interaction.${interaction.kind}`;
  const tenantId = target.tenantId ?? tenantHint;
  // Without knowing the tenant beforehand (a pixel names only its delivery), ask inside.
  const announce = hub && (tenantId === undefined || (await hub.subscribed(tenantId, type)));
  const write = async (trx: Knex) => {
    const recorded = await insertInteraction(trx, target, interaction);
    if (recorded && hub && (tenantId !== undefined || (await hub.subscribed(recorded.tenant_id, type)))) {
      await hub.emit(trx, {
        tenantId: recorded.tenant_id,
        type,
        subject: recorded.notification_id,
        data: {
          notificationId: recorded.notification_id,
          interactionId: recorded.id,
          deliveryId: recorded.delivery_id,
          kind: interaction.kind,
          channel: recorded.channel,
          workflow: recorded.workflow_key,
          subscriberId: recorded.external_id,
          source: interaction.source,
          link: interaction.link ?? null,
          action: interaction.action ?? null,
          prefetch: interaction.prefetch,
          first: recorded.first,
          at: interaction.at.toISOString(),
        },
      });
    }
    return recorded;
  };
  const inTransaction = (db as Knex.Transaction).isTransaction === true;
  return announce && !inTransaction ? db.transaction(write) : write(db);
}
