import type { AdapterHost, Channel, OutboundMessage, Sender } from '@clarion/adapter-kit';
import { ConfigError } from '@clarion/adapter-kit';
import { recordOutbox } from '../db/repositories/host.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { InboxWrites } from '../realtime/inbox-writes.ts';
import type { ClarionError } from '../errors.ts';
import type { DeliveryContext } from './context.ts';
import type { ProviderRecord } from './providers.ts';

const SANDBOX = 'sandbox';

/**
 * The senders adapters create for a tenant's providers, one per provider configuration, made
 * again when the configuration changes. Each gets the operator's outbound policy and Clarion's
 * host services (the in-app inbox, the sandbox outbox); credentials are resolved at creation.
 */
export class Senders {
  readonly #ctx: DeliveryContext;
  readonly #senders = new Map<string, { version: string; sender: Promise<Sender> }>();
  /** The in-app puts of every sender, written together (inbox-writes.ts). */
  readonly #inbox: InboxWrites;

  constructor(ctx: DeliveryContext) {
    this.#ctx = ctx;
    this.#inbox = new InboxWrites({ knex: ctx.knex, workflows: ctx.workflows, subscriberIds: (db, subscribers) => ctx.subscribers.idsOf(db, subscribers) });
  }

  /** Providers still to try for this delivery, in order; the implicit adapter or the sandbox when none is configured. */
  async candidates(tenantId: string, channel: Channel, tried: string[]): Promise<ProviderRecord[]> {
    const configured = await this.#ctx.providers.forChannel(tenantId, channel);
    if (configured.length === 0) {
      // Nothing configured: an adapter that needs no configuration (in-app), else the sandbox if allowed.
      const implicit = this.#ctx.adapters.implicitFor(channel)?.definition.name ?? (this.#ctx.config.defaultSandbox && this.#ctx.adapters.get(SANDBOX) ? SANDBOX : undefined);
      const id = `${implicit}:${channel}`;
      return !implicit || tried.includes(id) ? [] : [{ id, tenantId, channel, adapter: implicit, priority: 0, updatedAt: new Date(0) }];
    }
    return configured.filter((p) => !tried.includes(p.id));
  }

  of(provider: ProviderRecord): Promise<Sender> {
    const version = provider.updatedAt.toISOString();
    const cached = this.#senders.get(provider.id);
    if (cached && cached.version === version) return cached.sender;
    if (cached) cached.sender.then((s) => s.close?.()).catch(() => {});
    const adapter = this.#ctx.adapters.require(provider.adapter);
    // Implicit providers (`<adapter>:<channel>`) have no stored configuration.
    const isImplicit = provider.id.includes(':');
    const sender = (async () => {
      let config: Record<string, unknown> = {};
      if (!isImplicit) {
        try {
          config = await this.#ctx.providers.resolvedConfig(provider.tenantId, provider.id);
        } catch (err) {
          // The database being away is no fault of the provider's configuration: the send is retried.
          if (isDatabaseUnavailable(err)) throw err;
          throw new ConfigError((err as Error).message, { code: (err as ClarionError).code });
        }
      }
      return adapter.definition.create(config, {
        log: this.#ctx.log.child({ adapter: provider.adapter, providerId: provider.id }),
        fetch: this.#ctx.outbound.fetch,
        outbound: this.#ctx.outbound,
        tenantId: provider.tenantId,
        providerId: provider.id,
        publicUrl: this.#ctx.config.publicUrl,
        callbackUrl: `${this.#ctx.config.publicUrl}/v1/providers/${provider.adapter}/callbacks/${provider.id}`,
        host: this.#host(),
      });
    })();
    sender.catch(() => this.#senders.delete(provider.id));
    this.#senders.set(provider.id, { version, sender });
    return sender;
  }

  async close(): Promise<void> {
    for (const { sender } of this.#senders.values()) await sender.then((s) => s.close?.()).catch(() => {});
    this.#senders.clear();
  }

  #host(): AdapterHost {
    const { knex } = this.#ctx;
    const inbox = this.#inbox;
    return {
      inbox: {
        put: (message: OutboundMessage) => inbox.put(message),
      },
      outbox: {
        record: (adapter: string, message: OutboundMessage, providerId: string) => recordOutbox(knex, adapter, message, providerId),
      },
    };
  }
}
