import type { Knex } from 'knex';

/**
 * Cancellation: an event may carry a cancellation key (the `cancelkey` extension); cancelling an
 * event, or every event of a key, stops what is still pending for it and records why. An event
 * not yet fanned out becomes `cancelled`. And the state of a workflow's steps on each
 * notification (delays, later sends), which a cancellation stops too.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.text('cancel_key');
    t.timestamp('cancelled_at', { useTz: true });
    t.text('cancel_reason');
  });
  await knex.schema.alterTable('notifications', (t) => {
    // A workflow's steps as this notification runs them (delays, later sends, their conditions):
    // {status: running|waiting|done|cancelled, next, until, log: [...]}; null for a workflow without steps.
    t.jsonb('workflow_steps');
  });
  await knex.raw('create index events_cancel_key_idx on events (tenant_id, cancel_key) where cancel_key is not null');
  await knex.raw('alter table events drop constraint if exists events_status_check');
  await knex.raw(`alter table events add constraint events_status_check check (status in ('received', 'processing', 'processed', 'failed', 'cancelled'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update events set status = 'processed' where status = 'cancelled'`);
  await knex.raw('alter table events drop constraint if exists events_status_check');
  await knex.raw(`alter table events add constraint events_status_check check (status in ('received', 'processing', 'processed', 'failed'))`);
  await knex.raw('drop index if exists events_cancel_key_idx');
  await knex.schema.alterTable('notifications', (t) => {
    t.dropColumn('workflow_steps');
  });
  await knex.schema.alterTable('events', (t) => {
    t.dropColumns('cancel_key', 'cancelled_at', 'cancel_reason');
  });
}
