/**
 * What an adapter throws. The class decides what the engine does next, so a failure is classified
 * once, at the adapter, from the provider's documented codes:
 * - TransientError: timeouts, resets, 429, 5xx: retry with backoff (honouring `retryAfterMs`).
 * - PermanentError: no retry. Its `scope` says what it is about:
 *   - `recipient` (the default): the address or the message for this person can never work
 *     (invalid or unknown address, unsubscribed or opted-out number, invalid device token,
 *     expired push subscription, a subscriber's own webhook URL that is gone or refuses, a person
 *     the channel cannot reach such as a number that is not on WhatsApp). No other provider of
 *     the channel is tried (they would refuse it too, or worse, deliver what should not go out):
 *     the workflow's fallback channel takes over.
 *   - `provider`: this provider cannot take it (account suspended or sender not allowed, content
 *     refused by its policy or its carriers, over a limit of its own, an unsupported feature or
 *     destination, a request it refuses that another provider may accept): the channel's next
 *     provider is tried, then the fallback.
 *   A message that cannot go out as rendered on any provider of the channel (no subject, an empty
 *   body) is `recipient`: every provider gets the same rendering, so the template is at fault and
 *   the fallback channel, which has its own, takes over. Only a limit of one provider (Twilio's
 *   1600 characters, a push service's payload size) is `provider`. A missing address is
 *   `recipient` where every provider of the channel reads the same one (an e-mail address, a
 *   phone number) and `provider` where the address comes from this provider's configuration or
 *   is its own kind (no default Slack channel, no webhook URL, no FCM token while the subscriber
 *   has browser subscriptions: see `deviceScope`): the next provider may have one.
 * - ConfigError: bad credentials, missing configuration: no retry; alert an admin; the channel's
 *   next provider is tried (it is always about the provider).
 */
export type ErrorClass = 'transient' | 'permanent' | 'config';

/** What a permanent failure is about: the recipient (fall back to another channel) or the provider (try the next one). */
export type ErrorScope = 'recipient' | 'provider';

export interface DeliveryErrorOptions {
  /** The provider's own code (`21211`, `messaging/registration-token-not-registered`, `550`). */
  code?: string;
  /** HTTP status or SMTP reply code, when there was one. */
  status?: number;
  /** The provider's response, truncated before it is stored. */
  response?: string;
  /** For transient errors: the provider asked us to wait this long (Retry-After). */
  retryAfterMs?: number;
  /**
   * The address that can never work again (an unregistered push token, an expired web push
   * subscription): the engine removes it from the subscriber so it is not tried again.
   */
  invalidDestination?: { kind: 'device' | 'email' | 'phone'; value: string };
  /** All such addresses when a send went to several (push devices); `invalidDestination` is the first. */
  invalidDestinations?: Array<{ kind: 'device' | 'email' | 'phone'; value: string }>;
  /** Permanent errors: what the failure is about (default `recipient`). Config errors are always `provider`. */
  scope?: ErrorScope;
  cause?: unknown;
}

export abstract class DeliveryError extends Error {
  abstract readonly errorClass: ErrorClass;
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly response: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly invalidDestination: DeliveryErrorOptions['invalidDestination'];
  readonly invalidDestinations: NonNullable<DeliveryErrorOptions['invalidDestinations']>;
  /**
   * What decides the next step after a failure that is not retried: `recipient` stops the channel
   * for this person (fallback channel next), `provider` moves to the channel's next provider.
   */
  abstract readonly scope: ErrorScope;

  constructor(message: string, options: DeliveryErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.response = options.response;
    this.retryAfterMs = options.retryAfterMs;
    this.invalidDestination = options.invalidDestination ?? options.invalidDestinations?.[0];
    this.invalidDestinations = options.invalidDestinations ?? (this.invalidDestination ? [this.invalidDestination] : []);
  }
}

export class TransientError extends DeliveryError {
  readonly errorClass = 'transient' as const;
  /** A retry goes to the same provider; once exhausted, the channel's next provider is tried. */
  readonly scope = 'provider' as const;
  override name = 'TransientError';
}

export class PermanentError extends DeliveryError {
  readonly errorClass = 'permanent' as const;
  readonly scope: ErrorScope;
  override name = 'PermanentError';

  constructor(message: string, options: DeliveryErrorOptions = {}) {
    super(message, options);
    this.scope = options.scope ?? 'recipient';
  }
}

export class ConfigError extends DeliveryError {
  readonly errorClass = 'config' as const;
  readonly scope = 'provider' as const;
  override name = 'ConfigError';
}

export function isDeliveryError(err: unknown): err is DeliveryError {
  return err instanceof DeliveryError;
}
