import type { Knex } from 'knex';

/**
 * A cost known after the message went out: a voice call priced per minute costs what it lasted,
 * which the provider reports when the call ends (Twilio's status callback, core/delivery/receipts.ts).
 * The delivery trigger now also counts a cost set on a delivery already sent (once: only when it
 * had none), in the delta of that change, and fires on a change of cost too. The rebuild already
 * counts every sent delivery's cost.
 */

const WHEN = 'old.status is distinct from new.status or old.sent_at is distinct from new.sent_at or old.opened_at is distinct from new.opened_at or old.clicked_at is distinct from new.clicked_at';
const TRIGGER = (when: string) => `
  drop trigger deliveries_analytics_changed on deliveries;
  create trigger deliveries_analytics_changed after update on deliveries for each row
    when (${when})
    execute function clarion_analytics_delivery();
`;

const DELIVERY_TRIGGER = (costLater: boolean) => `
create or replace function clarion_analytics_delivery() returns trigger language plpgsql as $$
declare
  v_sent int := 0; v_delivered int := 0; v_failed int := 0; v_bounced int := 0; v_opened int := 0; v_clicked int := 0; v_finished int := 0; v_attempts int := 0;
  v_sent_bucket smallint; v_delivered_bucket smallint;
  v_workflow text; v_received timestamptz;
  v_cost numeric := 0; v_currency text := '';
begin
  if old.sent_at is null and new.sent_at is not null then
    v_sent := 1; v_finished := 1; v_attempts := new.attempt_count;
    if new.cost is not null and new.currency is not null then v_cost := new.cost; v_currency := new.currency; end if;
  end if;
  ${costLater ? `if old.sent_at is not null and old.cost is null and new.cost is not null and new.currency is not null then v_cost := new.cost; v_currency := new.currency; end if;` : ''}
  if new.status in ('delivered', 'read') and old.status not in ('delivered', 'read') then v_delivered := 1; end if;
  if new.status in ('failed', 'dead', 'undelivered') and old.status not in ('failed', 'dead', 'undelivered', 'bounced', 'cancelled') then
    v_failed := 1;
    if new.sent_at is null then v_finished := 1; v_attempts := new.attempt_count; end if;
  end if;
  if new.status = 'bounced' and old.status <> 'bounced' then v_bounced := 1; end if;
  if old.opened_at is null and new.opened_at is not null then v_opened := 1; end if;
  if old.clicked_at is null and new.clicked_at is not null then v_clicked := 1; end if;
  if v_sent + v_delivered + v_failed + v_bounced + v_opened + v_clicked = 0 and v_currency = '' then return null; end if;
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

export async function up(knex: Knex): Promise<void> {
  await knex.raw(DELIVERY_TRIGGER(true));
  await knex.raw(TRIGGER(`${WHEN} or old.cost is distinct from new.cost`));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(TRIGGER(WHEN));
  await knex.raw(DELIVERY_TRIGGER(false));
}
