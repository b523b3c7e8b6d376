import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.ts';
import type { PluginHost } from '../pipeline/host.ts';
import type { PipelineRunner } from '../pipeline/runner.ts';
import type { PreferenceService } from '../preferences/service.ts';
import type { SubscriberService } from '../subscribers/service.ts';
import type { RenderInput, RenderResult } from '../templates/types.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { WebhookEmitter } from './status.ts';

/** What the parts of the notification stage share. */
export interface NotificationsContext {
  knex: Knex;
  log: Logger;
  clock: Clock;
  workflows: WorkflowService;
  subscribers: SubscriberService;
  pipeline: PipelineRunner;
  /** Preferences at every scope (core/preferences); absent: nobody has any. */
  preferences: () => PreferenceService | undefined;
  /** The outgoing webhook hub. */
  webhooks: () => WebhookEmitter | undefined;
  /** Members per page of a topic fan-out (`CLARION_TOPIC_PAGE_SIZE`). */
  topicPageSize: number;
  /** Streams fanning a large topic out at once (`CLARION_TOPIC_STREAMS`). */
  topicStreams: number;
  /** Whether a subscriber has an open in-app stream (core/realtime presence), for the `presence` plugin; absent: nobody is online. */
  presence?: (db: Knex, tenantId: string, subscriberId: string) => Promise<{ online: boolean; connections: number; lastSeenAt: Date | null }>;
  /** Rendering, for plugins (the items of a digest, their own titles). */
  templates: () => { render(input: RenderInput): Promise<RenderResult> } | undefined;
  /** The plugin host (./host.ts), made by NotificationService. */
  host?: PluginHost;
}
