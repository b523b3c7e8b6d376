import type { Knex } from 'knex';

/**
 * Correlation: a workflow may say which field of its events names the thing they are about
 * (`"correlation": {"key": "/data/quoteId"}`). Notifications carry that key, and an in-app item
 * of the same key for the same subscriber is updated in place rather than stacked.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.text('correlation_key');
  });
  await knex.schema.alterTable('inbox_items', (t) => {
    t.text('correlation_key');
    t.timestamp('updated_at', { useTz: true });
  });
  await knex.raw('create unique index inbox_items_correlation on inbox_items (tenant_id, subscriber_id, correlation_key) where correlation_key is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists inbox_items_correlation');
  await knex.schema.alterTable('inbox_items', (t) => {
    t.dropColumn('correlation_key');
    t.dropColumn('updated_at');
  });
  await knex.schema.alterTable('notifications', (t) => {
    t.dropColumn('correlation_key');
  });
}
