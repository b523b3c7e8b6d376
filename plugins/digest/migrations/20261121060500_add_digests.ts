import type { Knex } from 'knex';

/**
 * The digest plugin's table: open batches of a subscriber's notifications per key, and the
 * notification that delivered each; and the column of a notification saying which batch it was
 * absorbed into (status `batched`).
 *
 * Until the plugin owned its migrations, `migrations/20261121060600_add_pipeline_plugins.ts` made
 * both. On a database migrated before then this migration is new to knex (it runs after that one,
 * as pending migrations do) and finds the table made: it leaves it as it is. On a new database it
 * runs first (its name sorts before), so the schema is the same either way.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('digests')) return;
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
    t.index(['digest_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.dropIndex(['digest_id']);
    t.dropColumns('digest_id');
  });
  await knex.schema.dropTableIfExists('digests');
}
