import type { Knex } from 'knex';

/**
 * What the outgoing webhook hub keeps beyond the base schema: a per-endpoint rate limit and its
 * scheduling state, when an endpoint was disabled, a message's delivery generation (a replay or a
 * recovery starts a new one, so a late retry of the old one cannot overwrite it) and last error,
 * and why each attempt was made.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    // Messages per second; null: unlimited.
    t.integer('rate_limit').checkBetween([1, 10000], 'webhook_endpoints_rate_limit_range');
    // GCRA "theoretical arrival time": the earliest time the next message may go without exceeding the rate.
    t.timestamp('rate_tat', { useTz: true });
    t.timestamp('disabled_at', { useTz: true });
  });
  await knex.schema.alterTable('webhook_messages', (t) => {
    t.integer('generation').notNullable().defaultTo(1);
    t.text('last_error');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['endpoint_id', 'status']);
  });
  await knex.schema.alterTable('webhook_attempts', (t) => {
    t.text('trigger').notNullable().defaultTo('event').checkIn(['event', 'retry', 'replay', 'recover'], 'webhook_attempts_trigger_values');
    t.boolean('response_truncated').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_attempts', (t) => {
    t.dropChecks(['webhook_attempts_trigger_values']);
    t.dropColumns('trigger', 'response_truncated');
  });
  await knex.schema.alterTable('webhook_messages', (t) => {
    t.dropIndex(['endpoint_id', 'status']);
    t.dropColumns('generation', 'last_error', 'updated_at');
  });
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    t.dropChecks(['webhook_endpoints_rate_limit_range']);
    t.dropColumns('rate_limit', 'rate_tat', 'disabled_at');
  });
}
