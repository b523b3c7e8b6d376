import type { Knex } from 'knex';

/**
 * Recurring schedules (`POST /v1/schedules`): an RRULE or a cron expression in a time zone, and the
 * event each occurrence emits. `next_at` is the next occurrence and `fire_at` when its event is
 * emitted (earlier for schedules in each subscriber's local time); the `fire_schedule` job due then
 * emits it once, under the row's lock, and moves both on.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('schedules', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('name');
    t.text('rrule');
    t.text('cron');
    t.text('timezone').notNullable();
    t.text('start');
    t.boolean('local_time').notNullable().defaultTo(false);
    t.jsonb('event').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('next_at', { useTz: true });
    t.timestamp('fire_at', { useTz: true });
    t.timestamp('last_fired_at', { useTz: true });
    t.uuid('last_event_id');
    t.integer('fired_count').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('schedules');
}
