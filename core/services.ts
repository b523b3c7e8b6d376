import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createOutboundPolicy, type OutboundPolicy } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { AccountService } from './accounts/service.ts';
import { AnalyticsService } from './analytics/service.ts';
import { SingleSignOn } from './accounts/sso.ts';
import { ApiKeyService } from './api-keys/service.ts';
import { CacheInvalidation } from './cache-invalidation.ts';
import type { Config } from './config.ts';
import { pendingMigrations } from './db/database.ts';
import { NotificationQueries } from './db/repositories/views.ts';
import { ProviderService } from './delivery/providers.ts';
import { AdapterRegistry } from './delivery/registry.ts';
import { secretRefPolicy } from './delivery/secret-refs.ts';
import { DeliveryService } from './delivery/service.ts';
import { ContractRegistry, type BundledContract } from './ingest/contracts.ts';
import { EventQueries } from './ingest/events.ts';
import { IngestService } from './ingest/service.ts';
import { backgroundTimers, systemClock, systemRandom, systemTimers, type Clock, type Random, type Timers } from './kernel/clock.ts';
import { configureMetrics } from './metrics.ts';
import { MonitoringService } from './monitoring/service.ts';
import { NotificationService } from './notifications/service.ts';
import { PipelineRunner } from './pipeline/runner.ts';
import { PreferenceService } from './preferences/service.ts';
import { InboxService } from './realtime/service.ts';
import { SubscriberService } from './subscribers/service.ts';
import { TemplateService } from './templates/service.ts';
import { TenantService, findTenant } from './tenants.ts';
import { ScheduleService } from './schedules/service.ts';
import { TopicService } from './topics/service.ts';
import { WebhookService } from './webhooks/service.ts';
import { WorkflowAuthoring } from './workflows/authoring.ts';
import { BUNDLED_DIR, WorkflowService } from './workflows/service.ts';

/** Everything the gateway and the worker share, built once per process. */
export interface Services {
  config: Config;
  knex: Knex;
  log: Logger;
  clock: Clock;
  contracts: ContractRegistry;
  ingest: IngestService;
  events: EventQueries;
  adapters: AdapterRegistry;
  providers: ProviderService;
  subscribers: SubscriberService;
  workflows: WorkflowService;
  /** Saving a workflow with its checks and inline templates, in one transaction (core/workflows/authoring.ts). */
  workflowAuthoring: WorkflowAuthoring;
  pipeline: PipelineRunner;
  /** The notification stage: fan-out, plugin decisions, digests, escalation (core/notifications). */
  notifications: NotificationService;
  /** The delivery stage: sends, retries, failover, fallback, receipts, dead letters (core/delivery). */
  delivery: DeliveryService;
  /** Read views of notifications, deliveries, attempts, the outbox and the audit trail. */
  views: NotificationQueries;
  /** Outgoing webhooks: endpoints, signed CloudEvents, delivery, replay (core/webhooks). */
  webhooks: WebhookService;
  /** Templates: rendering for deliveries, versions, layouts, preview (core/templates). */
  templates: TemplateService;
  /** Preferences at every scope, signed links (unsubscribe, acknowledge), acknowledgements (core/preferences). */
  preferences: PreferenceService;
  /** The operator's outbound network policy: every connection made for a tenant goes through it. */
  outbound: OutboundPolicy;
  /** API keys: bearer keys resolved to their tenant (cached), and their lifecycle (core/api-keys). */
  apiKeys: ApiKeyService;
  /**
   * The configuration caches of this process and the LISTEN connection that drops their entries
   * when any process announces a change (core/cache-invalidation.ts). The runtime starts it.
   */
  invalidation: CacheInvalidation;
  /** The in-app inbox as subscribers see it: browser authentication, feed, stream, presence (core/realtime). */
  inbox: InboxService;
  /** Topics: named audiences and their members (core/topics). */
  topics: TopicService;
  /** Recurring schedules that emit events at their times (core/schedules). */
  schedules: ScheduleService;
  /** Tenants and their settings (core/tenants.ts). */
  tenants: TenantService;
  /** Console users, roles, sessions, invitations and password resets (core/accounts). */
  accounts: AccountService;
  /** The console's single sign-on with OpenID Connect, per tenant (core/accounts/sso.ts). */
  sso: SingleSignOn;
  /** A tenant's figures over time for the console's dashboard (core/monitoring). */
  monitoring: MonitoringService;
  /** Engagement (tracking pixel and redirect, interactions) and analytics figures (core/analytics). */
  analytics: AnalyticsService;
  /** The database as operations see it: reachable, schema current (`/readyz`). */
  database: { pendingMigrations(): Promise<string[]> };
  /** Loads adapters and plugins (once); call before serving or working. */
  ready(): Promise<void>;
}

export function createServices(config: Config, knex: Knex, log: Logger, clock: Clock = systemClock, random: Random = systemRandom, timers?: Timers): Services {
  configureMetrics({ tenantLabels: config.metricsTenantLabels });
  const invalidation = new CacheInvalidation({ ttlMs: config.cacheTtlMs, log });
  const workflows = new WorkflowService(knex, invalidation);
  const contracts = new ContractRegistry(knex, bundledContracts(workflows), invalidation);
  const adapters = new AdapterRegistry();
  const pipeline = new PipelineRunner();
  const secretKey = () => {
    if (!config.secretKey) throw new Error('CLARION_SECRET_KEY is not available to this process');
    return config.secretKey;
  };
  const outbound = createOutboundPolicy({ allowPrivate: config.outboundAllowPrivate, allowList: config.outboundAllowList });
  const providers = new ProviderService(knex, adapters, secretKey, { secretRefs: secretRefPolicy(config.secretRefs), outbound, caches: invalidation });
  const subscribers = new SubscriberService(knex, workflows);
  const events = new EventQueries(knex);
  const webhooks = new WebhookService({ knex, config, clock, log, outbound, caches: invalidation });
  const templates = new TemplateService({ knex, log: log.child({ component: 'templates' }), clock, publicUrl: config.publicUrl, contracts, events, caches: invalidation });
  const preferences = new PreferenceService({ knex, config, clock, workflows, webhooks: () => webhooks, caches: invalidation });
  const inbox = new InboxService({ knex, config, clock, timers: timers ?? backgroundTimers, log: log.child({ component: 'inbox' }), workflows, webhooks: () => webhooks, caches: invalidation });
  // The two stages share no code but the status module; the delivery stage asks the notification
  // stage (and so the plugin that made it, such as a digest) for a notification's template data
  // through this wiring.
  // An erasure reaches the tables of plugins with state through their erase hooks.
  subscribers.pluginErasure = (trx, input) => pipeline.erase(trx, input);
  const notifications = new NotificationService({
    knex, log: log.child({ component: 'notifications' }), clock, workflows, subscribers, pipeline,
    preferences: () => preferences, webhooks: () => webhooks, templates: () => templates, topicPageSize: config.topicPageSize, topicStreams: config.topicStreams,
    presence: (db, tenantId, subscriberId) => inbox.presence.of(db, tenantId, subscriberId),
  });
  const delivery = new DeliveryService({
    config, knex, log: log.child({ component: 'delivery' }), clock, random, adapters, providers, subscribers, workflows, outbound,
    policy: { schedules: config.retrySchedules, scale: config.retryScale, maxDelayMs: config.retryMaxMs, fallbackAfterMs: config.fallbackAfterMs, random },
    templates: () => templates, webhooks: () => webhooks, preferences: () => preferences,
    templateData: (notification, input) => notifications.templateData(notification, input),
  });
  const ingest = new IngestService(knex, contracts, log.child({ component: 'ingest' }), {
    windowMs: config.ingestGroupWindowMs, maxEvents: config.ingestGroupMax, maxQueued: config.ingestQueueMax,
  }, clock, timers ?? systemTimers, { outbound, timeoutMs: config.attachmentFetchTimeoutMs });
  let loading: Promise<void> | undefined;
  const services: Services = {
    config,
    knex,
    log,
    clock,
    contracts,
    ingest,
    events,
    adapters,
    providers,
    subscribers,
    workflows,
    workflowAuthoring: new WorkflowAuthoring({ knex, workflows, pipeline, templates: () => templates }),
    pipeline,
    notifications,
    delivery,
    views: new NotificationQueries(knex),
    preferences,
    inbox,
    tenants: new TenantService(knex, { retentionMaxDays: config.retentionMaxDays }),
    accounts: new AccountService({ knex, clock, sessionTtlMs: config.adminSessionTtlMs }),
    sso: new SingleSignOn({ knex, clock, outbound, secretKey }),
    monitoring: new MonitoringService(knex, clock),
    topics: new TopicService(knex),
    analytics: new AnalyticsService({ knex, config, clock, log, webhooks: () => webhooks, pluginRetention: (db, input) => pipeline.expire(db, input) }),
    schedules: new ScheduleService({ knex, clock, ingest, log: log.child({ component: 'schedules' }) }),
    database: { pendingMigrations: () => pendingMigrations(knex) },
    outbound,
    apiKeys: new ApiKeyService(knex, invalidation),
    invalidation,
    webhooks,
    templates,
    ready: () =>
      (loading ??= (async () => {
        await adapters.load(config.adapterPackages, log);
        await pipeline.load(log);
      })()),
  };
  // An endpoint that gets disabled is news for the tenant's admins, told through Clarion itself:
  // an event of its own, which the bundled `webhook.endpoint_disabled` workflow (or the tenant's
  // own workflow for that type) turns into notifications for team "admins".
  services.webhooks.onEndpointDisabled = async (endpoint) => {
    const tenant = await findTenant(knex, endpoint.tenantId);
    if (!tenant) return;
    const disabledAt = endpoint.disabledAt ?? clock.now().toISOString();
    await services.ingest.ingest(tenant, 'structured', [
      {
        specversion: '1.0',
        id: `endpoint-disabled:${endpoint.id}:${disabledAt}`,
        source: 'clarion://webhooks',
        type: 'io.clarion.webhook.endpoint_disabled',
        subject: endpoint.id,
        time: disabledAt,
        extensions: {},
        data: {
          recipients: ['team:admins'],
          endpoint: { id: endpoint.id, url: endpoint.url, description: endpoint.description },
          reason: endpoint.disabledReason ?? 'it kept failing',
          disabledAt,
        },
      },
    ]);
  };
  return services;
}

/** The `schema.json` of each bundled workflow, as the default contract of its trigger type. */
function bundledContracts(workflows: WorkflowService): Map<string, BundledContract> {
  const contracts = new Map<string, BundledContract>();
  for (const [key, definition] of workflows.bundled()) {
    const file = path.join(BUNDLED_DIR, key, 'schema.json');
    if (existsSync(file)) contracts.set(definition.trigger, { workflow: key, schema: JSON.parse(readFileSync(file, 'utf8')) });
  }
  return contracts;
}
