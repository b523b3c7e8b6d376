import type { ErrorObject } from 'ajv';
import type { FieldError } from '../errors.ts';

/**
 * ajv's errors as the field errors of a problem document: a JSON Pointer into what was sent
 * (`prefix` first: `/config`, `/2`), `is required` for a missing property, `is not allowed` for an
 * extra one.
 */
export function toFieldErrors(errors: ErrorObject[], prefix = ''): FieldError[] {
  return errors.map((e) => {
    let pointer = prefix + e.instancePath;
    if (e.keyword === 'required') pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    const message = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not allowed' : (e.message ?? 'is invalid');
    return { pointer, message };
  });
}
