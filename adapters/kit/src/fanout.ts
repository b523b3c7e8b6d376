import { ConfigError, PermanentError, TransientError } from './errors.ts';
import type { DeliveryError } from './errors.ts';
import type { SendResult } from './types.ts';

/** How one destination of a fanned-out send (one push device of a subscriber) went. */
export interface DestinationOutcome {
  /** What may be shown of the destination in the attempt's details (never a full push token). */
  hint: string;
  providerMessageId?: string;
  error?: DeliveryError;
}

/**
 * Combines the sends to each of a subscriber's devices into one result: the send succeeded when
 * any device accepted it (every device is listed in `details`, dead ones in `invalidDestinations`
 * for the engine to remove); when none did, the most actionable failure is thrown (config before
 * transient before permanent), carrying every dead destination.
 */
export function combineOutcomes(outcomes: DestinationOutcome[], noun = 'device'): SendResult {
  if (outcomes.length === 0) throw new PermanentError(`no ${noun} to send to`, { code: 'NO_DEVICE' });
  const invalidDestinations = outcomes.flatMap((o) => (o.error?.invalidDestination ? [o.error.invalidDestination] : []));
  const sent = outcomes.filter((o) => o.providerMessageId);
  if (sent.length > 0) {
    return {
      providerMessageId: sent[0].providerMessageId,
      status: 'sent',
      details: {
        sent: sent.length,
        failed: outcomes.length - sent.length,
        [`${noun}s`]: outcomes.map((o) => ({
          [noun]: o.hint,
          ...(o.providerMessageId ? { messageId: o.providerMessageId } : { errorClass: o.error?.errorClass, errorCode: o.error?.code }),
        })),
      },
      ...(invalidDestinations.length > 0 ? { invalidDestinations } : {}),
    };
  }
  const errors = outcomes.map((o) => o.error ?? new TransientError(`the ${noun} send neither succeeded nor failed`));
  if (errors.length === 1) throw errors[0];
  const first = errors.find((e) => e.errorClass === 'config') ?? errors.find((e) => e.errorClass === 'transient') ?? errors[0];
  const options = { code: first.code, status: first.status, response: first.response, retryAfterMs: first.retryAfterMs, invalidDestinations, scope: first.scope, cause: first };
  const message = `no ${noun} accepted the message (${errors.length} ${noun}s): ${first.message}`;
  if (first.errorClass === 'config') throw new ConfigError(message, options);
  if (first.errorClass === 'transient') throw new TransientError(message, options);
  throw new PermanentError(message, options);
}
