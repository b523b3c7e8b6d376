import { ConfigError, PermanentError, TransientError, classifyHttp, classifyNetworkError, excerpt } from '@clarion/adapter-kit';
import type { DeliveryError } from '@clarion/adapter-kit';

/**
 * SES v2 errors by name: SendEmail's own (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors)
 * and the common AWS errors (https://docs.aws.amazon.com/ses/latest/APIReference-V2/CommonErrors.html).
 */
const PERMANENT = new Set(['MessageRejected', 'BadRequestException', 'ValidationException', 'ValidationError', 'SerializationException', 'InvalidParameterValue', 'InvalidParameterCombination', 'MissingParameter', 'MalformedQueryString']);
const CONFIG = new Set([
  'MailFromDomainNotVerifiedException', 'AccountSuspendedException', 'SendingPausedException', 'NotFoundException',
  'AccessDeniedException', 'AccessDenied', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException',
  'IncompleteSignature', 'MissingAuthenticationToken', 'ExpiredToken', 'ExpiredTokenException', 'NotAuthorized', 'OptInRequired',
  'InvalidSignatureException', 'AuthFailure', 'CredentialsProviderError',
]);
const TRANSIENT = new Set([
  'TooManyRequestsException', 'ThrottlingException', 'Throttling', 'LimitExceededException', 'InternalServiceErrorException',
  'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestExpired', 'RequestTimeout', 'RequestTimeoutException',
  'TimeoutError', 'AbortError',
]);

export function classifySesError(err: unknown): DeliveryError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $fault?: string; $response?: { headers?: Record<string, string> } };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const message = `SES ${name}: ${e?.message ?? String(err)}`;
  const common = { code: name, status, response: excerpt(e?.message), cause: err };
  if (PERMANENT.has(name)) return new PermanentError(message, common);
  if (CONFIG.has(name)) return new ConfigError(message, common);
  if (TRANSIENT.has(name)) return new TransientError(message, common);
  if (typeof status === 'number') return classifyHttp(status, { code: name, message, body: e?.message });
  if (e?.$fault === 'server') return new TransientError(message, common);
  // No answer from AWS at all: resets, DNS, refused connections.
  return classifyNetworkError(err);
}
