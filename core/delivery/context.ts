import type { OutboundPolicy } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { NotificationRow, SubscriberRowShape, TenantShape } from '../db/repositories/rows.ts';
import type { Clock, Random } from '../kernel/clock.ts';
import type { WebhookEmitter } from '../notifications/status.ts';
import type { PreferenceService } from '../preferences/service.ts';
import type { SubscriberService } from '../subscribers/service.ts';
import type { RenderInput, RenderResult } from '../templates/types.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { RetryPolicy } from './policy.ts';
import type { ProviderService } from './providers.ts';
import type { AdapterRegistry } from './registry.ts';

/** What the delivery stage needs from the template service. */
export interface TemplateRenderer {
  render(input: RenderInput): Promise<RenderResult>;
}

/** What the parts of the delivery stage share. */
export interface DeliveryContext {
  config: Config;
  knex: Knex;
  log: Logger;
  clock: Clock;
  random: Random;
  adapters: AdapterRegistry;
  providers: ProviderService;
  subscribers: SubscriberService;
  workflows: WorkflowService;
  /** The operator's outbound network policy: adapters' fetch, agents and sockets go through it. */
  outbound: OutboundPolicy;
  /** The retry schedules and fallback waits (policy.ts), from the configuration. */
  policy: RetryPolicy;
  templates: () => TemplateRenderer | undefined;
  webhooks: () => WebhookEmitter | undefined;
  /** Preferences and signed links (core/preferences); absent: no preferences, no links. */
  preferences: () => PreferenceService | undefined;
  /**
   * Extra template data for a notification (a digest's items), from the notification stage,
   * wired by the composition root: the two stages do not import each other.
   */
  templateData: (notification: NotificationRow, input: { subscriber: SubscriberRowShape; tenant: TenantShape }) => Promise<Record<string, unknown> | undefined>;
}
