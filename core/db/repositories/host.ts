import type { OutboundMessage } from '@clarion/adapter-kit';
import type { Knex } from 'knex';

/**
 * What adapters may write through Clarion's host (adapter-kit `AdapterHost`): the sandbox's
 * outbox. (The in-app inbox is written by core/realtime/feed.ts, which numbers and announces each
 * new item for the streams.)
 */

/** What the sandbox would have sent; returns the record's id. */
export async function recordOutbox(db: Knex, adapter: string, message: OutboundMessage, providerId: string): Promise<string> {
  const [row] = await db('outbox_messages')
    .insert({
      tenant_id: message.tenantId,
      adapter,
      provider_config_id: providerId.includes(':') ? null : providerId,
      channel: message.channel,
      notification_id: message.notificationId,
      delivery_id: message.deliveryId,
      recipient: JSON.stringify(message.to),
      content: JSON.stringify(message.content),
      headers: message.headers ? JSON.stringify(message.headers) : null,
    })
    .returning('id');
  return row.id;
}
