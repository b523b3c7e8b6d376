import { Ajv } from 'ajv';

const ajv = new Ajv({ allErrors: true });

/**
 * Job payloads are `unknown` until checked, with the same kind of schema as HTTP bodies: a job
 * added by an older version, or by hand, must fail loudly rather than half-run.
 */
export function payloadChecker<T>(task: string, schema: object): (payload: unknown) => T {
  const validate = ajv.compile(schema);
  return (payload) => {
    if (!validate(payload)) {
      throw new Error(`${task}: invalid payload ${JSON.stringify(payload)}: ${ajv.errorsText(validate.errors)}`);
    }
    return payload as T;
  };
}
