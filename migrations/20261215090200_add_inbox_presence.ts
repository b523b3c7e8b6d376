import type { Knex } from 'knex';

/**
 * Presence (core/realtime/presence.ts): which gateway process holds open inbox streams of a
 * subscriber. Each process refreshes its rows; a row not refreshed for the presence TTL belongs to
 * a process that died, and counts for nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inbox_presence', (t) => {
    t.uuid('subscriber_id').notNullable().references('id').inTable('subscribers').onDelete('CASCADE');
    t.text('process_id').notNullable();
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.integer('connections').notNullable();
    t.timestamp('connected_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.primary(['subscriber_id', 'process_id']);
    t.index(['process_id']);
    t.index(['last_seen_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('inbox_presence');
}
