import { createOutboundPolicy, type Lookup, type OutboundPolicy } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { localCaches, type CacheFactory } from '../cache-invalidation.ts';
import type { Config } from '../config.ts';
import type { Page } from '../ingest/events.ts';
import type { DeliverJob, WebhookContext } from './context.ts';
import { deliver, type DeliverResult } from './delivery.ts';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from './endpoints.ts';
import { WEBHOOK_EVENT_TYPES } from './event-types.ts';
import { emit, subscribed, endpointStats, getMessage, listAttempts, listMessages, recover, replay, type WebhookEvent } from './messages.ts';
import type { AttemptView, EndpointStats, EndpointView, MessageView, RecoverResult } from './views.ts';
import { type Clock } from '../kernel/clock.ts';

export interface WebhookServiceOptions {
  knex: Knex;
  config: Config;
  clock: Clock;
  log: Logger;
  /** The operator's outbound network policy (built from the config when absent). */
  outbound?: OutboundPolicy;
  /** DNS resolution for a policy built here (tests); the system resolver by default. */
  lookup?: Lookup;
  /** How long one attempt may take. Default 15 s. */
  timeoutMs?: number;
  /** Random numbers for the retry jitter. Default Math.random. */
  random?: () => number;
  /** Where the endpoint filters are cached (core/cache-invalidation.ts). Default: this service's own, CLARION_CACHE_TTL_MS. */
  caches?: CacheFactory;
}

/**
 * The outgoing webhook hub: endpoints with filters and signing secrets, CloudEvents messages
 * fanned out from `emit`, signed delivery with retries, replay and recovery. The REST routes and
 * the admin pages both use this service; the `deliver_webhook` job calls `deliver`.
 */
export class WebhookService {
  /**
   * Called after an endpoint was disabled automatically (410 Gone, or failing for 5 days), once
   * the change is committed. Wired by the engine to tell the tenant's admins through Clarion.
   * A failure here is logged, never undoes the disabling.
   */
  onEndpointDisabled?: (endpoint: EndpointView) => void | Promise<void>;

  readonly #ctx: WebhookContext;

  constructor(options: WebhookServiceOptions) {
    const log = options.log.child({ component: 'webhooks' });
    this.#ctx = {
      knex: options.knex,
      config: options.config,
      clock: options.clock,
      log,
      outbound: options.outbound ?? createOutboundPolicy({ allowPrivate: options.config.outboundAllowPrivate, allowList: options.config.outboundAllowList, lookup: options.lookup }),
      timeoutMs: options.timeoutMs ?? 15_000,
      random: options.random ?? Math.random,
      endpointCache: (options.caches ?? localCaches(options.config.cacheTtlMs)).cache('webhook_endpoints'),
      endpointDisabled: async (endpoint) => {
        try {
          await this.onEndpointDisabled?.(endpoint);
        } catch (err) {
          log.error({ err, endpointId: endpoint.id, tenantId: endpoint.tenantId }, 'onEndpointDisabled hook failed');
        }
      },
    };
  }

  /** The event types webhooks carry, for filters and documentation. */
  eventTypes(): ReadonlyArray<{ type: string; description: string }> {
    return WEBHOOK_EVENT_TYPES;
  }

  /**
   * Inside the caller's transaction: a CloudEvent for every enabled endpoint of the tenant whose
   * filter matches, with its delivery job. Returns how many messages were queued.
   */
  emit(trx: Knex, event: WebhookEvent): Promise<number> {
    return emit(this.#ctx, trx, event);
  }

  /** Whether `emit` of this event type would queue anything for the tenant (cached; see `emit`). */
  subscribed(tenantId: string, type: string): Promise<boolean> {
    return subscribed(this.#ctx, tenantId, type);
  }

  createEndpoint(tenantId: string, body: unknown, actor: string): Promise<EndpointView & { secret: string }> {
    return this.#changed(tenantId, createEndpoint(this.#ctx, tenantId, body, actor));
  }

  getEndpoint(tenantId: string, id: string): Promise<EndpointView> {
    return getEndpoint(this.#ctx, tenantId, id);
  }

  listEndpoints(tenantId: string, options: { limit: number; cursor?: string; enabled?: boolean }): Promise<Page<EndpointView>> {
    return listEndpoints(this.#ctx, tenantId, options);
  }

  updateEndpoint(tenantId: string, id: string, body: unknown, actor: string): Promise<EndpointView> {
    return this.#changed(tenantId, updateEndpoint(this.#ctx, tenantId, id, body, actor));
  }

  deleteEndpoint(tenantId: string, id: string, actor: string): Promise<void> {
    return this.#changed(tenantId, deleteEndpoint(this.#ctx, tenantId, id, actor));
  }

  /** The tenant's cached endpoints are dropped here once a change is committed (or failed); the change announces itself to the other processes. */
  #changed<T>(tenantId: string, result: Promise<T>): Promise<T> {
    return result.finally(() => this.#ctx.endpointCache.drop(tenantId));
  }

  rotateSecret(tenantId: string, id: string, body: unknown, actor: string): Promise<EndpointView & { secret: string }> {
    return rotateSecret(this.#ctx, tenantId, id, body, actor);
  }

  getMessage(tenantId: string, id: string): Promise<MessageView> {
    return getMessage(this.#ctx, tenantId, id);
  }

  listMessages(tenantId: string, endpointId: string, options: { limit: number; cursor?: string; status?: string; eventType?: string }): Promise<Page<MessageView>> {
    return listMessages(this.#ctx, tenantId, endpointId, options);
  }

  listAttempts(tenantId: string, endpointId: string, options: { limit: number; cursor?: string; messageId?: string; outcome?: string }): Promise<Page<AttemptView>> {
    return listAttempts(this.#ctx, tenantId, endpointId, options);
  }

  stats(tenantId: string, endpointId: string, since?: string): Promise<EndpointStats> {
    return endpointStats(this.#ctx, tenantId, endpointId, since);
  }

  replay(tenantId: string, id: string, actor: string): Promise<MessageView[]> {
    return replay(this.#ctx, tenantId, id, actor);
  }

  recover(tenantId: string, endpointId: string, body: unknown, actor: string): Promise<RecoverResult> {
    return recover(this.#ctx, tenantId, endpointId, body, actor);
  }

  /** One attempt of one message (the `deliver_webhook` job). */
  deliver(job: DeliverJob): Promise<DeliverResult> {
    return deliver(this.#ctx, job);
  }
}
