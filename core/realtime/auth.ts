import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { seal, unseal, type Sealed } from '../crypto.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError } from '../errors.ts';
import type { Clock } from '../kernel/clock.ts';
import { isUuid } from '../kernel/ids.ts';

/**
 * How subscribers' browsers authenticate to their own inbox (DESIGN.md "Trust model"), both
 * rooted in the tenant's inbox secret, which only the tenant's servers know:
 *
 * - the **subscriber hash**: HMAC-SHA256 of the subscriber's id under the secret, hex (the scheme
 *   Novu uses, so a page can switch). The tenant's server computes it once per subscriber and the
 *   page hands it to `POST /v1/inbox/session`, which answers with a token;
 * - a **token**: `cin_<claims>.<mac>`, the claims (tenant, subscriber, expiry, scopes) in base64url
 *   JSON and an HMAC-SHA256 over them with a key derived from the secret (HKDF, so a token's MAC
 *   can never pass as a subscriber hash). Minted by `POST /v1/subscribers/:id/inbox-token` (API
 *   key) or by the session route; short-lived (at most a day).
 *
 * A token opens its subscriber's inbox and nothing else. Rotating the secret invalidates every
 * hash and token at once, in every process (the change is announced through LISTEN/NOTIFY).
 */

export const INBOX_SCOPES = ['inbox:read', 'inbox:write', 'preferences'] as const;
export type InboxScope = (typeof INBOX_SCOPES)[number];

const TOKEN_PREFIX = 'cin_';
const SECRET_PREFIX = 'cis_';
/** Tokens live at most a day: a page refreshes them (the widget does, from a hash or an event). */
export const MAX_TOKEN_SECONDS = 86_400;
export const DEFAULT_TOKEN_SECONDS = 3600;

interface TokenClaims {
  /** purpose */
  p: 'inbox';
  /** tenant id */
  t: string;
  /** subscriber external id */
  s: string;
  /** expiry, seconds since the epoch */
  e: number;
  /** scopes (absent: all) */
  sc?: InboxScope[];
}

/** Who a verified token or hash speaks for. */
export interface InboxPrincipal {
  tenantId: string;
  externalId: string;
  scopes: InboxScope[];
  expiresAt: Date;
}

/** The subscriber a verified token speaks for, with the row id the inbox tables key on. */
export interface InboxSubscriber extends InboxPrincipal {
  subscriberId: string;
  /** For the audit trail: `subscriber:<external id>`. */
  actor: string;
}

interface TenantSecret {
  secret: string;
  tokenKey: Buffer;
}

export interface InboxAuthDeps {
  knex: Knex;
  clock: Clock;
  secretKey: () => Buffer;
  caches?: CacheFactory;
}

/** The subscriber hash of a subscriber id under an inbox secret (hex HMAC-SHA256, as Novu computes it). */
export function subscriberHash(secret: string, externalId: string): string {
  return createHmac('sha256', secret).update(externalId).digest('hex');
}

export class InboxAuth {
  readonly #deps: InboxAuthDeps;
  readonly #secrets: TtlCache<TenantSecret | null>;

  constructor(deps: InboxAuthDeps) {
    this.#deps = deps;
    this.#secrets = (deps.caches ?? localCaches(0)).cache('inbox_secrets');
  }

  /** `GET /v1/tenant/inbox-secret`: the tenant's secret, created on first use. */
  async secret(tenantId: string, actor: string): Promise<{ secret: string; rotatedAt: string }> {
    const { knex, clock } = this.#deps;
    const current = await knex('tenants').where({ id: tenantId }).first('inbox_secret', 'inbox_secret_rotated_at');
    if (current?.inbox_secret) return { secret: this.#open(current.inbox_secret), rotatedAt: new Date(current.inbox_secret_rotated_at).toISOString() };
    // Two first reads at once: the first write wins and both answer with what it wrote.
    await knex.transaction(async (trx) => {
      const created = await trx('tenants')
        .where({ id: tenantId })
        .whereNull('inbox_secret')
        .update({ inbox_secret: JSON.stringify(seal(this.#deps.secretKey(), newSecret())), inbox_secret_rotated_at: clock.now() });
      if (created > 0) {
        await audit(trx, tenantId, actor, 'tenant.inbox_secret_created', tenantId, {}, 'tenant');
        await announceChange(trx, 'inbox_secrets', tenantId);
      }
    });
    this.#secrets.drop(tenantId);
    return this.secret(tenantId, actor);
  }

  /** `POST /v1/tenant/inbox-secret`: a new secret; every hash and token of the old one stops working. */
  async rotate(tenantId: string, actor: string): Promise<{ secret: string; rotatedAt: string }> {
    const { knex, clock } = this.#deps;
    const secret = newSecret();
    const now = clock.now();
    await knex.transaction(async (trx) => {
      await trx('tenants').where({ id: tenantId }).update({ inbox_secret: JSON.stringify(seal(this.#deps.secretKey(), secret)), inbox_secret_rotated_at: now });
      await audit(trx, tenantId, actor, 'tenant.inbox_secret_rotated', tenantId, {}, 'tenant');
      await announceChange(trx, 'inbox_secrets', tenantId);
    }).finally(() => this.#secrets.drop(tenantId));
    return { secret, rotatedAt: now.toISOString() };
  }

  /** A token for one subscriber of the tenant, valid `seconds`, for `scopes` (all by default). */
  async mint(tenantId: string, externalId: string, options: { seconds?: number; scopes?: InboxScope[] } = {}): Promise<{ token: string; expiresAt: string; scopes: InboxScope[] }> {
    const tenant = await this.#tenantSecret(tenantId, true);
    const seconds = options.seconds ?? DEFAULT_TOKEN_SECONDS;
    const e = Math.floor(this.#deps.clock.now().getTime() / 1000) + seconds;
    const scopes = options.scopes && options.scopes.length > 0 ? [...new Set(options.scopes)] : [...INBOX_SCOPES];
    const claims: TokenClaims = { p: 'inbox', t: tenantId, s: externalId, e, ...(scopes.length === INBOX_SCOPES.length ? {} : { sc: scopes }) };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const mac = createHmac('sha256', tenant!.tokenKey).update(body).digest('base64url');
    return { token: `${TOKEN_PREFIX}${body}.${mac}`, expiresAt: new Date(e * 1000).toISOString(), scopes };
  }

  /** The principal of a genuine, unexpired token; a 401 otherwise (changed, expired, another tenant's secret, rotated). */
  async verifyToken(token: string): Promise<InboxPrincipal> {
    const invalid = () => new ClarionError('CLARION_ERR_INBOX_AUTH_INVALID', 'The inbox token is not valid: it was changed, signed with another secret (another tenant, or before a rotation), or is not an inbox token');
    const match = /^cin_([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) throw invalid();
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (claims?.p !== 'inbox' || typeof claims.t !== 'string' || !isUuid(claims.t) || typeof claims.s !== 'string' || !Number.isInteger(claims.e)) throw invalid();
    if (claims.sc !== undefined && (!Array.isArray(claims.sc) || !claims.sc.every((s) => (INBOX_SCOPES as readonly string[]).includes(s)))) throw invalid();
    // The claims name the tenant whose secret must have signed them: a token signed with another
    // tenant's secret fails here, whatever tenant it claims.
    const tenant = await this.#tenantSecret(claims.t, false);
    if (!tenant) throw invalid();
    const expected = createHmac('sha256', tenant.tokenKey).update(match[1]).digest();
    const given = Buffer.from(match[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    if (claims.e * 1000 <= this.#deps.clock.now().getTime()) throw new ClarionError('CLARION_ERR_INBOX_TOKEN_EXPIRED', 'The inbox token has expired: ask your server for a new one');
    return { tenantId: claims.t, externalId: claims.s, scopes: claims.sc ?? [...INBOX_SCOPES], expiresAt: new Date(claims.e * 1000) };
  }

  /** Whether `hash` is the subscriber hash of `externalId` under the tenant's secret (constant time). */
  async checkHash(tenantId: string, externalId: string, hash: string): Promise<boolean> {
    const tenant = isUuid(tenantId) ? await this.#tenantSecret(tenantId, false) : null;
    if (!tenant || !/^[0-9a-fA-F]{64}$/.test(hash)) return false;
    const expected = Buffer.from(subscriberHash(tenant.secret, externalId), 'hex');
    return timingSafeEqual(expected, Buffer.from(hash, 'hex'));
  }

  async #tenantSecret(tenantId: string, create: boolean): Promise<TenantSecret | null> {
    const load = async (): Promise<TenantSecret | null> => {
      const row = await this.#deps.knex('tenants').where({ id: tenantId }).first('inbox_secret');
      if (!row?.inbox_secret) return null;
      const secret = this.#open(row.inbox_secret);
      return { secret, tokenKey: Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), 'clarion inbox token v1', 32)) };
    };
    const found = await this.#secrets.get(tenantId, load);
    if (found || !create) return found;
    // Minting for a tenant that never read its secret creates it (its hashes need it anyway). The
    // absence cached here may be stale (another request or gateway created the secret since, and
    // its announcement has not arrived): it is dropped before the secret is read again.
    await this.secret(tenantId, 'system');
    this.#secrets.drop(tenantId);
    const created = await this.#secrets.get(tenantId, load);
    if (!created) throw new Error(`the inbox secret of tenant ${tenantId} could not be created`);
    return created;
  }

  #open(sealed: Sealed): string {
    return unseal<string>(this.#deps.secretKey(), sealed);
  }
}

function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}
