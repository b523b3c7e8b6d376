import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../kernel/clock.ts';
import type { InteractionEmitter } from './interactions.ts';

/** What the parts of the analytics module share. */
export interface AnalyticsContext {
  knex: Knex;
  config: Config;
  clock: Clock;
  log: Logger;
  /** The outgoing webhook hub (interactions are announced like status changes). */
  webhooks: () => InteractionEmitter | undefined;
}
