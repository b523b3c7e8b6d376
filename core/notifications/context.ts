import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.ts';
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
  /** Rendering, for the items of a digest (their own titles). */
  templates: () => { render(input: RenderInput): Promise<RenderResult> } | undefined;
}
