import type { Knex } from 'knex';

/**
 * Engagement: one `interactions` row per open, click, dismiss, reply or action a recipient makes
 * (the tracking pixel and redirect of emails, providers' open, click and read events, in-app
 * actions), tied to its notification and delivery. The first genuine open and click are kept on
 * the delivery and the notification (`opened_at`, `clicked_at`) for the API and the analytics.
 * Personal data (user agent, truncated IP) lives only here, and goes with the subscriber.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('interactions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('notification_id').notNullable().references('id').inTable('notifications').onDelete('CASCADE');
    t.uuid('delivery_id').references('id').inTable('deliveries').onDelete('CASCADE');
    t.text('kind').notNullable().checkIn(['open', 'click', 'dismiss', 'reply', 'action'], 'interactions_kind_values');
    // Null for an interaction no channel carried (an acknowledgement through the API).
    t.text('channel');
    // How Clarion learnt of it: its own pixel or redirect, a provider's event, the API, the inbox.
    t.text('source').notNullable().checkIn(['pixel', 'redirect', 'provider', 'api', 'inbox'], 'interactions_source_values');
    t.text('adapter');
    // A click's target; an action's name (acknowledge, a button's action).
    t.text('link');
    t.text('action');
    t.text('user_agent');
    // Truncated to its /24 (IPv4) or /48 (IPv6) before it is stored.
    t.specificType('ip', 'inet');
    // A machine fetched it, not the person: Apple Mail Privacy Protection preloading images, a
    // link scanner's HEAD, a provider's machine-open flag. Kept, but not counted as engagement.
    t.boolean('prefetch').notNullable().defaultTo(false);
    // The provider's id of the event: a provider resending its webhook records nothing twice.
    t.text('provider_event_id');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'notification_id']);
    t.index(['tenant_id', 'occurred_at']);
    t.index(['delivery_id']);
  });
  await knex.raw('create unique index interactions_provider_event_idx on interactions (tenant_id, adapter, provider_event_id) where provider_event_id is not null');
  for (const table of ['notifications', 'deliveries']) {
    await knex.schema.alterTable(table, (t) => {
      t.timestamp('opened_at', { useTz: true });
      t.timestamp('clicked_at', { useTz: true });
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['notifications', 'deliveries']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumns('opened_at', 'clicked_at');
    });
  }
  await knex.schema.dropTableIfExists('interactions');
}
