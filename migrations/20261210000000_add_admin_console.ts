import type { Knex } from 'knex';

/**
 * The admin console's accounts: tenant users (owner, admin, editor, viewer) and operator
 * super-admins (no tenant), their sessions, one-time tokens (invitations, password resets) and
 * each tenant's single sign-on (OpenID Connect) settings.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table admin_users alter column tenant_id drop not null;
    alter table admin_users alter column password_hash drop not null;
    alter table admin_users drop constraint if exists admin_users_role_check;
    alter table admin_users add constraint admin_users_role_check
      check (role in ('owner', 'admin', 'editor', 'viewer', 'operator') and ((role = 'operator') = (tenant_id is null)));
    alter table admin_users
      add column name text,
      -- Consecutive failed logins and the lock they earned (doubling after the fifth).
      add column failed_logins integer not null default 0,
      add column locked_until timestamptz,
      add column disabled_at timestamptz,
      -- issuer + subject of the OpenID Connect identity that signs in as this user.
      add column oidc_subject text;
    create unique index admin_users_operator_email on admin_users (email) where tenant_id is null;
    create unique index admin_users_oidc_subject on admin_users (tenant_id, oidc_subject) where oidc_subject is not null;
  `);

  // The dashboard's figures over time, per tenant (core/monitoring).
  await knex.raw('create index deliveries_tenant_created on deliveries (tenant_id, created_at)');
  await knex.raw('create index delivery_attempts_tenant_started on delivery_attempts (tenant_id, started_at)');

  await knex.schema.createTable('admin_sessions', (t) => {
    // SHA-256 of the cookie's random token: a stolen table opens no session.
    t.text('id').primary();
    t.uuid('user_id').notNullable().references('id').inTable('admin_users').onDelete('CASCADE');
    // The tenant the session acts in: the user's own, or the one an operator chose.
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('SET NULL');
    t.text('csrf_token').notNullable();
    t.text('locale');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['user_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('admin_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable().checkIn(['invitation', 'password_reset']);
    t.text('token_hash').notNullable().unique();
    t.uuid('user_id').notNullable().references('id').inTable('admin_users').onDelete('CASCADE');
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.index(['user_id']);
  });

  await knex.schema.createTable('admin_sso', (t) => {
    t.uuid('tenant_id').primary().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('issuer').notNullable();
    t.text('client_id').notNullable();
    // Sealed with CLARION_SECRET_KEY (core/crypto.ts), never shown again.
    t.jsonb('client_secret').notNullable();
    t.text('role_claim').notNullable().defaultTo('role');
    // Claim value -> role, e.g. {"clarion-admins": "admin"}; unmapped values get default_role.
    t.jsonb('role_map').notNullable().defaultTo('{}');
    // null: an identity whose claim maps to no role is refused.
    t.text('default_role');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('admin_sso');
  await knex.schema.dropTableIfExists('admin_tokens');
  await knex.schema.dropTableIfExists('admin_sessions');
  await knex.raw('drop index if exists deliveries_tenant_created; drop index if exists delivery_attempts_tenant_started');
  await knex.raw(`
    drop index if exists admin_users_oidc_subject;
    drop index if exists admin_users_operator_email;
    alter table admin_users drop column name, drop column failed_logins, drop column locked_until, drop column disabled_at, drop column oidc_subject;
    delete from admin_users where tenant_id is null or role = 'editor';
    alter table admin_users drop constraint if exists admin_users_role_check;
    alter table admin_users add constraint admin_users_role_check check (role in ('owner', 'admin', 'viewer'));
    alter table admin_users alter column tenant_id set not null;
  `);
}
