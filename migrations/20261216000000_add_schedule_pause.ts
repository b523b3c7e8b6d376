import type { Knex } from 'knex';

/**
 * Schedules can be paused and changed (`PATCH /v1/schedules/{key}`): `last_occurrence` is the
 * last occurrence handled (emitted or refused), so a changed rule never emits one at or before it
 * again; `paused_at` when it was paused (status `paused`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('schedules', (t) => {
    t.timestamp('last_occurrence', { useTz: true });
    t.timestamp('paused_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('schedules', (t) => {
    t.dropColumn('last_occurrence');
    t.dropColumn('paused_at');
  });
}
