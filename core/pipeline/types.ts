import type { Channel, Priority } from '@clarion/adapter-kit';
import type { Knex } from 'knex';

/**
 * The pipeline plugin contract (DESIGN.md "Extension points"). A plugin looks at one notification
 * and returns a decision; it never throws to steer the flow and never calls an adapter. Plugins
 * live in `plugins/<name>/index.ts` and are enabled per workflow through `"plugins": {...}`.
 */
export type JSONSchema = Record<string, unknown>;

export interface NotificationContext {
  tenantId: string;
  /**
   * The id the notification will have. Its row is written once the chain has decided (with the
   * decisions, in the same transaction): a plugin may store the id beside its own rows, but finds
   * no `notifications` row for it yet.
   */
  notificationId: string;
  workflow: { key: string; category?: string; priority: Priority; required: boolean; trigger: string };
  event: { id: string; ceId: string; source: string; type: string; subject?: string; time?: string; data: unknown };
  subscriber: {
    id: string;
    externalId: string;
    locale: string | null;
    timezone: string | null;
    teams: string[];
    projects: string[];
  };
  /** The channel plan so far (a plugin may narrow or reorder it). */
  channels: Channel[];
  /** Decisions of the plugins that ran before this one. */
  decisions: DecisionRecord[];
  /** Injected clock: plugins never read the system time themselves. */
  now: Date;
  /** The transaction the notification is created in: plugins read (and may write their own rows) here. */
  db: Knex;
  /** The subscriber's preferences over every scope (tenant, teams, projects, own), loaded on first call. */
  preferences?: () => Promise<ResolvedPreferences>;
  /**
   * Whether the subscriber has an in-app stream open now, on any gateway (presence), read on
   * call. Absent where no inbox runs: treat the subscriber as offline.
   */
  presence?: () => Promise<{ online: boolean; connections: number; lastSeenAt: Date | null }>;
}

export type PreferenceScope = 'tenant' | 'team' | 'project' | 'subscriber';

/** Local quiet hours: `start`/`end` as HH:mm, ISO weekdays (1 = Monday) the window starts on. */
export interface QuietHours {
  enabled?: boolean;
  start: string;
  end: string;
  days?: number[];
  /** IANA zone; default the subscriber's time zone, else UTC. */
  timezone?: string;
}

/** A rule for a category or a workflow: `enabled` for all its channels, or per channel. */
export type PreferenceRule = { enabled?: boolean } & Partial<Record<Channel, boolean>>;

/** The `settings` of one preference row (any scope). */
export interface PreferenceSettings {
  channels?: Partial<Record<Channel, boolean>>;
  categories?: Record<string, PreferenceRule>;
  workflows?: Record<string, PreferenceRule>;
  quietHours?: QuietHours | null;
  digest?: { enabled?: boolean; daily?: boolean; hour?: number } | null;
}

export interface PreferenceLayer {
  scope: PreferenceScope;
  scopeId: string;
  settings: PreferenceSettings;
}

/** Where a resolved value came from, so a decision can say why. */
export interface PreferenceSource {
  scope: PreferenceScope;
  scopeId: string;
  /** e.g. `workflows.order.shipped.email`, `categories.orders.enabled`, `channels.sms`. */
  rule: string;
}

export interface ResolvedPreferences {
  /** Most general first: tenant, teams, projects, subscriber. */
  layers: PreferenceLayer[];
  /** Whether the subscriber wants this workflow on this channel; undefined when no scope says. */
  channel(channel: Channel, workflow: { key: string; category?: string }): { enabled: boolean | undefined; source?: PreferenceSource };
  /** The most specific quiet hours (a scope may switch inherited ones off with `null` or `enabled: false`). */
  quietHours(): { rule: QuietHours; source: PreferenceSource } | undefined;
  digest(): { value: NonNullable<PreferenceSettings['digest']>; source: PreferenceSource } | undefined;
}

export type Decision =
  | { decision: 'continue'; channels?: Channel[]; reason?: string; details?: Record<string, unknown> }
  | { decision: 'suppress'; reason: string; details?: Record<string, unknown> }
  | { decision: 'defer'; until: Date; reason: string; details?: Record<string, unknown> }
  | { decision: 'batch'; key: string; until: Date; reason?: string; details?: Record<string, unknown> }
  | { decision: 'schedule'; steps: ScheduledStep[]; reason?: string; details?: Record<string, unknown> };

/**
 * One step of a `schedule` decision: its channels at its time, to the subscriber or to other
 * recipients. Every step is cancelled once the notification is acknowledged. `unless: 'read'`
 * also cancels the step if, when its time comes, the notification was read (its in-app copy, or
 * a read receipt): "send this later only if still unread".
 */
export interface ScheduledStep {
  at: Date;
  channels: Channel[];
  recipients?: string[];
  unless?: 'read';
}

export type DecisionRecord = Decision & { plugin: string; at: string };

/** What the runner knows before running a chain, for plugins to say they have nothing to decide. */
export interface ChainFacts {
  /** The tenant has preference rows at some scope (opt-outs, quiet hours, digests). */
  tenantHasPreferences: boolean;
}

export interface PipelinePlugin<Options = Record<string, unknown>> {
  name: string;
  /** Plugins this one must run after, when both are enabled. */
  after?: string[];
  /**
   * Runs for every workflow that does not name it (with its defaults). A workflow may turn it off
   * (`false`) only if it is required: the subscribers' choices (opt-outs, quiet hours) apply to
   * everything else whatever the workflow says.
   */
  enabledByDefault?: boolean;
  /**
   * With these options and these facts the plugin would continue with the plan unchanged: the
   * runner may skip it (and the fan-out keep its one-statement path). Absent: it always runs.
   */
  inert?(options: Options, facts: ChainFacts): boolean;
  optionsSchema: JSONSchema;
  /** Options applied when a workflow enables the plugin without giving them. */
  defaults?: Partial<Options>;
  run(ctx: NotificationContext, options: Options): Promise<Decision>;
  /**
   * The channels the plugin may send on besides the workflow's own (escalation steps, a digest's
   * channels), each with its JSON Pointer inside the options and, when another workflow's
   * templates render it, that workflow. A workflow is saved only if each has a template.
   */
  channels?(options: Options): PluginChannel[];
}

export interface PluginChannel {
  channel: Channel;
  /** Inside the plugin's options, e.g. `/steps/1/channels/0`. */
  pointer: string;
  /** The workflow whose templates render it, when not the workflow's own. */
  workflow?: string;
}

export function definePlugin<Options>(plugin: PipelinePlugin<Options>): PipelinePlugin<Options> {
  return plugin;
}
