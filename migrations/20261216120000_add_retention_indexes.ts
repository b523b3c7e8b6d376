import type { Knex } from 'knex';

/**
 * Retention (core/analytics/retention.ts) deletes each tenant's webhook messages older than its
 * window in small batches: this index finds them without scanning the table (the other tables it
 * prunes are already indexed by tenant and time, or reached through their parent).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index if not exists webhook_messages_tenant_created_idx on webhook_messages (tenant_id, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists webhook_messages_tenant_created_idx');
}
