import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process, served at `/metrics`. Areas add their own metrics here so
 * names stay unique and documented in one place.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'clarion_process_' });

export const eventsReceived = new Counter({
  name: 'clarion_events_received_total',
  help: 'CloudEvents accepted at ingest, by outcome (accepted, duplicate)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

// Outgoing webhooks, per endpoint (the endpoint id is the label: one series per endpoint).
export const webhookMessagesQueued = new Counter({
  name: 'clarion_webhook_messages_queued_total',
  help: 'Webhook messages queued for an endpoint (new events, replays, recoveries), by endpoint and trigger',
  labelNames: ['endpoint', 'trigger'] as const,
  registers: [registry],
});

export const webhookAttempts = new Counter({
  name: 'clarion_webhook_attempts_total',
  help: 'Webhook delivery attempts, by endpoint and outcome (success, http_error, redirect, timeout, network_error, blocked)',
  labelNames: ['endpoint', 'outcome'] as const,
  registers: [registry],
});

export const webhookAttemptDuration = new Histogram({
  name: 'clarion_webhook_attempt_duration_seconds',
  help: 'Duration of webhook delivery attempts until the response status, by endpoint',
  labelNames: ['endpoint'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
  registers: [registry],
});

export const webhookMessagesFinished = new Counter({
  name: 'clarion_webhook_messages_finished_total',
  help: 'Webhook messages that reached a final status (delivered, failed), by endpoint',
  labelNames: ['endpoint', 'status'] as const,
  registers: [registry],
});

export const webhookEndpointsDisabled = new Counter({
  name: 'clarion_webhook_endpoints_disabled_total',
  help: 'Webhook endpoints disabled automatically, by reason (gone: answered 410; failing: failed for 5 days)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export { Counter, Gauge, Histogram };

export const notificationsTotal = new Counter({
  name: 'clarion_notifications_total',
  help: 'Notification status changes, by status',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const deliveryAttempts = new Counter({
  name: 'clarion_delivery_attempts_total',
  help: 'Provider calls, by channel, adapter and outcome (success, transient, permanent, config, circuit_open)',
  labelNames: ['channel', 'adapter', 'outcome'] as const,
  registers: [registry],
});

export const deliveriesFinished = new Counter({
  name: 'clarion_deliveries_total',
  help: 'Deliveries reaching a final state, by channel, adapter and status (sent, failed, dead)',
  labelNames: ['channel', 'adapter', 'status'] as const,
  registers: [registry],
});

export const attemptSeconds = new Histogram({
  name: 'clarion_delivery_attempt_seconds',
  help: 'Duration of provider calls',
  labelNames: ['channel', 'adapter'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const circuitState = new Gauge({
  name: 'clarion_circuit_state',
  help: 'Circuit breaker state per provider configuration in this process: 0 closed, 1 open, 2 half-open',
  labelNames: ['provider', 'adapter'] as const,
  registers: [registry],
});

let queueSource: Knex | undefined;

/** Reads the queue from this database at every scrape (see `queueDepth`). */
export function observeQueue(knex: Knex): void {
  queueSource = knex;
}

export const queueDepth = new Gauge({
  name: 'clarion_queue_depth',
  help: 'Jobs in the queue by task and state (ready: due now; scheduled: due later; locked: running; failing: retried after errors), read from PostgreSQL at scrape time',
  labelNames: ['task', 'state'] as const,
  registers: [registry],
  async collect() {
    if (!queueSource) return;
    let rows: Array<{ task: string; state: string; n: number }>;
    try {
      ({ rows } = await queueSource.raw(
      `select t.identifier as task,
              case when j.locked_at is not null then 'locked'
                   when j.attempts > 0 and j.attempts < j.max_attempts then 'failing'
                   when j.run_at > now() then 'scheduled'
                   else 'ready' end as state,
              count(*)::int as n
         from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        group by 1, 2`,
      ));
    } catch {
      // The database is unreachable: /metrics still serves everything else (and /readyz says why).
      this.reset();
      return;
    }
    this.reset();
    for (const row of rows) this.set({ task: row.task, state: row.state }, row.n);
  },
});
