import type { Knex } from 'knex';

/**
 * Cost per delivery: a provider configuration may declare its price (`price`: currency and an
 * amount per message, or per segment for SMS), an adapter may report the provider's own price;
 * the delivery keeps what its message cost, and the analytics rollups sum it by currency (the
 * delta of the change that sent it carries the cost).
 */

const DELIVERY_TRIGGER = (withCost: boolean) => `
create or replace function clarion_analytics_delivery() returns trigger language plpgsql as $$
declare
  v_sent int := 0; v_delivered int := 0; v_failed int := 0; v_bounced int := 0; v_opened int := 0; v_clicked int := 0; v_finished int := 0; v_attempts int := 0;
  v_sent_bucket smallint; v_delivered_bucket smallint;
  v_workflow text; v_received timestamptz;
  v_cost numeric := 0; v_currency text := '';
begin
  if old.sent_at is null and new.sent_at is not null then
    v_sent := 1; v_finished := 1; v_attempts := new.attempt_count;
    ${withCost ? `if new.cost is not null and new.currency is not null then v_cost := new.cost; v_currency := new.currency; end if;` : ''}
  end if;
  if new.status in ('delivered', 'read') and old.status not in ('delivered', 'read') then v_delivered := 1; end if;
  if new.status in ('failed', 'dead', 'undelivered') and old.status not in ('failed', 'dead', 'undelivered', 'bounced', 'cancelled') then
    v_failed := 1;
    if new.sent_at is null then v_finished := 1; v_attempts := new.attempt_count; end if;
  end if;
  if new.status = 'bounced' and old.status <> 'bounced' then v_bounced := 1; end if;
  if old.opened_at is null and new.opened_at is not null then v_opened := 1; end if;
  if old.clicked_at is null and new.clicked_at is not null then v_clicked := 1; end if;
  if v_sent + v_delivered + v_failed + v_bounced + v_opened + v_clicked = 0 then return null; end if;
  select n.workflow_key, e.received_at into v_workflow, v_received from notifications n join events e on e.id = n.event_id where n.id = new.notification_id;
  if v_sent = 1 then v_sent_bucket := clarion_latency_bucket(extract(epoch from new.sent_at - v_received) * 1000); end if;
  if v_delivered = 1 and new.delivered_at is not null then v_delivered_bucket := clarion_latency_bucket(extract(epoch from new.delivered_at - v_received) * 1000); end if;
  insert into analytics_deltas (tenant_id, bucket, workflow_key, channel, provider, adapter, variant, locale, currency,
                                sent, delivered, failed, bounced, opened, clicked, finished, attempts, cost, sent_bucket, delivered_bucket)
  values (new.tenant_id, date_trunc('minute', new.created_at, 'UTC'), coalesce(v_workflow, ''), new.channel, coalesce(new.provider_config_id::text, ''), coalesce(new.adapter, ''),
          coalesce(new.variant, ''), coalesce(new.locale, ''), v_currency, v_sent, v_delivered, v_failed, v_bounced, v_opened, v_clicked, v_finished, v_attempts, v_cost, v_sent_bucket, v_delivered_bucket);
  return null;
end $$;
`;

const REBUILD = (withCost: boolean) => `
create or replace function clarion_analytics_rebuild(p_from timestamptz, p_to timestamptz) returns bigint language plpgsql as $$
declare moved bigint;
begin
  insert into analytics_deltas (tenant_id, bucket, workflow_key, channel, provider, adapter, variant, locale, currency, deliveries, sent, delivered, failed, bounced, opened, clicked, finished, attempts, cost, sent_bucket, delivered_bucket)
  select d.tenant_id, date_trunc('minute', d.created_at, 'UTC'), n.workflow_key, d.channel, coalesce(d.provider_config_id::text, ''), coalesce(d.adapter, ''), coalesce(d.variant, ''), coalesce(d.locale, ''),
         ${withCost ? `case when d.sent_at is not null and d.cost is not null then coalesce(d.currency, '') else '' end` : `''`},
         1, (d.sent_at is not null)::int, (d.status in ('delivered', 'read'))::int, (d.status in ('failed', 'dead', 'undelivered'))::int, (d.status = 'bounced')::int,
         (d.opened_at is not null)::int, (d.clicked_at is not null)::int,
         (d.sent_at is not null or d.status in ('failed', 'dead', 'undelivered'))::int,
         case when d.sent_at is not null or d.status in ('failed', 'dead', 'undelivered') then d.attempt_count else 0 end,
         ${withCost ? `case when d.sent_at is not null and d.currency is not null then coalesce(d.cost, 0) else 0 end` : '0'},
         case when d.sent_at is not null then clarion_latency_bucket(extract(epoch from d.sent_at - e.received_at) * 1000) end,
         case when d.status in ('delivered', 'read') and d.delivered_at is not null then clarion_latency_bucket(extract(epoch from d.delivered_at - e.received_at) * 1000) end
    from deliveries d join notifications n on n.id = d.notification_id join events e on e.id = n.event_id
   where d.created_at >= p_from and d.created_at < p_to;
  get diagnostics moved = row_count;
  insert into analytics_deltas (tenant_id, bucket, workflow_key, reason, notifications, suppressed)
  select tenant_id, date_trunc('minute', created_at, 'UTC'), workflow_key,
         case when status = 'suppressed' then coalesce(decisions -> -1 ->> 'reason', 'unknown') else '' end, count(*), count(*) filter (where status = 'suppressed')
    from notifications where created_at >= p_from and created_at < p_to group by 1, 2, 3, 4;
  return moved;
end $$;
`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('provider_configs', (t) => {
    // { currency, perMessage? , perSegment? }: what the tenant pays this provider.
    t.jsonb('price');
  });
  await knex.schema.alterTable('deliveries', (t) => {
    // What the message that went out cost (the provider's own figure, or the configured price).
    t.decimal('cost', 14, 6);
    t.text('currency');
  });
  await knex.raw(DELIVERY_TRIGGER(true));
  await knex.raw(REBUILD(true));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(DELIVERY_TRIGGER(false));
  await knex.raw(REBUILD(false));
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumns('cost', 'currency');
  });
  await knex.schema.alterTable('provider_configs', (t) => {
    t.dropColumn('price');
  });
}
