import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../kernel/clock.ts';
import type { AnalyticsContext } from './context.ts';
import type { InteractionEmitter } from './interactions.ts';
import { trackClick, trackOpen, type TrackedRequest } from './tracking.ts';

export interface AnalyticsServiceOptions {
  knex: Knex;
  config: Config;
  clock: Clock;
  log: Logger;
  webhooks: () => InteractionEmitter | undefined;
}

/**
 * Engagement and analytics: the tracking pixel and redirect of emails, interactions, and the
 * figures answered from rollups. The gateway's routes and the jobs call this facade.
 */
export class AnalyticsService {
  readonly #ctx: AnalyticsContext;

  constructor(options: AnalyticsServiceOptions) {
    this.#ctx = { knex: options.knex, config: options.config, clock: options.clock, log: options.log.child({ component: 'analytics' }), webhooks: options.webhooks };
  }

  /** `GET /v1/track/open/{token}`: records the open (400 for a token Clarion did not sign). */
  trackOpen(token: string, request: TrackedRequest): Promise<void> {
    return trackOpen(this.#ctx, token, request);
  }

  /** `GET /v1/track/click/{token}`: records the click and returns the signed target to redirect to. */
  trackClick(token: string, request: TrackedRequest): Promise<string> {
    return trackClick(this.#ctx, token, request);
  }
}
