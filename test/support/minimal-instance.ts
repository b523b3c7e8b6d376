/**
 * The smallest valid instance of a JSON Schema: only required properties, arrays at their
 * `minItems`, the first `enum` value, the first `anyOf`/`oneOf` branch. It covers the keywords the
 * bundled `templates/<workflow>/schema.json` files use (type, required, properties, items,
 * minItems, anyOf/oneOf, enum, const, minimum, minLength, maxLength, pattern, format) and throws on
 * anything else, so a new keyword is noticed rather than silently producing invalid data. Callers
 * check the result with ajv.
 */

type Schema = Record<string, unknown> | boolean;

const HANDLED = new Set([
  '$schema', '$id', 'title', 'description', 'examples', 'default', 'type', 'required', 'properties', 'additionalProperties', 'items', 'minItems',
  'maxItems', 'uniqueItems', 'anyOf', 'oneOf', 'enum', 'const', 'minimum', 'maximum', 'exclusiveMinimum', 'minLength', 'maxLength', 'pattern',
  'format',
]);

/** Values for string formats, readable in rendered messages. */
const FORMATS: Record<string, string> = {
  date: '2026-11-21',
  'date-time': '2026-11-21T09:30:00Z',
  email: 'someone@example.com',
  uri: 'https://example.com/x',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/** Tried in order for a `pattern` without a format. */
const PATTERN_CANDIDATES = ['https://example.com/x', 'EUR', 'x', 'X', '1', 'x-1', 'X-1', 'a1'];

export function minimalInstance(schema: Schema, name = 'value', path = ''): unknown {
  if (schema === true) return name;
  if (schema === false) throw new Error(`${path || '/'}: false admits no instance`);
  for (const key of Object.keys(schema)) if (!HANDLED.has(key)) throw new Error(`${path || '/'}: minimalInstance does not handle "${key}"`);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (branches) return minimalInstance(branches[0], name, path);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      for (const key of (schema.required ?? []) as string[]) out[key] = minimalInstance(properties[key] ?? true, key, `${path}/${key}`);
      return out;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, (_, i) => minimalInstance((schema.items ?? true) as Schema, `${name}${i + 1}`, `${path}/${i}`));
    }
    case 'integer':
    case 'number': {
      if (typeof schema.minimum === 'number') return schema.minimum;
      if (typeof schema.exclusiveMinimum === 'number') return Math.floor(schema.exclusiveMinimum) + 1;
      return 1;
    }
    case 'boolean':
      return false;
    case 'string':
      return minimalString(schema, name, path);
    case undefined:
      return name;
    default:
      throw new Error(`${path || '/'}: minimalInstance does not handle type ${String(type)}`);
  }
}

function minimalString(schema: Record<string, unknown>, name: string, path: string): string {
  const format = schema.format as string | undefined;
  if (format !== undefined && !(format in FORMATS)) throw new Error(`${path || '/'}: minimalInstance does not handle format ${format}`);
  const fits = (value: string) =>
    value.length >= ((schema.minLength as number | undefined) ?? 0) &&
    value.length <= ((schema.maxLength as number | undefined) ?? Infinity) &&
    (typeof schema.pattern !== 'string' || new RegExp(schema.pattern, 'u').test(value));
  const candidates = format ? [FORMATS[format]] : typeof schema.pattern === 'string' ? PATTERN_CANDIDATES : [name, 'x'];
  const found = candidates.find(fits);
  if (found === undefined) throw new Error(`${path || '/'}: no candidate string fits ${JSON.stringify(schema)}`);
  return found;
}
