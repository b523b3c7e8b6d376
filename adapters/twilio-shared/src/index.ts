/**
 * Twilio plumbing shared by the three Twilio adapters (twilio-sms, twilio-whatsapp,
 * twilio-voice): credentials schema, the SDK client over the engine's fetch, error classification
 * of the codes every Twilio API shares, and callback signature checks. A library, not an adapter
 * (the registry loads only `@clarion/adapter-*`); like the kit, it knows nothing of core.
 * What is specific per channel (error codes, statuses, TwiML) stays in each adapter.
 */
import {
  CallbackRejected,
  ConfigError,
  DeliveryError,
  TransientError,
  callbackFields,
  callbackHeader,
  classifyCode,
  classifyNetworkError,
  excerpt,
  fetchOrClassify,
} from '@clarion/adapter-kit';
import type { CallbackRequest, ErrorCodeTable } from '@clarion/adapter-kit';
import type twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type * as HttpResponse from 'twilio/lib/http/response.js';

type Response<T> = HttpResponse.default<T>;

/** The Twilio credentials every Twilio adapter shares. */
export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

export const credentialProperties = {
  accountSid: { type: 'string', pattern: '^AC[0-9a-fA-F]{32}$', description: 'Twilio Account SID (AC…).' },
  authToken: {
    type: 'string',
    minLength: 1,
    writeOnly: true,
    description: "The account's Auth Token. Twilio signs status callbacks with it; also used for the REST API unless an API key is given.",
  },
  apiKeySid: { type: 'string', pattern: '^SK[0-9a-fA-F]{32}$', description: 'Optional API key SID (SK…) used for the REST API instead of the Auth Token.' },
  apiKeySecret: { type: 'string', minLength: 1, writeOnly: true, description: "The API key's secret." },
} as const;

export const credentialDependencies = { apiKeySid: ['apiKeySecret'], apiKeySecret: ['apiKeySid'] } as const;

type Twilio = typeof twilio;
let sdk: Promise<Twilio> | undefined;
let loaded: Twilio | undefined;

/**
 * Loads the twilio SDK, once per process. Each Twilio adapter awaits it in `create()`: the SDK is
 * not loaded with the adapters (at start), only when a sender of one of them is first created,
 * so a process whose tenants use no Twilio provider never holds it.
 */
export function loadTwilio(): Promise<Twilio> {
  return (sdk ??= import('twilio').then((m) => {
    loaded = m.default;
    fetchRequestClient = fetchRequestClientOf(loaded);
    return loaded;
  }));
}

/** The SDK, for code that runs once `loadTwilio()` has resolved (a sender's methods). */
export function twilioSdk(): Twilio {
  if (!loaded) throw new Error('the twilio SDK is not loaded: await loadTwilio() in create() first');
  return loaded;
}

type FetchRequestClient = InstanceType<ReturnType<typeof fetchRequestClientOf>>;
let fetchRequestClient: ReturnType<typeof fetchRequestClientOf> | undefined;

/**
 * The twilio SDK's HTTP layer, replaced by the engine's fetch: sends then honour the delivery's
 * AbortSignal and whatever the engine wraps fetch with (timeouts, guards), and never follow
 * redirects. The SDK still builds the request and parses Twilio's answers and errors.
 */
const fetchRequestClientOf = (sdk: Twilio) => class FetchRequestClient extends sdk.RequestClient {
  readonly #fetch: typeof fetch;
  readonly #signal: AbortSignal | undefined;
  /** The Retry-After header of the last answer (429s), which Twilio's RestException drops. */
  retryAfter: string | null = null;

  constructor(fetchImpl: typeof fetch, signal: AbortSignal | undefined) {
    super({ keepAlive: false });
    this.#fetch = fetchImpl;
    this.#signal = signal;
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const url = new URL(opts.uri);
    for (const [key, value] of Object.entries(opts.params ?? {})) appendParam(url.searchParams, key, value);
    const headers = new Headers();
    for (const [key, value] of Object.entries(opts.headers ?? {})) if (key.toLowerCase() !== 'connection') headers.set(key, value);
    if (opts.username && opts.password) headers.set('Authorization', `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`);
    else if (opts.authStrategy) headers.set('Authorization', await opts.authStrategy.getAuthString());
    let body: string | undefined;
    if (opts.data) {
      if (headers.get('content-type') === 'application/json') body = JSON.stringify(opts.data);
      else {
        const form = new URLSearchParams();
        for (const [key, value] of Object.entries(opts.data)) appendParam(form, key, value);
        body = form.toString();
      }
    }
    const res = await fetchOrClassify(this.#fetch, url.href, { method: opts.method.toUpperCase(), headers, body, signal: this.#signal });
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw classifyNetworkError(err);
    }
    this.retryAfter = res.headers.get('retry-after');
    return { statusCode: res.status, body: text as TData, headers: Object.fromEntries(res.headers) } as Response<TData>;
  }
};

function appendParam(params: URLSearchParams, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
  else params.append(key, String(value));
}

/** A Twilio REST client for one send (or one `verify`), isolated from the process environment. */
export function twilioClient(credentials: TwilioCredentials, fetchImpl: typeof fetch, signal?: AbortSignal): { client: twilio.Twilio; http: FetchRequestClient } {
  const twilio = twilioSdk();
  const http = new fetchRequestClient!(fetchImpl, signal);
  const [username, password] = credentials.apiKeySid && credentials.apiKeySecret ? [credentials.apiKeySid, credentials.apiKeySecret] : [credentials.accountSid, credentials.authToken];
  // env: {} so a TWILIO_REGION/TWILIO_EDGE of the host never reroutes a tenant's own account.
  const client = twilio(username, password, { accountSid: credentials.accountSid, httpClient: http, env: {}, userAgentExtensions: ['clarion'] });
  return { client, http };
}

/** Codes every Twilio REST API shares (https://www.twilio.com/docs/api/errors). */
export const COMMON_CODES: ErrorCodeTable = {
  '20003': 'config', // Authentication failed (wrong Account SID, Auth Token or API key)
  '20005': 'config', // Account not active
  '20008': 'config', // Test credentials cannot access this resource
  '20404': 'config', // The requested resource was not found (wrong Account SID, Messaging Service)
  '20429': 'transient', // Too many requests
  '20500': 'transient', // Internal server error
  '20503': 'transient', // Service unavailable
  '21211': 'recipient', // Invalid 'To' phone number: every provider would refuse it
  '21219': 'config', // 'To' number not verified (trial account)
  '21401': 'config', // Invalid phone number (not one of the account's numbers or sender ids)
  '21608': 'config', // 'To' number not verified for this (trial) account
};

/** Turns whatever a Twilio call threw into a classified delivery error. */
export function classifyTwilio(err: unknown, codes: ErrorCodeTable, retryAfter: string | null): DeliveryError {
  // Nothing the SDK threw can exist before it is loaded.
  if (loaded && err instanceof loaded.RestException) {
    const code = err.code ?? undefined;
    const body = JSON.stringify({ status: err.status, code: err.code, message: err.message, more_info: err.moreInfo });
    return classifyCode({ ...COMMON_CODES, ...codes }, code, {
      status: err.status,
      body: excerpt(body),
      retryAfter,
      message: `Twilio ${code ?? `HTTP ${err.status}`}: ${err.message}`,
    });
  }
  if (err instanceof SyntaxError) return new TransientError(`Twilio answered something that is not JSON: ${err.message}`, { code: 'BAD_RESPONSE', cause: err });
  return classifyNetworkError(err);
}

/**
 * Verifies `X-Twilio-Signature` with the SDK's validator against the public URL Twilio called and
 * the posted fields, and that the callback is for this account. Returns the fields.
 */
export function verifyTwilioCallback(request: CallbackRequest, credentials: TwilioCredentials): Record<string, string> {
  const signature = callbackHeader(request, 'x-twilio-signature');
  if (!signature) throw new CallbackRejected(401, 'the callback carries no X-Twilio-Signature');
  const fields = callbackFields(request);
  if (!twilioSdk().validateRequest(credentials.authToken, signature, request.url, fields)) {
    throw new CallbackRejected(403, 'the X-Twilio-Signature does not match this URL and body');
  }
  if (fields.AccountSid !== undefined && fields.AccountSid !== credentials.accountSid) {
    throw new CallbackRejected(403, 'the callback is for another Twilio account');
  }
  return fields;
}

/** A signal that is already aborted fails the send at once, without calling Twilio. */
export function assertNotAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  throw new TransientError(`send aborted before calling Twilio: ${reason}`, { code: 'ABORTED', cause: signal.reason });
}

/**
 * Checks the credentials without sending: the account must be active, and the Messaging Service
 * (when one is configured) must exist. Failures are classified with the adapter's own code table.
 */
export async function verifyTwilioAccount(config: TwilioCredentials & { messagingServiceSid?: string }, fetchImpl: typeof fetch, codes: ErrorCodeTable): Promise<void> {
  const { client, http } = twilioClient(config, fetchImpl);
  try {
    const account = await client.api.v2010.accounts(config.accountSid).fetch();
    if (account.status !== 'active') throw new ConfigError(`the Twilio account is ${account.status}`, { code: '20005' });
    if (config.messagingServiceSid) await client.messaging.v1.services(config.messagingServiceSid).fetch();
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    throw classifyTwilio(err, codes, http.retryAfter);
  }
}
