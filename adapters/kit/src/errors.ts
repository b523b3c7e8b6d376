/**
 * What an adapter throws. The class decides what the engine does next, so a failure is classified
 * once, at the adapter, from the provider's documented codes:
 * - TransientError: timeouts, resets, 429, 5xx: retry with backoff (honouring `retryAfterMs`).
 * - PermanentError: invalid recipient, other 4xx, a template that cannot render: no retry; the
 *   next provider or fallback channel may be tried.
 * - ConfigError: bad credentials, missing configuration: no retry; alert an admin.
 */
export type ErrorClass = 'transient' | 'permanent' | 'config';

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
  override name = 'TransientError';
}

export class PermanentError extends DeliveryError {
  readonly errorClass = 'permanent' as const;
  override name = 'PermanentError';
}

export class ConfigError extends DeliveryError {
  readonly errorClass = 'config' as const;
  override name = 'ConfigError';
}

export function isDeliveryError(err: unknown): err is DeliveryError {
  return err instanceof DeliveryError;
}
