import type { Knex } from 'knex';

/**
 * Template versions and tenant layouts.
 * - `templates` gains who saved a version and which version a rollback copied.
 * - A trigger makes published versions immutable in the database itself: once a version has been
 *   published, its content never changes; its status may only move from published to archived
 *   (when another version is published), and it cannot be deleted while its tenant exists.
 * - `template_layouts`: a tenant's own layouts (`{% extends "_layouts/<name>.njk" %}`), which
 *   take the place of the bundled layout of the same name.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('templates', (t) => {
    // `api_key:<id>`, `admin:<id>`, `cli`: who saved this version.
    t.text('created_by');
    // Set on versions made by a rollback: the version whose parts were copied.
    t.integer('based_on_version');
  });

  await knex.raw(`
    create function templates_guard_published() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        -- Rows still go with their tenant (the cascade runs after the tenant row is gone).
        if old.status in ('published', 'archived') and old.published_at is not null
           and exists (select 1 from tenants where id = old.tenant_id) then
          raise exception 'template % % % version % has been published and cannot be deleted',
            old.workflow_key, old.channel, old.locale, old.version using errcode = 'P0001';
        end if;
        return old;
      end if;
      if old.status = 'draft' then
        -- A draft's status may change (published, archived); its content never: every save is a new version.
        if (new.tenant_id, new.workflow_key, new.channel, new.locale, new.version, new.parts, new.created_at, new.created_by, new.based_on_version)
           is distinct from
           (old.tenant_id, old.workflow_key, old.channel, old.locale, old.version, old.parts, old.created_at, old.created_by, old.based_on_version) then
          raise exception 'template versions are immutable: save a new version instead' using errcode = 'P0001';
        end if;
        return new;
      end if;
      -- Published or archived: only published -> archived, and nothing else changes.
      if old.status = 'published' and new.status = 'archived'
         and (new.tenant_id, new.workflow_key, new.channel, new.locale, new.version, new.parts, new.created_at, new.created_by, new.based_on_version, new.published_at)
             is not distinct from
             (old.tenant_id, old.workflow_key, old.channel, old.locale, old.version, old.parts, old.created_at, old.created_by, old.based_on_version, old.published_at) then
        return new;
      end if;
      raise exception 'template % % % version % has been published and is immutable',
        old.workflow_key, old.channel, old.locale, old.version using errcode = 'P0001';
    end $$;
    create trigger templates_published_immutable before update or delete on templates
      for each row execute function templates_guard_published();
  `);

  await knex.schema.createTable('template_layouts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('content').notNullable();
    t.text('updated_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('template_layouts');
  await knex.raw('drop trigger if exists templates_published_immutable on templates');
  await knex.raw('drop function if exists templates_guard_published()');
  await knex.schema.alterTable('templates', (t) => {
    t.dropColumn('based_on_version');
    t.dropColumn('created_by');
  });
}
