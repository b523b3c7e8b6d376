import { schemaAjv, type Static, type TSchema } from '../kernel/schema.ts';

const ajv = schemaAjv();

/**
 * Job payloads are `unknown` until checked, with the same kind of schema as HTTP bodies: a job
 * added by an older version, or by hand, must fail loudly rather than half-run. The schema is the
 * task's TypeBox payload (core/jobs/payloads.ts); what passes is its static type.
 */
export function payloadChecker<S extends TSchema>(task: string, schema: S): (payload: unknown) => Static<S> {
  const validate = ajv.compile(schema);
  return (payload) => {
    if (!validate(payload)) {
      throw new Error(`${task}: invalid payload ${JSON.stringify(payload)}: ${ajv.errorsText(validate.errors)}`);
    }
    return payload as Static<S>;
  };
}
