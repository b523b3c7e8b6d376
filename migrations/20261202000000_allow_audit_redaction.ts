import type { Knex } from 'knex';

/**
 * The audit trail stays append-only, with one exception: erasing a subscriber redacts the entries
 * that name them (an opt-out they made is recorded with `subscriber:<id>` as its actor). Inside the
 * erasure's transaction `clarion.redacting` is on, and then an update may change who and what an
 * entry names and its summary, never what happened, to which kind of thing, or when. The setting
 * guards against mistakes, not against someone who can run SQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function audit_logs_append_only() returns trigger language plpgsql as $$
    begin
      if current_setting('clarion.redacting', true) = 'on'
         and (new.id, new.tenant_id, new.action, new.target_type, new.created_at)
             is not distinct from (old.id, old.tenant_id, old.action, old.target_type, old.created_at) then
        return new;
      end if;
      raise exception 'audit_logs is append-only';
    end $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function audit_logs_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_logs is append-only';
    end $$;
  `);
}
