import { Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Type, { type Static, type TSchema } from 'typebox';

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
