import { StringEnum } from '../kernel/schema.ts';
import type { ProviderPrice, ProviderRecord } from './providers.ts';

/**
 * Which of a channel's providers is tried first. `priority` (the default): ascending priority.
 * `leastCost`: the cheapest declared price for the recipient first (the price of their number's
 * country prefix, `price.byPrefix`, else the provider's base price), then the rest by priority:
 * providers with no declared price, or priced in another currency than the cheapest priced one
 * (no rates are assumed), come after the comparable ones. Ties keep their priority order, and a
 * provider that fails for good still falls back to the next (the order only says who goes first).
 */

export const ROUTING_MODES = ['priority', 'leastCost'] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/**
 * The `routing` setting, one schema for the two places that take it: a workflow's own
 * (core/workflows/service.ts) and the tenant's default (`settings.routing`, core/tenants.ts). Each
 * says in `description` what it means there.
 */
export const routingModeSchema = (description: string) => StringEnum(ROUTING_MODES, { type: 'string', description });

/** The workflow's own `routing`, else the tenant's `settings.routing`, else by priority. */
export function routingFor(workflow: { routing?: unknown } | undefined, tenantSettings: Record<string, unknown> | null | undefined): RoutingMode {
  const own = workflow?.routing ?? tenantSettings?.routing;
  return own === 'leastCost' ? 'leastCost' : 'priority';
}

/**
 * What one message (or segment) to `phone` costs as declared: the longest `byPrefix` entry its
 * digits start with, else the base perMessage or perSegment; undefined when none is declared.
 */
export function declaredAmount(price: ProviderPrice | null | undefined, phone?: string | null): number | undefined {
  if (!price) return undefined;
  const digits = phone?.replace(/[^0-9]/g, '');
  if (digits && price.byPrefix) {
    let best: string | undefined;
    for (const prefix of Object.keys(price.byPrefix)) if (digits.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
    if (best !== undefined) return price.byPrefix[best];
  }
  return price.perMessage ?? price.perSegment ?? price.perMinute;
}

/** The providers (already in priority order) in least-cost order for a message to `phone`. */
export function orderByPrice(providers: ProviderRecord[], phone?: string | null): ProviderRecord[] {
  const priced = providers.map((p, index) => ({ p, index, amount: declaredAmount(p.price, phone) }));
  const currency = priced.filter((x) => x.amount !== undefined).sort((a, b) => a.amount! - b.amount! || a.index - b.index)[0]?.p.price?.currency;
  const rank = (x: (typeof priced)[number]) => (x.amount === undefined ? 2 : x.p.price?.currency === currency ? 0 : 1);
  return priced
    .sort((a, b) => rank(a) - rank(b) || (rank(a) === 0 ? a.amount! - b.amount! : 0) || a.index - b.index)
    .map((x) => x.p);
}
