import type { Knex } from 'knex';

/**
 * The inbox as subscribers read it (core/realtime/feed.ts): what an item is filed under (its
 * workflow, category and tags, for filters and counts), snoozing, the action taken, and the
 * per-subscriber change log with its counter: every write to an inbox is a numbered change, which
 * the stream pushes and a reconnecting client resumes from.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbox_items', (t) => {
    t.text('workflow_key');
    t.text('category');
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('snoozed_until', { useTz: true });
    // The list is ordered by this: the item's arrival, or the time it came back from a snooze.
    t.timestamp('surfaced_at', { useTz: true });
    t.text('action_key');
    t.timestamp('action_at', { useTz: true });
  });
  await knex.raw('update inbox_items set surfaced_at = created_at');
  await knex.raw('alter table inbox_items alter column surfaced_at set not null, alter column surfaced_at set default now()');
  await knex.raw('create index inbox_items_feed_idx on inbox_items (tenant_id, subscriber_id, surfaced_at desc, id desc)');
  // Counting a subscriber's unread items reads only those.
  await knex.raw('create index inbox_items_unread_idx on inbox_items (tenant_id, subscriber_id) where read_at is null and archived_at is null and snoozed_until is null');
  await knex.raw('create index inbox_items_notification_idx on inbox_items (notification_id)');

  // The last change number of each subscriber's inbox. Every write to an inbox locks this row
  // first, so a subscriber's changes commit in the order of their numbers: a cursor never skips
  // a change that commits later with a smaller number.
  await knex.schema.createTable('inbox_cursors', (t) => {
    t.uuid('subscriber_id').primary().references('id').inTable('subscribers').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.bigInteger('seq').notNullable().defaultTo(0);
  });

  // What changed in each inbox, in order: what a reconnecting stream replays after its cursor.
  await knex.schema.createTable('inbox_changes', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('subscriber_id').notNullable().references('id').inTable('subscribers').onDelete('CASCADE');
    t.bigInteger('seq').notNullable();
    t.jsonb('change').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['subscriber_id', 'seq']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('inbox_changes');
  await knex.schema.dropTableIfExists('inbox_cursors');
  await knex.raw('drop index if exists inbox_items_notification_idx');
  await knex.raw('drop index if exists inbox_items_unread_idx');
  await knex.raw('drop index if exists inbox_items_feed_idx');
  await knex.schema.alterTable('inbox_items', (t) => {
    t.dropColumns('workflow_key', 'category', 'tags', 'snoozed_until', 'surfaced_at', 'action_key', 'action_at');
  });
}
