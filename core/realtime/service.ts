import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { CacheFactory } from '../cache-invalidation.ts';
import type { Config } from '../config.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError } from '../errors.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { schemaAjv } from '../kernel/schema.ts';
import type { Clock, Timers } from '../kernel/clock.ts';
import { checkExternalId } from '../subscribers/service.ts';
import { InboxAuth, type InboxScope, type InboxSubscriber } from './auth.ts';
import { InboxFeed, type FeedDeps } from './feed.ts';
import { InboxHub } from './hub.ts';
import { Presence } from './presence.ts';
import { inboxSessionRequestSchema, inboxTokenRequestSchema, type InboxSessionRequest, type InboxTokenRequest } from './schemas.ts';
import type { InboxTokenView, PresenceView } from './views.ts';

export interface InboxDeps {
  knex: Knex;
  config: Config;
  clock: Clock;
  /** The streams' heartbeats and liveness checks (core/realtime/hub.ts). */
  timers: Timers;
  log: Logger;
  workflows: FeedDeps['workflows'];
  webhooks: FeedDeps['webhooks'];
  caches?: CacheFactory;
}

export type { InboxSubscriber };

const ajv = schemaAjv();
const validateToken = ajv.compile<InboxTokenRequest>(inboxTokenRequestSchema);
const validateSession = ajv.compile<InboxSessionRequest>(inboxSessionRequestSchema);

export function checkBody<T>(validate: ValidateFunction<T>, body: unknown, what: string): T {
  const copy = structuredClone(body ?? {});
  if (!validate(copy)) throw new ClarionError('CLARION_ERR_INBOX_INVALID', `Invalid ${what}`, { errors: toFieldErrors(validate.errors ?? []) });
  return copy as T;
}

/**
 * The in-app inbox as its subscriber sees it (core/realtime): authentication of browsers, the
 * feed and its states, the stream hub and presence. The in-app adapter writes the items
 * (`putInboxItem`, called by the delivery engine's host).
 */
export class InboxService {
  readonly auth: InboxAuth;
  /** The feed, its states and the change log the streams push. */
  readonly feed: InboxFeed;
  /** This process's streams (a gateway starts them with `start`, and hands `hub.upgrade` its HTTP server's upgrades). */
  readonly hub: InboxHub;
  /** Who is online: open streams, shared by every gateway through the database. */
  readonly presence: Presence;
  readonly #deps: InboxDeps;

  constructor(deps: InboxDeps) {
    this.#deps = deps;
    const secretKey = () => {
      if (!deps.config.secretKey) throw new ClarionError('CLARION_ERR_CONFIG_INVALID', 'CLARION_SECRET_KEY is not available to this process: inbox secrets cannot be read');
      return deps.config.secretKey;
    };
    this.auth = new InboxAuth({ knex: deps.knex, clock: deps.clock, secretKey, caches: deps.caches });
    this.feed = new InboxFeed({ knex: deps.knex, clock: deps.clock, workflows: deps.workflows, webhooks: deps.webhooks });
    this.hub = new InboxHub({
      knex: deps.knex,
      log: deps.log.child({ component: 'inbox-stream' }),
      clock: deps.clock,
      timers: deps.timers,
      heartbeatMs: deps.config.inboxHeartbeatMs,
      maxBufferBytes: deps.config.inboxMaxBufferBytes,
      authenticate: (header, token) => this.fromRequest(header, token, 'inbox:read'),
    });
    this.presence = new Presence({ knex: deps.knex, clock: deps.clock, log: deps.log.child({ component: 'presence' }), ttlMs: deps.config.inboxPresenceTtlMs });
    this.hub.on('opened', ({ tenantId, subscriberId }) => this.presence.opened(tenantId, subscriberId));
    this.hub.on('closed', ({ subscriberId }) => this.presence.closed(subscriberId));
  }

  /** A gateway's streams: listening for changes, and refreshing the presence of their subscribers. */
  async start(connectionString: string): Promise<void> {
    await this.hub.start(connectionString);
    this.presence.start();
  }

  /** Ends every stream; this process's subscribers are offline here. */
  async stop(): Promise<void> {
    await this.hub.stop();
    await this.presence.stop();
  }

  /** `POST /v1/subscribers/:id/inbox-token` (API key): a token for the subscriber, created bare when unknown. */
  async mintToken(tenantId: string, externalId: string, body: unknown, actor: string): Promise<InboxTokenView> {
    checkExternalId(externalId);
    const options = checkBody(validateToken, body, 'token request');
    const subscriberId = await this.#ensureSubscriber(tenantId, externalId, actor);
    const token = await this.auth.mint(tenantId, externalId, { seconds: options.ttlSeconds, scopes: options.scopes });
    await audit(this.#deps.knex, tenantId, actor, 'subscriber.inbox_token_issued', subscriberId, { ttlSeconds: options.ttlSeconds, scopes: token.scopes }, 'subscriber');
    return token;
  }

  /**
   * `POST /v1/inbox/session`: a subscriber hash exchanged for a token (what the widget does with a
   * `subscriber-hash`). A wrong hash, or a tenant without a secret, is a 401.
   */
  async session(body: unknown): Promise<InboxTokenView> {
    const input = checkBody(validateSession, body, 'session request');
    if (!(await this.auth.checkHash(input.tenantId, input.subscriberId, input.subscriberHash))) {
      throw new ClarionError('CLARION_ERR_INBOX_HASH_INVALID', 'The subscriber hash does not match: compute HMAC-SHA256(subscriber id) under the inbox secret of this tenant (GET /v1/tenant/inbox-secret), as hex');
    }
    checkExternalId(input.subscriberId);
    await this.#ensureSubscriber(input.tenantId, input.subscriberId, `subscriber:${input.subscriberId}`);
    return this.auth.mint(input.tenantId, input.subscriberId, { seconds: input.ttlSeconds, scopes: input.scopes });
  }

  /** `GET /v1/subscribers/:id/presence` (API key): whether the subscriber has an in-app stream open on some gateway. */
  async presenceOf(tenantId: string, externalId: string): Promise<PresenceView> {
    const row = await this.#deps.knex('subscribers').where({ tenant_id: tenantId, external_id: externalId }).whereNull('erased_at').first('id');
    if (!row) throw new ClarionError('CLARION_ERR_SUBSCRIBER_NOT_FOUND', `No subscriber ${externalId}`);
    const presence = await this.presence.of(this.#deps.knex, tenantId, row.id);
    return { subscriberId: externalId, online: presence.online, connections: presence.connections, lastSeenAt: presence.lastSeenAt?.toISOString() ?? null };
  }

  /** The subscriber of a bearer token: 401 when the token is not genuine or its subscriber was erased. */
  async authenticate(token: string): Promise<InboxSubscriber> {
    const principal = await this.auth.verifyToken(token);
    const row = await this.#deps.knex('subscribers').where({ tenant_id: principal.tenantId, external_id: principal.externalId }).whereNull('erased_at').first('id');
    if (!row) throw new ClarionError('CLARION_ERR_INBOX_AUTH_INVALID', 'The inbox token names a subscriber that no longer exists');
    return { ...principal, subscriberId: row.id, actor: `subscriber:${principal.externalId}` };
  }

  /**
   * The subscriber of a request's inbox token (the Authorization header's, else `query`, for
   * WebSocket and EventSource which cannot send headers), checked for `scope`.
   */
  async fromRequest(header: string | undefined, query: unknown, scope: InboxScope | undefined, setHeader: (name: string, value: string) => void = () => {}): Promise<InboxSubscriber> {
    const fromHeader = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const token = fromHeader ?? (typeof query === 'string' && query !== '' ? query : undefined);
    if (!token) {
      setHeader('WWW-Authenticate', 'Bearer realm="clarion-inbox"');
      throw new ClarionError('CLARION_ERR_INBOX_AUTH_MISSING', "Send the subscriber's inbox token as Authorization: Bearer <token> (POST /v1/subscribers/{id}/inbox-token, or POST /v1/inbox/session with a subscriber hash)");
    }
    let subscriber: InboxSubscriber;
    try {
      subscriber = await this.authenticate(token);
    } catch (err) {
      if (err instanceof ClarionError && err.status === 401) setHeader('WWW-Authenticate', 'Bearer realm="clarion-inbox", error="invalid_token"');
      throw err;
    }
    if (scope && !subscriber.scopes.includes(scope)) {
      setHeader('WWW-Authenticate', `Bearer realm="clarion-inbox", error="insufficient_scope", scope="${scope}"`);
      throw new ClarionError('CLARION_ERR_INBOX_SCOPE_MISSING', `This token does not carry the scope ${scope} (it has ${subscriber.scopes.join(', ')})`);
    }
    return subscriber;
  }

  /**
   * Drops the changes older than CLARION_INBOX_CHANGES_KEEP_HOURS. Retention is operational time,
   * as the changes' `created_at` is (the database's): like a cache TTL, not business time.
   */
  async prune(): Promise<{ changes: number; presence: number }> {
    const { knex, config, log } = this.#deps;
    const changes = await knex('inbox_changes').whereRaw(`created_at < now() - make_interval(hours => ?)`, [config.inboxChangesKeepHours]).delete();
    const presence = await this.presence.prune();
    if (changes > 0 || presence > 0) log.info({ changes, presence }, 'old inbox changes and dead processes\' presence pruned');
    return { changes, presence };
  }

  /** The subscriber's row id; a bare subscriber is created for an id the tenant never used. */
  async #ensureSubscriber(tenantId: string, externalId: string, actor: string): Promise<string> {
    const { knex } = this.#deps;
    return knex.transaction(async (trx) => {
      const [created] = await trx('subscribers').insert({ tenant_id: tenantId, external_id: externalId }).onConflict(['tenant_id', 'external_id']).ignore().returning('id');
      if (created) {
        await audit(trx, tenantId, actor, 'subscriber.created', created.id, { via: 'inbox' });
        return created.id as string;
      }
      const row = await trx('subscribers').where({ tenant_id: tenantId, external_id: externalId }).first('id');
      return row.id as string;
    });
  }
}
