import type { Knex } from 'knex';

/**
 * Topics: named audiences a tenant keeps (`PUT /v1/topics/:key`), their members, and the fan-out
 * of an event to a topic, streamed in pages by jobs (`fan_out_topic`), one row per event,
 * workflow and set of topics holding where it is.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('topics', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('name');
    t.text('description');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'key']);
  });

  await knex.schema.createTable('topic_subscriptions', (t) => {
    // Ordered by insertion: a fan-out notifies the members up to the last id it saw when it began.
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('topic_id').notNullable().references('id').inTable('topics').onDelete('CASCADE');
    t.uuid('subscriber_id').notNullable().references('id').inTable('subscribers').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A fan-out pages through a topic's members in subscriber order: this index, no sort.
    t.unique(['tenant_id', 'topic_id', 'subscriber_id']);
    t.index(['tenant_id', 'subscriber_id']);
  });

  await knex.schema.createTable('topic_fan_outs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('event_id').notNullable().references('id').inTable('events').onDelete('CASCADE');
    t.text('workflow_key').notNullable();
    t.specificType('topic_ids', 'uuid[]').notNullable();
    t.specificType('topic_keys', 'text[]').notNullable();
    // External ids that get nothing from the topics: the event's own recipients (they had theirs) and its `exclude` list.
    t.specificType('skip', 'text[]').notNullable().defaultTo('{}');
    // The last topic_subscriptions id when the fan-out began: members who joined later are not notified.
    t.bigInteger('snapshot').notNullable();
    // A large topic is fanned out by several streams at once, each over its range of subscriber
    // ids (exclusive from, inclusive to; null: unbounded); the last subscriber id of the last page
    // done (pages go in subscriber id order).
    t.uuid('range_from');
    t.uuid('range_to');
    t.uuid('cursor');
    t.text('status').notNullable().defaultTo('running').checkIn(['running', 'done', 'cancelled']);
    t.integer('pages').notNullable().defaultTo(0);
    t.integer('notifications').notNullable().defaultTo(0);
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.index(['event_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('topic_fan_outs');
  await knex.schema.dropTableIfExists('topic_subscriptions');
  await knex.schema.dropTableIfExists('topics');
}
