export { ConfigError, DeliveryError, PermanentError, TransientError, isDeliveryError } from './errors.ts';
export type { DeliveryErrorOptions, ErrorClass } from './errors.ts';
