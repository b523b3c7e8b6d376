import type { AdapterDefinition } from './types.ts';
import { CHANNELS } from './types.ts';

const NAME = /^[a-z][a-z0-9-]{1,40}$/;

/**
 * Declares an adapter. Checks the declaration itself at load time, so a broken adapter fails at
 * boot with a clear message rather than at the first delivery.
 */
export function defineAdapter<Config = Record<string, unknown>>(definition: AdapterDefinition<Config>): AdapterDefinition<Config> {
  if (!NAME.test(definition.name)) throw new TypeError(`adapter name "${definition.name}" must match ${NAME}`);
  if (!CHANNELS.includes(definition.channel)) throw new TypeError(`adapter ${definition.name}: channel "${definition.channel}" is not one of ${CHANNELS.join(', ')}`);
  if (!definition.configSchema || typeof definition.configSchema !== 'object') throw new TypeError(`adapter ${definition.name}: configSchema must be a JSON Schema object`);
  if (typeof definition.create !== 'function') throw new TypeError(`adapter ${definition.name}: create(config, context) is required`);
  return Object.freeze({ ...definition });
}

/** The names of the properties a schema marks `writeOnly` (secrets), at any depth of `properties`. */
export function secretPaths(schema: Record<string, unknown>, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const paths: string[] = [];
  for (const [key, sub] of Object.entries(properties)) {
    if (sub?.writeOnly === true) paths.push(`${prefix}${key}`);
    if (sub?.type === 'object' || sub?.properties) paths.push(...secretPaths(sub, `${prefix}${key}.`));
  }
  for (const branch of [...((schema.oneOf ?? []) as Record<string, unknown>[]), ...((schema.anyOf ?? []) as Record<string, unknown>[])]) {
    for (const p of secretPaths(branch, prefix)) if (!paths.includes(p)) paths.push(p);
  }
  return paths;
}

/** How a configuration string reaches the network (`"x-outbound"` on its schema). */
export type OutboundKind = 'url' | 'host';

/**
 * The values of a configuration that name where the adapter connects: every string whose schema
 * says `"x-outbound": "url"` (a URL the adapter calls) or `"host"` (a host name or address), at
 * any depth of `properties` and `items` (and inside `oneOf`/`anyOf` branches). Clarion checks them
 * against the operator's outbound policy when the configuration is saved.
 */
export function outboundValues(schema: Record<string, unknown>, value: unknown, pointer = ''): Array<{ pointer: string; kind: OutboundKind; value: string }> {
  const found: Array<{ pointer: string; kind: OutboundKind; value: string }> = [];
  const kind = schema['x-outbound'];
  if ((kind === 'url' || kind === 'host') && typeof value === 'string') found.push({ pointer, kind, value });
  if (value !== null && typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    if (!Array.isArray(value)) {
      for (const [key, sub] of Object.entries(properties)) {
        if (sub && Object.hasOwn(value, key)) found.push(...outboundValues(sub, (value as Record<string, unknown>)[key], `${pointer}/${key}`));
      }
    } else if (schema.items && typeof schema.items === 'object') {
      value.forEach((item, i) => found.push(...outboundValues(schema.items as Record<string, unknown>, item, `${pointer}/${i}`)));
    }
  }
  for (const branch of [...((schema.oneOf ?? []) as Record<string, unknown>[]), ...((schema.anyOf ?? []) as Record<string, unknown>[])]) {
    for (const hit of outboundValues(branch, value, pointer)) if (!found.some((f) => f.pointer === hit.pointer)) found.push(hit);
  }
  return found;
}
