import type { Knex } from 'knex';

/**
 * What the pipeline plugins keep: deduplication keys, frequency-cap hits, digests (open batches
 * and the notification that delivered them) and the escalation state of a notification.
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

  await knex.schema.createTable('digests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('subscriber_id').notNullable().references('id').inTable('subscribers').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('status').notNullable().defaultTo('open').checkIn(['open', 'sent', 'empty']);
    // The workflow whose templates render the digest (digest.daily by default) and its channels.
    t.text('template').notNullable();
    t.jsonb('channels').notNullable();
    t.timestamp('send_at', { useTz: true }).notNullable();
    // The notification that delivered the digest, once sent.
    t.uuid('notification_id').references('id').inTable('notifications').onDelete('SET NULL');
    // Daily summaries list notifications that were delivered on their own: their ids, in order.
    t.jsonb('item_ids');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.index(['tenant_id', 'subscriber_id', 'created_at']);
    t.index(['notification_id']);
  });
  // One open batch per subscriber and key: later items join it.
  await knex.raw(`create unique index digests_open_idx on digests (tenant_id, subscriber_id, key) where status = 'open'`);

  await knex.schema.alterTable('notifications', (t) => {
    // The digest this notification was absorbed into (status batched).
    t.uuid('digest_id').references('id').inTable('digests').onDelete('SET NULL');
    // Escalation: {steps: [{at, channels, recipients, status, firedAt, notifications}], parentId}.
    t.jsonb('escalation');
    t.index(['digest_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.dropIndex(['digest_id']);
    t.dropColumns('digest_id', 'escalation');
  });
  await knex.schema.dropTableIfExists('digests');
  await knex.schema.dropTableIfExists('rate_limit_hits');
  await knex.schema.dropTableIfExists('dedup_keys');
}
