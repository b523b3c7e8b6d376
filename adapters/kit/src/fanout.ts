import { ConfigError, PermanentError, TransientError } from './errors.ts';
import type { DeliveryError, ErrorScope } from './errors.ts';
import type { Device, Recipient, SendResult } from './types.ts';

/** How one destination of a fanned-out send (one push device of a subscriber) went. */
export interface DestinationOutcome {
  /** What may be shown of the destination in the attempt's details (never a full push token). */
  hint: string;
  providerMessageId?: string;
  error?: DeliveryError;
}

/**
 * The scope of a failure about a subscriber's devices, for an adapter that serves one platform of
 * them (FCM tokens, web push subscriptions): `recipient` when the subscriber has no device of
 * another platform (no provider of the channel can reach them), `provider` when they do (the
 * channel's next provider serves those devices; none of them uses this adapter's tokens).
 */
export function deviceScope(to: Recipient, platform: Device['platform']): ErrorScope {
  return (to.devices ?? []).some((device) => device.platform !== platform) ? 'provider' : 'recipient';
}

export interface CombineOptions {
  /**
   * The scope of a failure about the recipient when no destination accepted the message: push
   * adapters pass `deviceScope(message.to, platform)`, so a subscriber whose tokens for this
   * platform are all dead still reaches the channel's next provider. Default: `recipient`.
   */
  recipientScope?: ErrorScope;
}

/**
 * Combines the sends to each of a subscriber's devices into one result: the send succeeded when
 * any device accepted it (every device is listed in `details`, dead ones in `invalidDestinations`
 * for the engine to remove); when none did, the most actionable failure is thrown (config before
 * transient before permanent; a permanent failure is about the recipient only when every device's
 * was), carrying every dead destination.
 */
export function combineOutcomes(outcomes: DestinationOutcome[], noun = 'device', options: CombineOptions = {}): SendResult {
  const recipientScope = options.recipientScope ?? 'recipient';
  if (outcomes.length === 0) throw new PermanentError(`no ${noun} to send to`, { code: 'NO_DEVICE', scope: recipientScope });
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
  const first = errors.find((e) => e.errorClass === 'config')
    ?? errors.find((e) => e.errorClass === 'transient')
    ?? errors.find((e) => e.scope === 'provider')
    ?? errors[0];
  const scope = first.errorClass === 'permanent' && first.scope === 'recipient' ? recipientScope : first.scope;
  if (errors.length === 1 && scope === first.scope) throw first;
  const combined = { code: first.code, status: first.status, response: first.response, retryAfterMs: first.retryAfterMs, invalidDestinations, scope, cause: first };
  const message = errors.length === 1 ? first.message : `no ${noun} accepted the message (${errors.length} ${noun}s): ${first.message}`;
  if (first.errorClass === 'config') throw new ConfigError(message, combined);
  if (first.errorClass === 'transient') throw new TransientError(message, combined);
  throw new PermanentError(message, combined);
}
