export { ConfigError, DeliveryError, PermanentError, TransientError, isDeliveryError } from './errors.ts';
export type { DeliveryErrorOptions, ErrorClass } from './errors.ts';
export { defineAdapter, secretPaths } from './define.ts';
export { classifyHttp, classifyNetworkError, classifySmtp, excerpt, fetchOrClassify, parseRetryAfter } from './classify.ts';
export { CallbackRejected } from './callback.ts';
export { CHANNELS } from './types.ts';
export type * from './types.ts';
