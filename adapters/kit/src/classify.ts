import { ConfigError, DeliveryError, PermanentError, TransientError, type ErrorScope } from './errors.ts';

/** Shared failure classification, so adapters classify the same way and only their codes differ. */

const MAX_EXCERPT = 2000;

export function excerpt(text: string | undefined | null, max = MAX_EXCERPT): string | undefined {
  if (text === undefined || text === null) return undefined;
  return text.length > max ? `${text.slice(0, max)}…[${text.length - max} more]` : text;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Classifies an HTTP failure by status alone: 401/403 config, 408/425/429/5xx transient, other
 * 4xx permanent. A 4xx the adapter could not read more from is about the request this provider
 * refused (scope `provider`, so the channel's next provider may take it) unless the caller knows
 * better (`recipient` for a subscriber's own endpoint, or a body that names the recipient's
 * address). Provider is the safe guess: calling an unread refusal the recipient's would skip
 * every other provider on a failure nobody has shown to be about the person. Adapters with
 * documented error codes map those first and fall back to this.
 */
export function classifyHttp(status: number, options: { body?: string; code?: string; retryAfter?: string | null; message?: string; scope?: ErrorScope } = {}): DeliveryError {
  const message = options.message ?? `provider answered HTTP ${status}`;
  const common = { status, code: options.code ?? String(status), response: excerpt(options.body) };
  if (status === 401 || status === 403) return new ConfigError(message, common);
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return new TransientError(message, { ...common, retryAfterMs: parseRetryAfter(options.retryAfter) });
  }
  return new PermanentError(message, { ...common, scope: options.scope ?? 'provider' });
}

/** Network-level failures (no HTTP answer): resets, refusals, DNS, timeouts, aborts are transient. */
export function classifyNetworkError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code ?? e?.name ?? 'ERR_NETWORK';
  const message = e?.cause?.message ?? e?.message ?? String(err);
  if (code === 'ERR_INVALID_URL' || code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'CERT_HAS_EXPIRED') {
    return new ConfigError(`cannot reach the provider: ${message}`, { code, cause: err });
  }
  return new TransientError(`cannot reach the provider: ${message}`, { code, cause: err });
}

/**
 * The scope of a permanent SMTP reply. The enhanced status code (RFC 3463) decides when the server
 * gives one: X.1.x (addressing: unknown mailbox, bad destination, null MX), X.2.x (mailbox
 * disabled or full) and X.4.x (routing to the recipient's domain: no route, a loop) are about the
 * recipient; X.3.x (mail system), X.5.x (protocol), X.6.x (content) and X.7.x (policy: relaying
 * denied, refused as spam) are about this server. Without one, a refused RCPT TO and the basic
 * mailbox codes (550, 551, 552, 553) are the recipient's, anything else the server's.
 */
export function smtpScope(reply: { responseCode?: number; response?: string; command?: string }): ErrorScope {
  const enhanced = /^\s*\d{3}[\s-]+([245])\.(\d{1,3})\.\d{1,3}\b/.exec(reply.response ?? '');
  if (enhanced) return enhanced[2] === '1' || enhanced[2] === '2' || enhanced[2] === '4' ? 'recipient' : 'provider';
  if (/^RCPT/i.test(reply.command ?? '')) return 'recipient';
  return reply.responseCode !== undefined && [550, 551, 552, 553].includes(reply.responseCode) ? 'recipient' : 'provider';
}

/**
 * SMTP failures (nodemailer errors carry `responseCode` and `code`): 4xx replies are transient,
 * 5xx permanent (scoped by `smtpScope`), authentication failures (535, EAUTH) config, connection
 * trouble transient.
 */
export function classifySmtp(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { responseCode?: number; code?: string; response?: string; message?: string; command?: string };
  const message = e?.message ?? String(err);
  const common = { code: e?.responseCode ? String(e.responseCode) : e?.code, status: e?.responseCode, response: excerpt(e?.response), cause: err };
  if (e?.code === 'EAUTH' || e?.responseCode === 535 || e?.responseCode === 534 || e?.responseCode === 530) return new ConfigError(message, common);
  // A server that refuses TLS cannot take the message; an envelope refused before any reply has a bad address.
  if (e?.code === 'ETLS') return new PermanentError(message, { ...common, scope: 'provider' });
  if (e?.code === 'EENVELOPE' && !e?.responseCode) return new PermanentError(message, { ...common, scope: 'recipient' });
  if (typeof e?.responseCode === 'number') {
    if (e.responseCode >= 400 && e.responseCode < 500) return new TransientError(message, common);
    if (e.responseCode >= 500) return new PermanentError(message, { ...common, scope: smtpScope(e) });
  }
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ECONNREFUSED...: the server could not be talked to.
  return new TransientError(message, common);
}

/** Fetches with the send's signal and classifies network failures. Returns the response for the adapter to read. */
export async function fetchOrClassify(fetchImpl: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchImpl(url, { redirect: 'manual', ...init });
  } catch (err) {
    throw classifyNetworkError(err);
  }
}
