import { Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Type, { type Static, type TObject, type TSchema } from 'typebox';

/**
 * Request and response schemas are written once, with TypeBox, beside the service that checks
 * them: the same object is compiled by ajv (JSON Schema 2020-12), gives the TypeScript type
 * (`Static<typeof X>`), and is referenced by the OpenAPI 3.1 document. The helpers below emit the
 * JSON Schema shapes whose ajv messages the API has always returned: `type: ['string', 'null']`
 * ("must be string,null") rather than an `anyOf`, `enum` rather than a union of `const`s.
 * Importable by everything; imports nothing of core.
 */

export { Type, type Static, type TSchema };

/** `{ enum: values }`, typed as the union of the values. */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ enum: [...values], ...options });
}

/** The schema with `null` added to its `type`. */
export function Nullable<T extends TSchema>(schema: T, options: Record<string, unknown> = {}) {
  const { type, ...rest } = schema as unknown as { type: string | string[] };
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [...(Array.isArray(type) ? type : [type]), 'null'], ...options });
}

/** An object whose every value matches `values` (`additionalProperties`), keys optionally constrained. */
export function Dictionary<T extends TSchema>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: values, ...options });
}

/** Any JSON object (its fields are checked elsewhere, or are the caller's own). */
export function AnyObject(options: Record<string, unknown> = {}) {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', ...options });
}

/** Exactly one of the schemas (`oneOf`; TypeBox's unions are `anyOf`). */
export function OneOf<T extends TSchema[]>(schemas: [...T], options: Record<string, unknown> = {}) {
  return Type.Unsafe<Static<T[number]>>({ oneOf: schemas, ...options });
}

export const Uuid = (options: Record<string, unknown> = {}) => Type.String({ format: 'uuid', ...options });
export const DateTime = (options: Record<string, unknown> = {}) => Type.String({ format: 'date-time', ...options });
export const NullableDateTime = (options: Record<string, unknown> = {}) => Nullable(DateTime(), options);
export const NullableString = (options: Record<string, unknown> = {}) => Nullable(Type.String(), options);

/** A page of a keyset-paged list. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: NullableString() });
}

/** Page size when the query does not say. */
export const DEFAULT_PAGE_SIZE = 50;

/** The `limit` and `cursor` query parameters of a keyset-paged list (at most `max` a page). */
export function PagingQuery(max = 200) {
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: max, default: DEFAULT_PAGE_SIZE, description: `Page size (1-${max}, default ${DEFAULT_PAGE_SIZE}).` })),
    cursor: Type.Optional(Type.String({ description: 'The `nextCursor` of the previous page.' })),
  };
}

/** The query of a list that takes nothing but `limit` and `cursor` (at most 200 a page). */
export const PageQuery = Type.Object(PagingQuery());

/** A list answered whole. */
export function Items<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item) });
}

/** The ajv that compiles the API's schemas: 2020-12, every error at once, formats. */
export function schemaAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false, ...options });
  addFormats.default(ajv);
  return ajv;
}

export type { ErrorObject };

/**
 * A route's query parameters, written once as a TypeBox object of (mostly optional) scalar
 * properties: `queryParameters` gives the OpenAPI `parameters` of the route, `queryReader` checks
 * a Koa query against the same object (numbers and booleans coerced from their text).
 * Here: the OpenAPI `parameters` (`in: query`) of each property of `schema`, its `description`
 * lifted out of the parameter's schema. An array property is a comma-separated list
 * (`style: form, explode: false`: `?tags=a,b`).
 */
export function queryParameters(schema: TObject): Array<{ name: string; in: 'query'; required: boolean; description?: string; style?: string; explode?: boolean; schema: Record<string, unknown> }> {
  const required = new Set<string>((schema as { required?: string[] }).required ?? []);
  return Object.entries(schema.properties as Record<string, TSchema>).map(([name, property]) => {
    const { description, ...rest } = property as Record<string, unknown>;
    const commaSeparated = rest.type === 'array' ? { style: 'form', explode: false } : {};
    return { name, in: 'query' as const, required: required.has(name), ...(typeof description === 'string' ? { description } : {}), ...commaSeparated, schema: rest };
  });
}

/** What each property accepts, said the way the API always said it. */
function acceptedValues(property: Record<string, unknown>): string | undefined {
  if (Array.isArray(property.enum)) return `must be one of ${property.enum.join(', ')}`;
  if (property.type === 'boolean') return 'must be true or false';
  if (property.type === 'integer' && typeof property.minimum === 'number' && typeof property.maximum === 'number') return `must be an integer from ${property.minimum} to ${property.maximum}`;
  if (property.type === 'integer' && property.minimum === 1) return 'must be a positive integer';
  if (property.type === 'string' && typeof property.maxLength === 'number' && property.pattern === undefined && property.enum === undefined) return `must be at most ${property.maxLength} characters`;
  if (property.format === 'date-time') return 'must be an RFC 3339 timestamp';
  if (property.type === 'array') {
    const items = (property.items ?? {}) as Record<string, unknown>;
    return `must be ${property.minItems ?? 0} to ${property.maxItems ?? 'any number of'} comma-separated values${typeof items.description === 'string' ? ` (${items.description})` : ''}`;
  }
  return undefined;
}

export interface QueryReaderOptions {
  /** Parameters besides the free-text ones whose repeats are ignored (read as absent), where that is what the route always did. */
  ignoreRepeated?: readonly string[];
}

/** A free-text parameter (a plain string): its repeats are ignored, as they always were; other repeats are refused. */
function freeText(property: Record<string, unknown>): boolean {
  return property.type === 'string' && property.enum === undefined && property.format === undefined && property.pattern === undefined;
}

/**
 * Checks a Koa query (`ctx.query`: a string, or an array of the repeats) against `schema`: an
 * empty value is an absent one, numbers and booleans are read from their text, an array is read
 * from comma-separated values (trimmed, empty ones dropped; repeats add to it), parameters the
 * schema does not name are left alone, other repeats are refused (but see QueryReaderOptions and
 * freeText). Returns the typed query or the field errors (`/query/<name>`, one per parameter).
 */
export function queryReader<T extends TObject>(schema: T, options: QueryReaderOptions = {}) {
  const validate = schemaAjv({ coerceTypes: true }).compile<Static<T>>(schema);
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  const lists = new Set(Object.keys(properties).filter((name) => properties[name]!.type === 'array'));
  const ignore = new Set([...Object.keys(properties).filter((name) => freeText(properties[name]!)), ...(options.ignoreRepeated ?? [])]);
  return (query: Record<string, string | string[] | undefined>): { value: Static<T>; errors?: undefined } | { value?: undefined; errors: Array<{ pointer: string; message: string }> } => {
    const input: Record<string, unknown> = {};
    for (const name of Object.keys(properties)) {
      let value: unknown = query[name];
      if (lists.has(name)) {
        if (value !== undefined && value !== '') input[name] = [value as string | string[]].flat().flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
        continue;
      }
      if (Array.isArray(value)) value = ignore.has(name) ? undefined : value;
      if (value !== undefined && value !== '') input[name] = value;
    }
    if (validate(input)) return { value: input as Static<T> };
    const errors = new Map<string, string>();
    for (const error of validate.errors ?? []) {
      const name = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : error.instancePath.split('/')[1];
      if (name === undefined || errors.has(name)) continue;
      errors.set(name, error.keyword === 'required' ? 'is required' : (acceptedValues(properties[name] ?? {}) ?? error.message ?? 'is invalid'));
    }
    return { errors: [...errors].map(([name, message]) => ({ pointer: `/query/${name}`, message })) };
  };
}
