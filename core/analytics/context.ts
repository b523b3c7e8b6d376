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
  /** Retention of the tables plugins with state own (their expire hooks, core/pipeline/host.ts). */
  pluginRetention: PluginRetention;
}

export type PluginRetention = (db: Knex, input: { tenantId: string; cutoff: Date; now: Date; limit: number }) => Promise<Record<string, number>>;
