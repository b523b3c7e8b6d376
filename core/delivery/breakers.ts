import { TransientError } from '@clarion/adapter-kit';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { circuitState } from '../metrics.ts';
import type { DeliveryContext } from './context.ts';
import type { ProviderRecord } from './providers.ts';

/**
 * A circuit breaker per tenant and provider (cockatiel): after CLARION_CIRCUIT_THRESHOLD
 * consecutive transient failures the provider is skipped until a probe after
 * CLARION_CIRCUIT_HALF_OPEN_MS. Its state is recorded on the provider (other processes skip it
 * too) and shown in metrics. Operational time (the breaker's own), not the injected clock.
 */
export class Breakers {
  readonly #ctx: DeliveryContext;
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  /** When each provider's circuit last opened here. */
  readonly #openedAt = new Map<string, number>();

  constructor(ctx: DeliveryContext) {
    this.#ctx = ctx;
  }

  of(provider: ProviderRecord): CircuitBreakerPolicy {
    const key = `${provider.tenantId}:${provider.id}`;
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      breaker = circuitBreaker(
        handleWhen((err) => err instanceof TransientError),
        { halfOpenAfter: this.#ctx.config.circuitHalfOpenMs, breaker: new ConsecutiveBreaker(this.#ctx.config.circuitThreshold) },
      );
      const labels = { provider: provider.id, adapter: provider.adapter };
      circuitState.set(labels, 0);
      breaker.onStateChange((state) => {
        const name = state === CircuitState.Open ? 'open' : state === CircuitState.HalfOpen ? 'half_open' : 'closed';
        if (state === CircuitState.Open) this.#openedAt.set(key, Date.now());
        circuitState.set(labels, state === CircuitState.Open ? 1 : state === CircuitState.HalfOpen ? 2 : 0);
        this.#ctx.log.warn({ providerId: provider.id, adapter: provider.adapter, tenantId: provider.tenantId, circuit: name }, 'provider circuit changed');
        if (!provider.id.includes(':')) {
          this.#ctx.providers.setCircuit(provider.tenantId, provider.id, name).catch((err) => this.#ctx.log.error({ err }, 'cannot record circuit state'));
        }
      });
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  /**
   * A provider as the next send finds it: `up`; `down` (its circuit is open here, or another
   * process recorded it open, and no probe is due); or `probe` (the next call is the probe of its
   * circuit: its failure spends none of the delivery's attempts).
   */
  state(provider: ProviderRecord): 'up' | 'down' | 'probe' {
    const key = `${provider.tenantId}:${provider.id}`;
    const breaker = this.#breakers.get(key);
    const untilProbe = this.untilProbeMs(provider);
    if (breaker?.state === CircuitState.HalfOpen) return 'probe';
    if (breaker?.state === CircuitState.Open) return untilProbe > 0 ? 'down' : 'probe';
    if (breaker && breaker.state === CircuitState.Closed && this.#openedAt.has(key)) return 'up';
    // No news here: what another process recorded (its provider lists are reloaded on a change).
    if (provider.circuit?.state === 'open' || provider.circuit?.state === 'half_open') return untilProbe > 0 ? 'down' : 'probe';
    return 'up';
  }

  /** Milliseconds until the provider's circuit may be probed (0 or less: now). */
  untilProbeMs(provider: ProviderRecord): number {
    const key = `${provider.tenantId}:${provider.id}`;
    const halfOpen = this.#ctx.config.circuitHalfOpenMs;
    const opened = this.#openedAt.get(key);
    if (opened !== undefined && this.#breakers.get(key)?.state === CircuitState.Open) return opened + halfOpen - Date.now();
    const recorded = provider.circuit?.changedAt?.getTime();
    return recorded === undefined ? 0 : recorded + halfOpen - Date.now();
  }

  /** Provider state visible to the API and metrics, for this process. */
  states(): Array<{ provider: string; state: string }> {
    return [...this.#breakers.entries()].map(([key, b]) => ({ provider: key.split(':').slice(1).join(':'), state: CircuitState[b.state] }));
  }
}
