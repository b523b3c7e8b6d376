import type { Knex } from 'knex';

/**
 * What the pipeline plugins keep: deduplication keys, frequency-cap hits and the escalation state
 * of a notification. The digests (open batches and the notification that delivered them) were
 * made here too, until the digest plugin took its table into its own folder
 * (plugins/digest/migrations/20261121060500_add_digests.ts, which leaves a database migrated
 * before then as it is).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dedup_keys', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('key').notNullable();
    // The notification that claimed the key; repeats inside the window point back to it.
    t.uuid('notification_id').notNullable();
    t.timestamp('first_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'key']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('rate_limit_hits', (t) => {
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('subscriber_id').notNullable().references('id').inTable('subscribers').onDelete('CASCADE');
    t.text('channel').notNullable();
    t.uuid('notification_id').notNullable();
    // Injected-clock time the message counts at (its deferral time when it was deferred).
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'subscriber_id', 'channel', 'at']);
  });

  await knex.schema.alterTable('notifications', (t) => {
    // Escalation: {steps: [{at, channels, recipients, status, firedAt, notifications}], parentId}.
    t.jsonb('escalation');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.dropColumns('escalation');
  });
  await knex.schema.dropTableIfExists('rate_limit_hits');
  await knex.schema.dropTableIfExists('dedup_keys');
}
