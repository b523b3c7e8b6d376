import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../kernel/clock.ts';
import type { AnalyticsContext, PluginRetention } from './context.ts';
import { toCsv } from './csv.ts';
import type { InteractionEmitter } from './interactions.ts';
import { parseQuery, runQuery, type AnalyticsAnswer } from './queries.ts';
import { enforceRetention, type RetentionReport } from './retention.ts';
import { fold, rebuild } from './rollups.ts';
import { trackClick, trackOpen, trackOpenCall, type TrackedRequest } from './tracking.ts';

export interface AnalyticsServiceOptions {
  knex: Knex;
  config: Config;
  clock: Clock;
  log: Logger;
  webhooks: () => InteractionEmitter | undefined;
  /** Retention of the plugins' own tables; none by default. */
  pluginRetention?: PluginRetention;
}

/**
 * Engagement and analytics: the tracking pixel and redirect of emails, interactions, and the
 * figures answered from rollups. The gateway's routes and the jobs call this facade.
 */
export class AnalyticsService {
  readonly #ctx: AnalyticsContext;

  constructor(options: AnalyticsServiceOptions) {
    this.#ctx = { knex: options.knex, config: options.config, clock: options.clock, log: options.log.child({ component: 'analytics' }), webhooks: options.webhooks, pluginRetention: options.pluginRetention ?? (async () => ({})) };
  }

  /** `GET /v1/track/open/{token}`: records the open (400 for a token Clarion did not sign). */
  trackOpen(token: string, request: TrackedRequest): Promise<void> {
    return trackOpen(this.#ctx, token, request);
  }

  /** `POST /v1/track/open/{token}`: a push notification opened, as its app or service worker says (400 for a token Clarion did not sign). */
  trackOpenCall(token: string, request: TrackedRequest): Promise<void> {
    return trackOpenCall(this.#ctx, token, request);
  }

  /** `GET /v1/track/click/{token}`: records the click and returns the signed target to redirect to. */
  trackClick(token: string, request: TrackedRequest): Promise<string> {
    return trackClick(this.#ctx, token, request);
  }

  /** `GET /v1/analytics`: the tenant's figures for the query string's range, interval, groups and filters (400 naming bad parameters). */
  query(tenantId: string, query: Record<string, unknown>): Promise<AnalyticsAnswer> {
    return runQuery(this.#ctx.knex, tenantId, parseQuery(query, this.#ctx.clock.now()));
  }

  /** The same figures as CSV, one row per bucket and group. */
  async queryCsv(tenantId: string, query: Record<string, unknown>): Promise<string> {
    return toCsv(await this.query(tenantId, query));
  }

  /** Moves pending deltas into the rollups (the `fold_analytics` job, every minute); returns how many. */
  async fold(): Promise<number> {
    const moved = await fold(this.#ctx.knex);
    if (moved > 0) this.#ctx.log.debug({ moved }, 'analytics deltas folded');
    return moved;
  }

  /** Deletes what each tenant keeps no longer, in small batches (the daily `enforce_retention` job): see retention.ts. */
  async enforceRetention(): Promise<RetentionReport> {
    const report = await enforceRetention(this.#ctx);
    this.#ctx.log.info({ tenants: report.tenants, deleted: report.deleted }, 'retention enforced');
    return report;
  }

  /** Counts a range of raw history into the rollups again (their range must be empty). */
  rebuild(from: Date | '-infinity', to: Date | 'infinity'): Promise<number> {
    return rebuild(this.#ctx.knex, from, to);
  }
}
