import { createHmac } from 'node:crypto';
import createFetchClient, { type Client } from 'openapi-fetch';
import { CloudEvent } from 'cloudevents';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { components, paths } from './openapi.js';

/**
 * @clarion/client: a typed client for Clarion's REST API, its types generated from the OpenAPI
 * document (src/openapi.ts). The helpers cover what a posting system needs; `api` is the whole
 * typed API (openapi-fetch) for the rest.
 */

export type Schemas = components['schemas'];
export type Subscriber = Schemas['Subscriber'];
export type SubscriberInput = Schemas['SubscriberInput'];
export type IngestResult = Schemas['IngestResult'];
export type BulkResult = Schemas['SubscriberBulkResult'];
export type Topic = Schemas['Topic'];
export type TopicMember = Schemas['TopicMember'];
export type InboxToken = Schemas['InboxToken'];
export type InboxScope = InboxToken['scopes'][number];
export type { paths, components };
export { WebhookVerificationError };

/** A CloudEvent of the official `cloudevents` SDK, or the same as a plain structured-mode object. */
export type CloudEventInput = CloudEvent<unknown> | (Record<string, unknown> & { id: string; source: string; type: string; specversion?: string });

export interface ClarionOptions {
  /** Where the gateway is, e.g. `http://clarion:8080`. */
  baseUrl: string;
  /** The tenant's API key (`ck_...`). */
  apiKey: string;
  /** Tries after the first on 429 and 503 answers and on network errors. Default 3. */
  retries?: number;
  /** First backoff delay, doubled each try (with full jitter), when no Retry-After says otherwise. Default 250 ms. */
  retryBaseMs?: number;
  /** No wait is longer, a Retry-After included. Default 30 s. */
  retryMaxMs?: number;
  fetch?: typeof globalThis.fetch;
  /** How to wait between tries (tests pass one that records the delays). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** The jitter's source, in [0, 1). Default Math.random. */
  random?: () => number;
  /** The time, in ms since the epoch, for a Retry-After given as a date. Default Date.now. */
  now?: () => number;
}

/** A field the server refused: a JSON Pointer into what was sent (`/data/orderId`, `header:ce-id`) and why. */
export interface FieldError {
  pointer: string;
  message: string;
}

/** An RFC 9457 problem document from Clarion, as an error: its code, status and failing fields. */
export class ClarionApiError extends Error {
  override readonly name = 'ClarionApiError';
  readonly status: number;
  /** `CLARION_ERR_*` (docs/errors.md). */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  /** The whole problem document (extension members included). */
  readonly problem: Record<string, unknown>;
  readonly requestId: string | undefined;

  constructor(status: number, problem: Record<string, unknown>, requestId?: string) {
    const detail = typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = typeof problem.code === 'string' ? problem.code : `HTTP_${status}`;
    this.title = typeof problem.title === 'string' ? problem.title : '';
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [];
    this.problem = problem;
    this.requestId = requestId;
  }
}

export interface Clarion {
  /** The whole API, typed (openapi-fetch): `api.GET('/v1/notifications/{id}', { params: { path: { id } } })`. */
  api: Client<paths>;
  events: {
    /** Posts one event (structured mode) or several (a batch of at most 1000); resent events come back under `duplicates`. */
    send(events: CloudEventInput | CloudEventInput[]): Promise<IngestResult>;
  };
  subscribers: {
    get(subscriberId: string): Promise<Subscriber>;
    /** Creates or replaces (PUT): fields not given are reset. */
    put(subscriberId: string, input: SubscriberInput & { reactivate?: boolean }): Promise<Subscriber>;
    /** Up to 10,000 at once, each setting only the fields it gives. */
    bulk(subscribers: Array<SubscriberInput & { id: string }>): Promise<BulkResult>;
    /** Every subscriber (optionally of a team or project), page after page. */
    list(filter?: { team?: string; project?: string; pageSize?: number }): AsyncIterable<Subscriber>;
    /** Erases the person (GDPR): their personal data goes from everywhere Clarion stored it. */
    erase(subscriberId: string): Promise<void>;
    /** A token of the subscriber's own that acknowledges their notifications (`POST /v1/notifications/{id}/ack`) and nothing else. */
    ackToken(subscriberId: string, options?: { ttlSeconds?: number }): Promise<{ token: string; expiresAt: string }>;
  };
  topics: {
    get(key: string): Promise<Topic>;
    /** Creates or updates a topic; events reach its members as the recipient `topic:<key>`. */
    put(key: string, input?: { name?: string | null; description?: string | null }): Promise<Topic>;
    /** Every topic, page after page. */
    list(filter?: { pageSize?: number }): AsyncIterable<Topic>;
    delete(key: string): Promise<void>;
    /** Adds subscribers (at most 10,000 ids; unknown ids are created bare, erased ones refused). */
    add(key: string, subscriberIds: string[]): Promise<Schemas['TopicAddResult']>;
    remove(key: string, subscriberIds: string[]): Promise<Schemas['TopicRemoveResult']>;
    /** Every member, page after page. */
    members(key: string, filter?: { pageSize?: number }): AsyncIterable<TopicMember>;
  };
  preferences: {
    /** What applies to the subscriber, and which scope decided. */
    get(subscriberId: string): Promise<Schemas['SubscriberPreferences']>;
    /** Replaces the subscriber's own preferences. */
    set(subscriberId: string, settings: Schemas['PreferenceInput']['settings']): Promise<Schemas['SubscriberPreferences']>;
  };
  inbox: {
    /**
     * A short-lived `cin_` token for the subscriber's in-app client (`<clarion-inbox token>` or
     * Authorization: Bearer): it opens that subscriber's inbox and nothing else. Default 1 hour,
     * every scope.
     */
    token(subscriberId: string, options?: { ttlSeconds?: number; scopes?: InboxScope[] }): Promise<InboxToken>;
    /**
     * The subscriber hash for `<clarion-inbox subscriber-hash>`: HMAC-SHA256 of the id under the
     * tenant's inbox secret (`GET /v1/tenant/inbox-secret`), computed here without a request.
     */
    subscriberHash(subscriberId: string, inboxSecret: string): string;
  };
  webhooks: {
    /**
     * Checks a webhook Clarion sent (Standard Webhooks signature, timestamp within 5 minutes) and
     * returns its CloudEvent. Pass the raw body as received. Throws `WebhookVerificationError`.
     */
    verify(headers: Headers | Record<string, string | string[] | undefined>, body: string | Buffer, secret: string): WebhookEvent;
  };
}

/** What Clarion's webhooks carry: a CloudEvent (JSON format). */
export interface WebhookEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  data?: unknown;
  [extension: string]: unknown;
}

export function createClarion(options: ClarionOptions): Clarion {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const api = createFetchClient<paths>({
    baseUrl,
    headers: { authorization: `Bearer ${options.apiKey}` },
    fetch: retrying(options),
  });

  // The answer's data, typed by the document (openapi-fetch); any other answer as a ClarionApiError.
  async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await call;
    if (!response.ok) throw problemOf(response, error);
    return data as T;
  }

  return {
    api,
    events: {
      send(events) {
        const batch = Array.isArray(events);
        return ok(
          api.POST('/v1/events', {
            // Already the CloudEvents JSON format: sent as is, under its own media type.
            body: (batch ? events.map(structured) : structured(events)) as paths['/v1/events']['post']['requestBody']['content']['application/cloudevents+json'],
            bodySerializer: (b: unknown) => JSON.stringify(b),
            headers: { 'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json' },
          }),
        );
      },
    },
    subscribers: {
      get: (subscriberId) => ok(api.GET('/v1/subscribers/{subscriberId}', { params: { path: { subscriberId } } })),
      put: (subscriberId, input) => ok(api.PUT('/v1/subscribers/{subscriberId}', { params: { path: { subscriberId } }, body: input })),
      bulk: (subscribers) => ok(api.POST('/v1/subscribers:bulk', { body: { subscribers } })),
      async *list(filter = {}) {
        let cursor: string | undefined;
        do {
          const page = await ok(api.GET('/v1/subscribers', { params: { query: { limit: filter.pageSize ?? 200, cursor, team: filter.team, project: filter.project } } }));
          yield* page.items;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      },
      async erase(subscriberId) {
        await ok(api.DELETE('/v1/subscribers/{subscriberId}', { params: { path: { subscriberId } } }));
      },
      ackToken: (subscriberId, tokenOptions = {}) =>
        ok(api.POST('/v1/subscribers/{subscriberId}/token', { params: { path: { subscriberId } }, body: tokenOptions.ttlSeconds === undefined ? {} : { ttlSeconds: tokenOptions.ttlSeconds } })),
    },
    topics: {
      get: (key) => ok(api.GET('/v1/topics/{key}', { params: { path: { key } } })),
      put: (key, input = {}) => ok(api.PUT('/v1/topics/{key}', { params: { path: { key } }, body: input })),
      async *list(filter = {}) {
        let cursor: string | undefined;
        do {
          const page = await ok(api.GET('/v1/topics', { params: { query: { limit: filter.pageSize ?? 200, cursor } } }));
          yield* page.items;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      },
      async delete(key) {
        await ok(api.DELETE('/v1/topics/{key}', { params: { path: { key } } }));
      },
      add: (key, subscribers) => ok(api.PUT('/v1/topics/{key}/subscribers', { params: { path: { key } }, body: { subscribers } })),
      remove: (key, subscribers) => ok(api.DELETE('/v1/topics/{key}/subscribers', { params: { path: { key } }, body: { subscribers } })),
      async *members(key, filter = {}) {
        let cursor: string | undefined;
        do {
          const page = await ok(api.GET('/v1/topics/{key}/subscribers', { params: { path: { key }, query: { limit: filter.pageSize ?? 200, cursor } } }));
          yield* page.items;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      },
    },
    preferences: {
      get: (subscriberId) => ok(api.GET('/v1/subscribers/{subscriberId}/preferences', { params: { path: { subscriberId } } })),
      set: (subscriberId, settings) => ok(api.PUT('/v1/subscribers/{subscriberId}/preferences', { params: { path: { subscriberId } }, body: { settings } })),
    },
    inbox: {
      token: (subscriberId, tokenOptions = {}) => ok(api.POST('/v1/subscribers/{subscriberId}/inbox-token', { params: { path: { subscriberId } }, body: { ...tokenOptions } })),
      subscriberHash: (subscriberId, inboxSecret) => createHmac('sha256', inboxSecret).update(subscriberId).digest('hex'),
    },
    webhooks: {
      verify(headers, body, secret) {
        const flat: Record<string, string> = {};
        if (headers instanceof Headers) headers.forEach((value, name) => (flat[name.toLowerCase()] = value));
        else for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
        return new Webhook(secret).verify(typeof body === 'string' ? body : body.toString('utf8'), flat) as WebhookEvent;
      },
    },
  };
}

/** An event in the CloudEvents JSON format (the SDK's own serialisation for its CloudEvent). */
function structured(event: CloudEventInput): Record<string, unknown> {
  if (event instanceof CloudEvent) return event.toJSON() as Record<string, unknown>;
  return { specversion: '1.0', ...event };
}

function problemOf(response: Response, error: unknown): ClarionApiError {
  const problem = error && typeof error === 'object' ? (error as Record<string, unknown>) : { detail: typeof error === 'string' && error ? error.slice(0, 500) : `HTTP ${response.status}` };
  return new ClarionApiError(response.status, problem, response.headers.get('x-request-id') ?? undefined);
}

/**
 * fetch, tried again on 429 and 503 (as `Retry-After` says, in seconds or as a date, else with
 * exponential backoff and full jitter): the server did not act on a refused request. After a
 * network error only requests that are safe to repeat go again: GET, PUT, DELETE, and the two
 * idempotent POSTs (ingest answers a resent event as a duplicate; the bulk upsert sets the same
 * fields again). A POST that creates something (an endpoint, a key) is not repeated blindly.
 */
function retrying(options: ClarionOptions): typeof globalThis.fetch {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const retries = options.retries ?? 3;
  const base = options.retryBaseMs ?? 250;
  const max = options.retryMaxMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const backoff = (attempt: number) => Math.min(max, random() * base * 2 ** attempt);
  return async (input, init) => {
    const request = new Request(input, init);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetchImpl(request.clone());
      } catch (err) {
        if (attempt >= retries || request.signal.aborted || !repeatable(request)) throw err;
        await sleep(backoff(attempt));
        continue;
      }
      if ((response.status !== 429 && response.status !== 503) || attempt >= retries) return response;
      const wait = retryAfterMs(response.headers.get('retry-after'), now());
      await response.body?.cancel();
      await sleep(wait === undefined ? backoff(attempt) : Math.min(max, wait));
    }
  };
}

function repeatable(request: Request): boolean {
  if (request.method !== 'POST' && request.method !== 'PATCH') return true;
  const path = new URL(request.url).pathname;
  return request.method === 'POST' && (path.endsWith('/v1/events') || path.endsWith('/v1/subscribers:bulk'));
}

/** `Retry-After` in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
