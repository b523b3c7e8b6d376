import { classifyHttp, excerpt, parseRetryAfter } from './classify.ts';
import { ConfigError, PermanentError, TransientError } from './errors.ts';
import type { DeliveryError } from './errors.ts';
import type { CallbackRequest } from './types.ts';

/**
 * What one documented provider error code means: `transient` (retry), `config` (fix the
 * provider), or a permanent failure about the `recipient` (fall back to another channel) or about
 * the `provider` (try the channel's next provider).
 */
export type CodeMeaning = 'transient' | 'config' | 'recipient' | 'provider';

/** A provider's documented error codes and what each one means. */
export type ErrorCodeTable = Readonly<Record<string, CodeMeaning>>;

/**
 * Classifies a provider failure by its documented code first; a code the table does not list
 * falls back to the HTTP status (`classifyHttp`), or to `fallback` when the provider answered
 * without an HTTP error (codes inside a 200 response, as some SMS APIs do).
 */
export function classifyCode(
  table: ErrorCodeTable,
  code: string | number | undefined | null,
  options: { message: string; status?: number; body?: string; retryAfter?: string | null; fallback?: CodeMeaning },
): DeliveryError {
  const key = code === undefined || code === null || code === '' ? undefined : String(code);
  const known = key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
  const meaning = known ?? (options.status !== undefined && options.status >= 400 ? undefined : (options.fallback ?? 'provider'));
  if (meaning === undefined) return classifyHttp(options.status!, { body: options.body, code: key, retryAfter: options.retryAfter, message: options.message });
  const common = { status: options.status, code: key ?? (options.status !== undefined ? String(options.status) : undefined), response: excerpt(options.body) };
  if (meaning === 'config') return new ConfigError(options.message, common);
  if (meaning === 'transient') return new TransientError(options.message, { ...common, retryAfterMs: parseRetryAfter(options.retryAfter) });
  return new PermanentError(options.message, { ...common, scope: meaning });
}

/** The meaning of an error, as the code tables write it (for reports and tests). */
export function meaningOf(error: DeliveryError): CodeMeaning {
  return error.errorClass === 'permanent' ? error.scope : error.errorClass;
}

/**
 * The fields of a form-encoded callback (Twilio, Vonage), or the scalar fields of a JSON one, as
 * strings: what signature schemes over "the posted parameters" are computed on. Parsed from the
 * exact bytes when the body is a form, so what is verified is what the provider sent.
 */
export function callbackFields(request: CallbackRequest): Record<string, string> {
  const type = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (type.toLowerCase().includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(request.rawBody.toString('utf8')));
  }
  const fields: Record<string, string> = {};
  if (request.body && typeof request.body === 'object' && !Array.isArray(request.body)) {
    for (const [key, value] of Object.entries(request.body as Record<string, unknown>)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = String(value);
    }
  }
  return fields;
}
