import type { Channel, Priority } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { Decision, DecisionRecord, PipelinePlugin, ResolvedPreferences } from './types.ts';

/**
 * The plugin host API: what a plugin that keeps state (digest, escalation) may ask of the engine,
 * beside the decision contract of ./types.ts. Such a plugin owns its logic, its tasks and its
 * tables (their migrations in `plugins/<name>/migrations/`); it reaches the engine only through
 * the `PluginHost` it is handed, and the engine reaches its state only through its hooks:
 *
 * - `tasks`: job handlers it owns (graphile-worker tasks, payloads checked by their schema),
 *   queued with `host.enqueue`, optionally on a crontab;
 * - `decided`: its final decision was written (in the notification's transaction): e.g. put the
 *   notification into its batch, or queue the steps of its schedule;
 * - `templateData`: what its own notifications' templates get besides the usual context;
 * - `erase` and `cancel`: a subscriber's erasure and a cancellation reach its tables here, in
 *   their transactions.
 *
 * A plugin reads and writes its own tables, and the columns its migrations add to engine tables,
 * with the `db` it is given; engine rows (notifications, deliveries, events, subscribers) it reads
 * and writes through the host. docs/plugins.md is the authoring guide.
 */

/** An engine notification as a plugin sees it. */
export interface HostNotification {
  id: string;
  tenantId: string;
  eventId: string;
  subscriberId: string | null;
  workflowKey: string;
  priority: Priority;
  status: string;
  channels: Channel[];
  decisions: DecisionRecord[];
  createdAt: Date;
  scheduledFor: Date | null;
  readAt: Date | null;
  acknowledgedAt: Date | null;
  /** The escalation state kept on the notification (the `schedule` decision's steps). */
  escalation: { steps?: HostScheduledStep[]; parentId?: string; step?: number } | null;
}

/** One step of a `schedule` decision as kept on its notification. */
export interface HostScheduledStep {
  step: number;
  at: string;
  channels: Channel[];
  recipients: string[];
  status: 'pending' | 'fired' | 'cancelled';
  unless?: 'read';
  reason?: string;
  firedAt?: string;
  notifications?: string[];
}

export interface HostEvent {
  id: string;
  ceId: string;
  source: string;
  type: string;
  subject: string | null;
  time: string | null;
  data: unknown;
}

export interface HostSubscriber {
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string | null;
  timezone: string | null;
  teams: string[];
  projects: string[];
  data: Record<string, unknown> | null;
}

export interface HostTenant {
  id: string;
  name: string;
  settings: { brand?: Record<string, unknown>; defaultLocale?: string | null } | null;
}

export interface HostEnqueueOptions {
  runAt: Date;
  /** One pending job per key (a second enqueue replaces the first, or keeps its time). */
  jobKey?: string;
  jobKeyMode?: 'replace' | 'preserve_run_at';
}

export interface HostRenderInput {
  tenantId: string;
  workflowKey: string;
  channel: Channel;
  locale?: string | null;
  tenantDefaultLocale?: string | null;
  context: Record<string, unknown>;
}

export interface PluginHost {
  /** The pool: a task opens its own transaction with `host.db.transaction(...)`. */
  db: Knex;
  /** The injected clock: plugins never read the system time. */
  now(): Date;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Queues one of the plugin's own tasks in the caller's transaction (the engine's tasks are not reachable). */
  enqueue(db: Knex, task: string, payload: Record<string, unknown>, options: HostEnqueueOptions): Promise<void>;
  notifications: {
    /** Locks and reads one notification (`for update`), in the caller's transaction. */
    lock(db: Knex, tenantId: string, id: string): Promise<HostNotification | undefined>;
    /** The notifications of the ids, oldest first (those of other tenants are not found). */
    list(db: Knex, tenantId: string, ids: string[]): Promise<HostNotification[]>;
    /** A subscriber's notifications since a time worth summarising (not suppressed or batched, not of the excluded workflow), oldest first. */
    recent(db: Knex, tenantId: string, subscriberId: string, since: Date, options: { excludeWorkflow?: string; limit: number }): Promise<string[]>;
    /**
     * A new notification of the engine with one delivery per channel (the delivery stage takes
     * them from there); returns its id. Its `decisions` say which plugin made it and why.
     */
    create(db: Knex, input: { tenantId: string; eventId: string; subscriberId: string; workflowKey: string; priority: Priority; channels: Channel[]; decisions: DecisionRecord[]; escalation?: HostNotification['escalation'] }): Promise<string>;
    /** Deliveries for more channels of an existing notification (a scheduled step); a deferred one becomes pending. */
    addDeliveries(db: Knex, tenantId: string, notificationId: string, channels: Channel[], options?: { keySuffix?: string }): Promise<void>;
    /** Sets the notification's status (`pending`, `sent`) and clears its scheduled time. */
    setStatus(db: Knex, id: string, status: 'pending' | 'sent'): Promise<void>;
    /** Saves the steps of its `schedule` decision. */
    saveSteps(db: Knex, id: string, escalation: NonNullable<HostNotification['escalation']>, steps: HostScheduledStep[]): Promise<void>;
    /** Whether a notification made for other recipients from this one was acknowledged. */
    childAcknowledged(db: Knex, tenantId: string, id: string): Promise<boolean>;
    /** Announces a notification event to the tenant's webhooks (`io.clarion.*`). */
    emit(db: Knex, tenantId: string, type: string, notificationId: string, data: Record<string, unknown>): Promise<void>;
  };
  events: { get(db: Knex, id: string): Promise<HostEvent | undefined> };
  subscribers: {
    /** The tenant's subscribers that are not erased. */
    active(tenantId: string): Promise<Array<Pick<HostSubscriber, 'id' | 'externalId' | 'teams' | 'projects' | 'timezone'>>>;
    /** Recipients (external ids, `team:<id>`, `project:<id>`) as subscriber rows. */
    resolve(db: Knex, tenantId: string, recipients: string[]): Promise<HostSubscriber[]>;
  };
  /** The subscriber's preferences over every scope. */
  preferences(db: Knex, tenantId: string, subscriber: Pick<HostSubscriber, 'externalId' | 'teams' | 'projects'>): Promise<ResolvedPreferences>;
  /** Tenants with at least one preference row whose settings match a JSON path being `true` (e.g. `digest.daily`). */
  tenantsWithPreference(db: Knex, path: string[]): Promise<string[]>;
  /** Renders a workflow's template on a channel (throws when it has none there). */
  render(input: HostRenderInput): Promise<{ parts: Record<string, string | undefined> }>;
}

/** A job handler a plugin owns: its payload is checked against `payload` before `run` sees it. */
export interface PluginTask<P = Record<string, unknown>> {
  payload: Record<string, unknown>;
  /** What it returns is for its callers (tests, `NotificationService.runPluginTask`); the worker ignores it. */
  run(host: PluginHost, payload: P): Promise<unknown>;
  /** A graphile-worker crontab line's schedule part (`0 * * * *`), when the task also runs on a clock. */
  crontab?: string;
}

export interface PluginHooks {
  /**
   * The plugin's migrations (an absolute directory, `fileURLToPath(new URL('./migrations/', import.meta.url))`).
   * The migrator finds `plugins/<name>/migrations/` by itself (it runs before plugins load); this
   * says the folder is meant.
   */
  migrations?: string;
  /** The tasks it owns, by graphile-worker task name (unique across the engine and every plugin). */
  tasks?: Record<string, PluginTask<never>>;
  /** Its decision was final and the notification written with it (same transaction). */
  decided?(host: PluginHost, db: Knex, input: { tenantId: string; notificationId: string; subscriberId: string; decision: Decision; status: string }): Promise<void>;
  /** For a notification whose first decision is this plugin's: extra template context (merged over the usual one). */
  templateData?(host: PluginHost, input: { notification: HostNotification; subscriber: HostSubscriber; tenant: HostTenant }): Promise<Record<string, unknown> | undefined>;
  /** A subscriber is erased: delete or redact what the plugin keeps of her; returns counts by table (added to the erasure's `deleted`). */
  erase?(db: Knex, input: { tenantId: string; subscriberId: string; notificationIds: Knex.QueryBuilder }): Promise<Record<string, number>>;
  /**
   * Notifications are cancelled (locked, still pending): release what the plugin holds of them,
   * before the engine suppresses them. Returns what it cancelled (`batched`: taken out of a batch).
   */
  cancel?(db: Knex, input: { tenantId: string; notificationIds: string[]; reason: string; now: Date }): Promise<{ batched?: number }>;
  /**
   * Retention (the daily `enforce_retention` job): delete at most `limit` rows of each of its
   * tables that are older than `cutoff` and no longer needed (never what is still pending), in
   * short statements without long locks (`for update skip locked`). Returns counts by table; it
   * is called again while any count reaches `limit`.
   */
  expire?(db: Knex, input: { tenantId: string; cutoff: Date; now: Date; limit: number }): Promise<Record<string, number>>;
}

export type StatefulPlugin<Options = Record<string, unknown>> = PipelinePlugin<Options> & PluginHooks;

export function defineStatefulPlugin<Options>(plugin: StatefulPlugin<Options>): StatefulPlugin<Options> {
  return plugin;
}
