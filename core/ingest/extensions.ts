import { DateTime } from 'luxon';
import type { FieldError } from '../errors.ts';
import { MAX_DELAY_MS } from '../kernel/durations.ts';
import type { IncomingEvent, Mode } from './cloudevents.ts';

/**
 * The CloudEvent extensions Clarion itself reads, checked at ingest (a bad one refuses the event
 * with the others' errors, nothing stored):
 * - `cancelkey`: a string naming what the event may be cancelled with (`POST /v1/cancellations`).
 * - `deliverafter`: an RFC 3339 time with an offset, at most 366 days ahead: the event is stored
 *   at once and fanned out at that time (a time passed already: at once).
 * - `deliverlocal` (+ optional `deliverzone`): a local date-time (`2040-01-09T09:00`): each
 *   notification is held until that time in its subscriber's time zone (`deliverzone` for
 *   subscribers without one, else UTC).
 */
export const CANCEL_KEY = 'cancelkey';
export const DELIVER_AFTER = 'deliverafter';
export const DELIVER_LOCAL = 'deliverlocal';
export const DELIVER_ZONE = 'deliverzone';

export interface ReadExtensions {
  cancelKey: string | null;
  deliverAfter: Date | null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
export const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** A valid IANA time zone name. */
export function isZone(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 64 && DateTime.local().setZone(name).isValid;
}

export function readExtensions(events: IncomingEvent[], mode: Mode, errors: FieldError[], now: Date): ReadExtensions[] {
  return events.map((event, index) => {
    const at = (name: string) => (mode === 'binary' ? `header:ce-${name}` : `${mode === 'batch' ? `/${index}` : ''}/${name}`);
    const key = event.extensions[CANCEL_KEY];
    if (key !== undefined && typeof key !== 'string') errors.push({ pointer: at(CANCEL_KEY), message: 'must be a string (the key POST /v1/cancellations names)' });

    let deliverAfter: Date | null = null;
    const after = event.extensions[DELIVER_AFTER];
    if (after !== undefined) {
      const ms = typeof after === 'string' && RFC3339.test(after) ? Date.parse(after) : Number.NaN;
      if (Number.isNaN(ms)) errors.push({ pointer: at(DELIVER_AFTER), message: 'must be an RFC 3339 time with an offset, e.g. 2040-01-09T09:00:00Z' });
      else if (ms - now.getTime() > MAX_DELAY_MS) errors.push({ pointer: at(DELIVER_AFTER), message: 'must be at most 366 days ahead' });
      else if (ms > now.getTime()) deliverAfter = new Date(ms);
    }

    const local = event.extensions[DELIVER_LOCAL];
    if (local !== undefined) {
      const parsed = typeof local === 'string' && LOCAL_TIME.test(local) ? DateTime.fromISO(local, { zone: 'UTC' }) : undefined;
      if (!parsed?.isValid) errors.push({ pointer: at(DELIVER_LOCAL), message: 'must be a local date and time without an offset, e.g. 2040-01-09T09:00' });
      else if (parsed.toMillis() - now.getTime() > MAX_DELAY_MS) errors.push({ pointer: at(DELIVER_LOCAL), message: 'must be at most 366 days ahead' });
    }
    const zone = event.extensions[DELIVER_ZONE];
    if (zone !== undefined && !isZone(zone)) errors.push({ pointer: at(DELIVER_ZONE), message: 'must be an IANA time zone such as Europe/Paris' });
    else if (zone !== undefined && local === undefined) errors.push({ pointer: at(DELIVER_ZONE), message: `only goes with ${DELIVER_LOCAL}` });

    return { cancelKey: typeof key === 'string' ? key : null, deliverAfter };
  });
}
