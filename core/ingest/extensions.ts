import type { FieldError } from '../errors.ts';
import type { IncomingEvent, Mode } from './cloudevents.ts';

/**
 * The CloudEvent extensions Clarion itself reads, checked at ingest (a bad one refuses the event
 * with the others' errors, nothing stored):
 * - `cancelkey`: a string naming what the event may be cancelled with (`POST /v1/cancellations`).
 */
export const CANCEL_KEY = 'cancelkey';

export interface ReadExtensions {
  cancelKey: string | null;
}

export function readExtensions(events: IncomingEvent[], mode: Mode, errors: FieldError[]): ReadExtensions[] {
  return events.map((event, index) => {
    const at = (name: string) => (mode === 'binary' ? `header:ce-${name}` : `${mode === 'batch' ? `/${index}` : ''}/${name}`);
    const key = event.extensions[CANCEL_KEY];
    if (key !== undefined && typeof key !== 'string') errors.push({ pointer: at(CANCEL_KEY), message: 'must be a string (the key POST /v1/cancellations names)' });
    return { cancelKey: typeof key === 'string' ? key : null };
  });
}
