import type { Knex } from 'knex';

/**
 * Correlation that replaces (`"correlation": {"key": ..., "replace": true}`): a new notification
 * looks up the subscriber's earlier ones of the same key to cancel what they still have pending.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index notifications_correlation on notifications (tenant_id, subscriber_id, correlation_key) where correlation_key is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists notifications_correlation');
}
