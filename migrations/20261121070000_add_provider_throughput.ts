import type { Knex } from 'knex';

/** A per-provider throughput cap (messages per second), counted in one-second windows shared by every worker. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('provider_configs', (t) => {
    t.integer('max_per_second');
  });
  await knex.schema.createTable('provider_rate_windows', (t) => {
    t.uuid('provider_config_id').notNullable().references('id').inTable('provider_configs').onDelete('CASCADE');
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.integer('count').notNullable();
    t.primary(['provider_config_id', 'window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('provider_rate_windows');
  await knex.schema.alterTable('provider_configs', (t) => {
    t.dropColumn('max_per_second');
  });
}
