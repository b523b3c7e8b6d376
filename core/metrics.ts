import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * One Prometheus registry per process, served at `/metrics`. Areas add their own metrics here so
 * names stay unique and documented in one place. Names follow Prometheus' conventions as
 * `promtool check metrics` lints them (test/unit/metrics-names.test.ts).
 */
export const registry = new Registry();
// prom-client's own names already start with process_ or nodejs_: clarion_process_cpu_seconds_total.
collectDefaultMetrics({ register: registry, prefix: 'clarion_' });
// Gauges named _total (a name reserved for counters); each is the sum of its per-type sibling,
// e.g. clarion_nodejs_active_handles{type}, which stays.
for (const name of ['clarion_nodejs_active_handles_total', 'clarion_nodejs_active_requests_total', 'clarion_nodejs_active_resources_total']) registry.removeSingleMetric(name);

/**
 * Series labelled with a tenant's objects (webhook endpoint ids, provider configuration ids) tell
 * whoever scrapes `/metrics` who the tenants are and grow with them, so they are only kept when the
 * operator opts in (CLARION_METRICS_TENANT_LABELS); by default the same metric is aggregated
 * without that label. Each such metric has both forms and exactly one is registered.
 */
let tenantLabels = false;
const tenantScoped: Array<{ name: string; aggregate: Metric | undefined; detailed: Metric }> = [];

/**
 * Applies the configuration to the process's registry (called by createServices; one
 * configuration per process, or the last one applied, in tests).
 */
export function configureMetrics(options: { tenantLabels: boolean }): void {
  tenantLabels = options.tenantLabels;
  for (const metric of tenantScoped) {
    registry.removeSingleMetric(metric.name);
    const active = tenantLabels ? metric.detailed : metric.aggregate;
    if (active) registry.registerMetric(active);
  }
}

type Labels<L extends string> = Partial<Record<L, string | number>>;

interface ScopedConfig<L extends string> {
  name: string;
  /** What the metric counts, by its labels other than the tenant one. */
  help: string;
  labelNames: readonly L[];
  /** The label naming a tenant's object, kept only with CLARION_METRICS_TENANT_LABELS. */
  tenantLabel: L;
}

function scoped<L extends string, M extends Metric>(config: ScopedConfig<L>, make: (help: string, labelNames: L[]) => M): { aggregate: M; detailed: M; strip: (labels: Labels<L>) => Labels<L> } {
  const aggregate = make(config.help, config.labelNames.filter((l) => l !== config.tenantLabel));
  const detailed = make(`${config.help}, and by ${config.tenantLabel} id (CLARION_METRICS_TENANT_LABELS)`, [...config.labelNames]);
  tenantScoped.push({ name: config.name, aggregate, detailed });
  registry.registerMetric(aggregate);
  const strip = (labels: Labels<L>) => {
    const { [config.tenantLabel]: _tenant, ...rest } = labels;
    return rest as Labels<L>;
  };
  return { aggregate, detailed, strip };
}

/** A counter whose tenant label is kept only on opt-in (see `configureMetrics`). */
export class TenantScopedCounter<L extends string> {
  readonly #forms: ReturnType<typeof scoped<L, Counter<L>>>;

  constructor(config: ScopedConfig<L>) {
    this.#forms = scoped(config, (help, labelNames) => new Counter({ name: config.name, help, labelNames, registers: [] }));
  }

  inc(labels: Labels<L>, value?: number): void {
    if (tenantLabels) this.#forms.detailed.inc(labels, value);
    else this.#forms.aggregate.inc(this.#forms.strip(labels), value);
  }

  /** Forgets the series of a tenant's object that is gone (the aggregate keeps its counts). */
  remove(labels: Labels<L>): void {
    if (tenantLabels) this.#forms.detailed.remove(labels);
  }
}

/** A histogram whose tenant label is kept only on opt-in (see `configureMetrics`). */
export class TenantScopedHistogram<L extends string> {
  readonly #forms: ReturnType<typeof scoped<L, Histogram<L>>>;

  constructor(config: ScopedConfig<L> & { buckets: number[] }) {
    this.#forms = scoped(config, (help, labelNames) => new Histogram({ name: config.name, help, labelNames, buckets: config.buckets, registers: [] }));
  }

  observe(labels: Labels<L>, value: number): void {
    if (tenantLabels) this.#forms.detailed.observe(labels, value);
    else this.#forms.aggregate.observe(this.#forms.strip(labels), value);
  }

  remove(labels: Labels<L>): void {
    if (tenantLabels) this.#forms.detailed.remove(labels);
  }
}

export const eventsReceived = new Counter({
  name: 'clarion_events_received_total',
  help: 'CloudEvents accepted at ingest, by outcome (accepted, duplicate)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const amqpMessages = new Counter({
  name: 'clarion_amqp_messages_total',
  help: 'Messages read from the RabbitMQ queue, by outcome (accepted, duplicate, refused: dead-lettered, requeued: tried again later)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

// Outgoing webhooks; per endpoint (the endpoint id as a label) only with CLARION_METRICS_TENANT_LABELS.
export const webhookMessagesQueued = new TenantScopedCounter({
  name: 'clarion_webhook_messages_queued_total',
  help: 'Webhook messages queued (new events, replays, recoveries), by trigger',
  labelNames: ['endpoint', 'trigger'],
  tenantLabel: 'endpoint',
});

export const webhookAttempts = new TenantScopedCounter({
  name: 'clarion_webhook_attempts_total',
  help: 'Webhook delivery attempts, by outcome (success, http_error, redirect, timeout, network_error, blocked)',
  labelNames: ['endpoint', 'outcome'],
  tenantLabel: 'endpoint',
});

export const webhookAttemptDuration = new TenantScopedHistogram({
  name: 'clarion_webhook_attempt_duration_seconds',
  help: 'Duration of webhook delivery attempts until the response status',
  labelNames: ['endpoint'],
  tenantLabel: 'endpoint',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
});

export const webhookMessagesFinished = new TenantScopedCounter({
  name: 'clarion_webhook_messages_finished_total',
  help: 'Webhook messages that reached a final status, by status (delivered, failed)',
  labelNames: ['endpoint', 'status'],
  tenantLabel: 'endpoint',
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

// Circuit breakers: counted by adapter and state; per provider configuration only on opt-in.
const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
const circuits = new Map<string, { adapter: string; state: number }>();

// Implicit providers (the sandbox, in-app) share one id across tenants, so they count once per adapter.
new Gauge({
  name: 'clarion_provider_circuits',
  help: 'Provider circuit breakers of this process, by adapter and state (closed, open, half_open)',
  labelNames: ['adapter', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const counts = new Map<string, number[]>();
    for (const { adapter, state } of circuits.values()) {
      const byState = counts.get(adapter) ?? [0, 0, 0];
      byState[state] = (byState[state] ?? 0) + 1;
      counts.set(adapter, byState);
    }
    for (const [adapter, byState] of counts) CIRCUIT_STATES.forEach((state, i) => this.set({ adapter, state }, byState[i]));
  },
});

const circuitStateByProvider = new Gauge({
  name: 'clarion_circuit_state',
  help: 'Circuit breaker state per provider configuration in this process: 0 closed, 1 open, 2 half-open (CLARION_METRICS_TENANT_LABELS)',
  labelNames: ['provider', 'adapter'] as const,
  registers: [],
});
tenantScoped.push({ name: 'clarion_circuit_state', aggregate: undefined, detailed: circuitStateByProvider });

/** A provider's circuit changed state in this process: 0 closed, 1 open, 2 half-open. */
export const circuitState = {
  set(labels: { provider: string; adapter: string }, value: number): void {
    circuits.set(labels.provider, { adapter: labels.adapter, state: value });
    circuitStateByProvider.set(labels, value);
  },
};

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
      `select j.task_identifier as task,
              case when j.locked_at is not null then 'locked'
                   when j.attempts > 0 and j.attempts < j.max_attempts then 'failing'
                   when j.run_at > now() then 'scheduled'
                   else 'ready' end as state,
              count(*)::int as n
         from graphile_worker.jobs j
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

// In-app inbox streams (core/realtime/hub.ts).
export const inboxConnections = new Gauge({
  name: 'clarion_inbox_connections',
  help: 'Open inbox streams of this gateway process, by transport (ws, sse)',
  labelNames: ['transport'] as const,
  registers: [registry],
});

export const inboxMessages = new Counter({
  name: 'clarion_inbox_messages_total',
  help: 'Messages pushed on inbox streams (changes, ready, reset, heartbeats), by transport',
  labelNames: ['transport'] as const,
  registers: [registry],
});

export const inboxDisconnects = new Counter({
  name: 'clarion_inbox_disconnects_total',
  help: 'Inbox streams ended, by reason (client, slow: more unsent than CLARION_INBOX_MAX_BUFFER_BYTES, heartbeat: no pong, expired: the token, shutdown)',
  labelNames: ['transport', 'reason'] as const,
  registers: [registry],
});
