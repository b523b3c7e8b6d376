import type { Knex } from 'knex';

/**
 * What the delivery engine needs beyond the base model: the sandbox outbox, the in-app inbox,
 * worker liveness, circuit state per provider, and the delivery chain (fallbacks, providers tried).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox_messages', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('adapter').notNullable();
    t.uuid('provider_config_id');
    t.text('channel').notNullable();
    t.uuid('notification_id');
    t.uuid('delivery_id');
    t.jsonb('recipient').notNullable();
    t.jsonb('content').notNullable();
    t.jsonb('headers');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'created_at']);
  });

  await knex.schema.createTable('inbox_items', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('subscriber_id').notNullable().references('id').inTable('subscribers').onDelete('CASCADE');
    t.uuid('notification_id').references('id').inTable('notifications').onDelete('CASCADE');
    t.text('title');
    t.text('body');
    t.text('url');
    t.jsonb('actions').notNullable().defaultTo('[]');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('seen_at', { useTz: true });
    t.timestamp('read_at', { useTz: true });
    t.timestamp('archived_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'subscriber_id', 'created_at']);
  });

  // graphile-worker leaves a crashed worker's jobs locked for 4 hours; live workers beat here and
  // the jobs of workers that stopped beating are unlocked within a minute.
  await knex.schema.createTable('worker_heartbeats', (t) => {
    t.text('worker_id').primary();
    t.text('process').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.alterTable('provider_configs', (t) => {
    // Last circuit state seen by a worker (closed, open, half_open), for the API and the admin.
    t.text('circuit_state').notNullable().defaultTo('closed');
    t.timestamp('circuit_changed_at', { useTz: true });
    t.text('last_error');
  });

  await knex.schema.alterTable('deliveries', (t) => {
    // The delivery whose permanent failure this one falls back from (another channel).
    t.uuid('fallback_of').references('id').inTable('deliveries').onDelete('SET NULL');
    // Provider configurations already given up on for this delivery (permanent/config errors).
    t.jsonb('providers_tried').notNullable().defaultTo('[]');
    // Attempts made with the current provider (transient retries count here).
    t.integer('provider_attempts').notNullable().defaultTo(0);
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumns('fallback_of', 'providers_tried', 'provider_attempts', 'sent_at', 'delivered_at');
  });
  await knex.schema.alterTable('provider_configs', (t) => {
    t.dropColumns('circuit_state', 'circuit_changed_at', 'last_error');
  });
  await knex.schema.dropTableIfExists('worker_heartbeats');
  await knex.schema.dropTableIfExists('inbox_items');
  await knex.schema.dropTableIfExists('outbox_messages');
}
