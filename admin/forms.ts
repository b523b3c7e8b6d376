import type { FieldError } from '../core/errors.ts';
import type { Form } from './http.ts';

/**
 * Forms generated from a JSON Schema (an adapter's configSchema, a plugin's optionsSchema):
 * one input per top-level property, typed after the schema; anything richer (objects, arrays,
 * alternatives) as a JSON text area. What the form sends back is read into a value for the
 * service, which validates it against the same schema and names the failing fields.
 */

export interface SchemaField {
  /** The form field's name: `prefix` + property. */
  name: string;
  property: string;
  kind: 'text' | 'password' | 'number' | 'checkbox' | 'select' | 'json';
  required: boolean;
  description?: string;
  options?: string[];
  value: string;
  checked?: boolean;
  min?: number;
  max?: number;
  /** A write-only value is stored: leaving the field empty keeps it. */
  stored?: boolean;
  error?: string;
}

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

function kindOf(schema: Record<string, unknown>): SchemaField['kind'] {
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) return 'select';
  if (schema.writeOnly === true) return 'password';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'boolean') return 'checkbox';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'string') return 'text';
  return 'json';
}

/** The fields of `schema`, filled from `values` (a stored configuration, masked secrets included). */
export function schemaFields(schema: Schema, values: Record<string, unknown>, prefix: string, errors: FieldError[] = [], errorBase = ''): SchemaField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([property, sub]) => {
    const kind = kindOf(sub);
    const value = values[property];
    const error = errors.find((e) => e.pointer === `${errorBase}/${property}` || e.pointer.startsWith(`${errorBase}/${property}/`))?.message;
    const field: SchemaField = {
      name: `${prefix}${property}`, property, kind, required: required.has(property), description: sub.description as string | undefined, value: '', error,
    };
    if (kind === 'select') field.options = sub.enum as string[];
    if (kind === 'number') {
      if (typeof sub.minimum === 'number') field.min = sub.minimum;
      if (typeof sub.maximum === 'number') field.max = sub.maximum;
    }
    if (kind === 'password') {
      field.stored = value !== undefined && value !== null;
      return field;
    }
    if (kind === 'checkbox') field.checked = value === undefined ? sub.default === true : value === true;
    else if (kind === 'json') field.value = value === undefined ? '' : JSON.stringify(value, null, 2);
    else field.value = value === undefined || value === null ? '' : String(value);
    return field;
  });
}

/**
 * Reads the fields back. Empty fields are left out (an empty write-only field keeps the stored
 * secret); numbers that are not numbers and JSON that does not parse are reported by field.
 */
export function readSchemaForm(schema: Schema, form: Form, prefix: string, errorBase: string): { value: Record<string, unknown>; errors: FieldError[] } {
  const value: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [property, sub] of Object.entries(schema.properties ?? {})) {
    const kind = kindOf(sub);
    const name = `${prefix}${property}`;
    if (kind === 'checkbox') {
      // A checkbox not sent is false, where the form showed it.
      if (form.has(`${name}__shown`)) value[property] = form.get(name) === 'true';
      continue;
    }
    const raw = form.get(name);
    if (raw === undefined || raw.trim() === '') continue;
    if (kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) errors.push({ pointer: `${errorBase}/${property}`, message: 'must be a number' });
      else value[property] = n;
    } else if (kind === 'json') {
      try {
        value[property] = JSON.parse(raw);
      } catch (err) {
        errors.push({ pointer: `${errorBase}/${property}`, message: `is not valid JSON: ${(err as Error).message}` });
      }
    } else {
      value[property] = kind === 'password' ? raw : raw.trim();
    }
  }
  return { value, errors };
}
