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
