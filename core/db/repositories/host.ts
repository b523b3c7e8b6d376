import type { OutboundMessage } from '@clarion/adapter-kit';
import type { Knex } from 'knex';

/**
 * What adapters may write through Clarion's host (adapter-kit `AdapterHost`): the in-app inbox
 * and the sandbox's outbox.
 */

/**
 * One in-app message in the subscriber's inbox; returns its id. A message with a correlation key
 * updates the subscriber's item of that key in place (new content, unread again, the latest
 * notification) rather than stacking another.
 */
export async function putInboxItem(db: Knex, subscriberId: string, message: OutboundMessage): Promise<string> {
  const fields = {
    notification_id: message.notificationId,
    title: message.content.title ?? null,
    body: message.content.body ?? message.content.text ?? null,
    url: message.content.url ?? null,
    actions: JSON.stringify(message.content.actions ?? []),
    data: JSON.stringify(message.content.data ?? {}),
  };
  const insert = db('inbox_items').insert({ tenant_id: message.tenantId, subscriber_id: subscriberId, ...fields, ...(message.correlationKey ? { correlation_key: message.correlationKey } : {}) });
  const [row] = message.correlationKey
    ? await insert
      .onConflict(db.raw('(tenant_id, subscriber_id, correlation_key) where correlation_key is not null'))
      .merge({ ...fields, seen_at: null, read_at: null, archived_at: null, updated_at: db.fn.now() })
      .returning('id')
    : await insert.returning('id');
  return row.id;
}

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
