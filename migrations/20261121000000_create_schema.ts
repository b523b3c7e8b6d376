import type { Knex } from 'knex';

/**
 * The whole data model of DESIGN.md "Vocabulary and data". Every tenant-owned table carries
 * `tenant_id` with a foreign key, and the indexes follow the lookups the API and the worker make.
 * Later migrations add columns; the shape is here.
 */
export async function up(knex: Knex): Promise<void> {
  const id = (t: Knex.CreateTableBuilder) => t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
  const tenant = (t: Knex.CreateTableBuilder) =>
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
  const stamps = (t: Knex.CreateTableBuilder) => {
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  };

  await knex.schema.createTable('tenants', (t) => {
    id(t);
    t.text('name').notNullable();
    // brand (name, colour, logo URL), default locale, acceptUnvalidatedTypes, inbox secret reference...
    t.jsonb('settings').notNullable().defaultTo('{}');
    stamps(t);
  });

  await knex.schema.createTable('api_keys', (t) => {
    id(t);
    tenant(t);
    t.text('name').notNullable().defaultTo('default');
    // The first characters of the key, shown in lists so a key can be recognised without revealing it.
    t.text('prefix').notNullable();
    // SHA-256 of the whole key: keys are 256-bit random, so a fast hash is enough and lookups stay O(1).
    t.text('key_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['tenant_id']);
  });

  await knex.schema.createTable('admin_users', (t) => {
    id(t);
    tenant(t);
    t.text('email').notNullable();
    t.text('password_hash').notNullable();
    t.text('role').notNullable().checkIn(['owner', 'admin', 'viewer']);
    t.timestamp('last_login_at', { useTz: true });
    stamps(t);
    t.unique(['tenant_id', 'email']);
  });

  await knex.schema.createTable('subscribers', (t) => {
    id(t);
    tenant(t);
    t.text('external_id').notNullable();
    t.text('name');
    t.text('email');
    t.text('phone');
    t.text('locale');
    t.text('timezone');
    t.jsonb('devices').notNullable().defaultTo('[]');
    t.jsonb('chat').notNullable().defaultTo('{}');
    t.specificType('teams', 'text[]').notNullable().defaultTo('{}');
    t.specificType('projects', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('erased_at', { useTz: true });
    stamps(t);
    t.unique(['tenant_id', 'external_id']);
  });
  await knex.raw('create index subscribers_teams_idx on subscribers using gin (teams)');
  await knex.raw('create index subscribers_projects_idx on subscribers using gin (projects)');

  await knex.schema.createTable('contracts', (t) => {
    id(t);
    tenant(t);
    t.text('type').notNullable();
    t.integer('version').notNullable();
    t.jsonb('schema').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'type', 'version']);
  });

  await knex.schema.createTable('events', (t) => {
    id(t);
    tenant(t);
    // CloudEvents attributes, kept whole.
    t.text('ce_id').notNullable();
    t.text('source').notNullable();
    t.text('type').notNullable();
    t.text('specversion').notNullable();
    t.text('subject');
    // Kept as sent (RFC 3339 text), so the event reads back exactly as it came.
    t.text('time');
    t.text('datacontenttype');
    t.text('dataschema');
    t.jsonb('data');
    t.text('data_base64');
    t.jsonb('extensions').notNullable().defaultTo('{}');
    t.integer('contract_version');
    t.text('status').notNullable().defaultTo('received').checkIn(['received', 'processing', 'processed', 'failed']);
    t.text('error');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    // A resent event (same source + id) is a duplicate, never a second notification.
    t.unique(['tenant_id', 'source', 'ce_id']);
    // Cursor pagination: newest first.
    t.index(['tenant_id', 'received_at', 'id']);
    t.index(['tenant_id', 'type']);
  });

  await knex.schema.createTable('workflows', (t) => {
    id(t);
    tenant(t);
    t.text('key').notNullable();
    t.text('trigger').notNullable();
    t.jsonb('definition').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    stamps(t);
    t.unique(['tenant_id', 'key']);
    t.index(['tenant_id', 'trigger']);
  });

  await knex.schema.createTable('templates', (t) => {
    id(t);
    tenant(t);
    t.text('workflow_key').notNullable();
    t.text('channel').notNullable();
    t.text('locale').notNullable();
    t.integer('version').notNullable();
    t.jsonb('parts').notNullable();
    t.text('status').notNullable().defaultTo('draft').checkIn(['draft', 'published', 'archived']);
    t.timestamp('published_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'workflow_key', 'channel', 'locale', 'version']);
  });
  // At most one published version per template.
  await knex.raw(
    "create unique index templates_one_published_idx on templates (tenant_id, workflow_key, channel, locale) where status = 'published'",
  );

  await knex.schema.createTable('notifications', (t) => {
    id(t);
    tenant(t);
    t.uuid('event_id').notNullable().references('id').inTable('events').onDelete('CASCADE');
    t.uuid('subscriber_id').references('id').inTable('subscribers').onDelete('SET NULL');
    t.text('workflow_key').notNullable();
    t.text('priority').notNullable().defaultTo('normal').checkIn(['low', 'normal', 'high', 'critical']);
    t.text('status')
      .notNullable()
      .defaultTo('pending')
      .checkIn(['pending', 'scheduled', 'batched', 'suppressed', 'sent', 'delivered', 'failed', 'seen', 'read', 'acknowledged', 'archived']);
    // Pipeline decisions in order: [{plugin, decision, reason, at, ...}], so anyone can see why.
    t.jsonb('decisions').notNullable().defaultTo('[]');
    t.jsonb('channels').notNullable().defaultTo('[]');
    t.jsonb('content');
    t.timestamp('scheduled_for', { useTz: true });
    t.timestamp('seen_at', { useTz: true });
    t.timestamp('read_at', { useTz: true });
    t.timestamp('acknowledged_at', { useTz: true });
    stamps(t);
    t.index(['event_id']);
    t.index(['tenant_id', 'created_at', 'id']);
    t.index(['tenant_id', 'subscriber_id', 'created_at']);
    t.index(['tenant_id', 'status']);
  });

  await knex.schema.createTable('provider_configs', (t) => {
    id(t);
    tenant(t);
    t.text('channel').notNullable();
    t.text('adapter').notNullable();
    t.text('name');
    // AES-256-GCM under CLARION_SECRET_KEY: {v, iv, tag, data}; never returned in clear.
    t.jsonb('config_encrypted').notNullable();
    t.integer('priority').notNullable().defaultTo(0);
    t.boolean('enabled').notNullable().defaultTo(true);
    stamps(t);
    t.index(['tenant_id', 'channel', 'priority']);
  });

  await knex.schema.createTable('deliveries', (t) => {
    id(t);
    tenant(t);
    t.uuid('notification_id').notNullable().references('id').inTable('notifications').onDelete('CASCADE');
    t.text('channel').notNullable();
    t.uuid('provider_config_id').references('id').inTable('provider_configs').onDelete('SET NULL');
    t.text('adapter');
    t.text('status')
      .notNullable()
      .defaultTo('pending')
      .checkIn(['pending', 'sending', 'retrying', 'sent', 'delivered', 'undelivered', 'bounced', 'read', 'failed', 'dead', 'cancelled']);
    t.integer('attempt_count').notNullable().defaultTo(0);
    t.text('provider_message_id');
    t.text('idempotency_key').notNullable();
    t.text('error_class');
    t.text('error_code');
    t.text('error_message');
    t.timestamp('next_attempt_at', { useTz: true });
    stamps(t);
    t.unique(['tenant_id', 'idempotency_key']);
    t.index(['notification_id']);
    t.index(['tenant_id', 'status', 'created_at']);
    t.index(['adapter', 'provider_message_id']);
  });

  await knex.schema.createTable('delivery_attempts', (t) => {
    id(t);
    tenant(t);
    t.uuid('delivery_id').notNullable().references('id').inTable('deliveries').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.uuid('provider_config_id').references('id').inTable('provider_configs').onDelete('SET NULL');
    t.text('adapter');
    t.text('outcome').notNullable().checkIn(['success', 'transient', 'permanent', 'config', 'circuit_open']);
    t.text('error_code');
    t.text('error_message');
    t.text('provider_message_id');
    t.text('response_excerpt');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('duration_ms').notNullable();
    t.index(['delivery_id', 'attempt']);
  });

  await knex.schema.createTable('preferences', (t) => {
    id(t);
    tenant(t);
    t.text('scope').notNullable().checkIn(['tenant', 'team', 'project', 'subscriber']);
    // tenant id, team id, project id or subscriber external id.
    t.text('scope_id').notNullable();
    // {categories: {orders: {email: false}}, workflows: {...}, quietHours: {...}, digest: {...}}
    t.jsonb('settings').notNullable().defaultTo('{}');
    stamps(t);
    t.unique(['tenant_id', 'scope', 'scope_id']);
  });

  await knex.schema.createTable('webhook_endpoints', (t) => {
    id(t);
    tenant(t);
    t.text('url').notNullable();
    t.text('description');
    t.specificType('event_types', 'text[]');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.text('disabled_reason');
    // Signing secrets encrypted at rest; the previous one keeps signing until previous_secret_expires_at.
    t.jsonb('secret_encrypted').notNullable();
    t.jsonb('previous_secret_encrypted');
    t.timestamp('previous_secret_expires_at', { useTz: true });
    t.timestamp('failing_since', { useTz: true });
    stamps(t);
    t.index(['tenant_id', 'enabled']);
  });

  await knex.schema.createTable('webhook_messages', (t) => {
    id(t);
    tenant(t);
    t.uuid('endpoint_id').notNullable().references('id').inTable('webhook_endpoints').onDelete('CASCADE');
    // Standard Webhooks `webhook-id`: stable across retries and replays.
    t.text('msg_id').notNullable();
    t.text('event_type').notNullable();
    t.jsonb('payload').notNullable();
    t.text('status').notNullable().defaultTo('pending').checkIn(['pending', 'delivered', 'failed', 'retrying']);
    t.integer('attempt_count').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['endpoint_id', 'created_at']);
    t.index(['tenant_id', 'msg_id']);
  });

  await knex.schema.createTable('webhook_attempts', (t) => {
    id(t);
    tenant(t);
    t.uuid('message_id').notNullable().references('id').inTable('webhook_messages').onDelete('CASCADE');
    t.uuid('endpoint_id').notNullable().references('id').inTable('webhook_endpoints').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.integer('status_code');
    t.text('outcome').notNullable();
    t.text('error');
    t.text('response_body');
    t.integer('duration_ms').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('next_retry_at', { useTz: true });
    t.index(['endpoint_id', 'started_at']);
    t.index(['message_id']);
  });

  await knex.schema.createTable('audit_logs', (t) => {
    t.bigIncrements('id').primary();
    tenant(t);
    // `api_key:<id>`, `admin:<id>`, `system`, `cli`.
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('target_type').notNullable();
    t.text('target_id');
    t.jsonb('summary').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'created_at']);
    t.index(['tenant_id', 'target_type', 'target_id']);
  });
  // Append-only: the database itself refuses edits to the audit trail (rows go only with their tenant).
  await knex.raw(`
    create function audit_logs_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_logs is append-only';
    end $$;
    create trigger audit_logs_no_update before update on audit_logs
      for each row execute function audit_logs_append_only();
  `);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_logs',
    'webhook_attempts',
    'webhook_messages',
    'webhook_endpoints',
    'preferences',
    'delivery_attempts',
    'deliveries',
    'provider_configs',
    'notifications',
    'templates',
    'workflows',
    'events',
    'contracts',
    'subscribers',
    'admin_users',
    'api_keys',
    'tenants',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop function if exists audit_logs_append_only()');
}
