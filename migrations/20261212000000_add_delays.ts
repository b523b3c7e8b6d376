import type { Knex } from 'knex';

/**
 * Future delivery at ingest: an event carrying `deliverafter` (an RFC 3339 time) is stored at once
 * and fanned out at that time (its `process_event` job is due then).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.timestamp('deliver_after', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropColumn('deliver_after');
  });
}
