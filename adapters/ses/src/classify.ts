import { ConfigError, PermanentError, TransientError, classifyHttp, classifyNetworkError, excerpt } from '@clarion/adapter-kit';
import type { DeliveryError } from '@clarion/adapter-kit';

/**
 * SES v2 errors by name: SendEmail's own (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors)
 * and the common AWS errors (https://docs.aws.amazon.com/ses/latest/APIReference-V2/CommonErrors.html).
 */
const PERMANENT = new Set(['MessageRejected', 'BadRequestException', 'ValidationException', 'ValidationError', 'SerializationException', 'InvalidParameterValue', 'InvalidParameterCombination', 'MissingParameter', 'MalformedQueryString']);

/**
 * How SES words a refused address ("Illegal address", "Missing final '@domain'", "Domain contains
 * illegal character", "Address blacklisted."). It does not say which address: the sender is
 * checked at save and the same for every message, so the one that varies, the recipient's, is
 * taken to be at fault and the failure is about the recipient. Any other refusal is about this
 * request, and so the provider.
 */
const BAD_ADDRESS = /illegal address|invalid email address|missing final '@domain'|missing domain|(local address|domain) (contains|ends|starts)|address blacklisted/i;

/** A sandbox account sending to an unverified recipient, or an unverified sender: an admin must verify or leave the sandbox. */
const NOT_VERIFIED = /\bnot verified\b/i;
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
  if (name === 'MessageRejected' && NOT_VERIFIED.test(e?.message ?? '')) return new ConfigError(message, common);
  if (PERMANENT.has(name)) return new PermanentError(message, { ...common, scope: BAD_ADDRESS.test(e?.message ?? '') ? 'recipient' : 'provider' });
  if (CONFIG.has(name)) return new ConfigError(message, common);
  if (TRANSIENT.has(name)) return new TransientError(message, common);
  if (typeof status === 'number') return classifyHttp(status, { code: name, message, body: e?.message });
  if (e?.$fault === 'server') return new TransientError(message, common);
  // No answer from AWS at all: resets, DNS, refused connections.
  return classifyNetworkError(err);
}
