import type { Knex } from 'knex';

/**
 * The tenant's inbox secret: subscribers' browsers authenticate with an HMAC of their id under it
 * (the subscriber hash) or with a short-lived token signed with it (core/realtime/auth.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    // Sealed (core/crypto.ts) under CLARION_SECRET_KEY; created on first use, replaced on rotation.
    t.jsonb('inbox_secret');
    t.timestamp('inbox_secret_rotated_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumns('inbox_secret', 'inbox_secret_rotated_at');
  });
}
