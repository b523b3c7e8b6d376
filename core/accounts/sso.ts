import { isIP } from 'node:net';
import type { OutboundPolicy } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import * as oidc from 'openid-client';
import { seal, unseal, type Sealed } from '../crypto.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import type { Clock } from '../kernel/clock.ts';
import { isUuid } from '../kernel/ids.ts';
import { isTenantRole, TENANT_ROLES, type TenantRole } from './roles.ts';

/**
 * Single sign-on to the console with OpenID Connect (openid-client), configured per tenant by its
 * owner: the issuer, the client, and which claim values give which role. Every request to the
 * identity provider (discovery, token, keys) goes through the operator's outbound policy, so a
 * tenant cannot aim the server at a private or metadata address; plain http only to a host the
 * operator allows (an internal identity provider).
 */

export interface SsoSettings {
  issuer: string;
  clientId: string;
  /** Write-only: whether one is stored. */
  hasClientSecret: boolean;
  /** The claim holding the user's groups or role (a string or an array of strings). */
  roleClaim: string;
  /** Claim value -> role. */
  roleMap: Record<string, TenantRole>;
  /** The role of a user none of whose values is mapped; null refuses them. */
  defaultRole: TenantRole | null;
  enabled: boolean;
  updatedAt: string;
}

/** What a login in progress keeps (in an HttpOnly cookie) between the start and the callback. */
export interface SsoPending {
  tenantId: string;
  state: string;
  nonce: string;
  verifier: string;
}

export interface SsoIdentity {
  subject: string;
  email: string;
  name?: string;
  role: TenantRole;
}

export interface SsoOptions {
  knex: Knex;
  clock: Clock;
  outbound: OutboundPolicy;
  secretKey: () => Buffer;
}

const RANK: Record<TenantRole, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };
const CLAIM = /^[A-Za-z0-9_:.\-/]{1,100}$/;

export class SingleSignOn {
  readonly #o: SsoOptions;

  constructor(options: SsoOptions) {
    this.#o = options;
  }

  async settings(tenantId: string): Promise<SsoSettings | undefined> {
    const row = await this.#o.knex('admin_sso').where({ tenant_id: tenantId }).first();
    return row ? view(row) : undefined;
  }

  /** Saves the settings; an empty client secret keeps the stored one. */
  async save(tenantId: string, input: { issuer?: string; clientId?: string; clientSecret?: string; roleClaim?: string; roleMap?: unknown; defaultRole?: string | null; enabled?: boolean }, actor: string): Promise<SsoSettings> {
    const existing = await this.#o.knex('admin_sso').where({ tenant_id: tenantId }).first();
    const errors: FieldError[] = [];
    let issuer = '';
    try {
      issuer = this.#checkIssuer(input.issuer ?? '').href.replace(/\/$/, '');
    } catch (err) {
      errors.push({ pointer: '/issuer', message: (err as Error).message });
    }
    const clientId = (input.clientId ?? '').trim();
    if (!clientId || clientId.length > 300) errors.push({ pointer: '/clientId', message: 'is required (at most 300 characters)' });
    const secret = input.clientSecret ?? '';
    if (!secret && !existing) errors.push({ pointer: '/clientSecret', message: 'is required' });
    if (secret.length > 1000) errors.push({ pointer: '/clientSecret', message: 'is too long' });
    const roleClaim = (input.roleClaim ?? 'groups').trim();
    if (!CLAIM.test(roleClaim)) errors.push({ pointer: '/roleClaim', message: 'must be a claim name (letters, digits, _ : . - /)' });
    const roleMap: Record<string, TenantRole> = {};
    const map = input.roleMap ?? {};
    if (!map || typeof map !== 'object' || Array.isArray(map)) errors.push({ pointer: '/roleMap', message: 'must be an object of claim value to role' });
    else {
      for (const [value, role] of Object.entries(map)) {
        if (!isTenantRole(role)) errors.push({ pointer: `/roleMap/${value}`, message: `must be one of ${TENANT_ROLES.join(', ')}` });
        else if (value.length > 200) errors.push({ pointer: '/roleMap', message: 'claim values are at most 200 characters' });
        else roleMap[value] = role;
      }
    }
    const defaultRole = input.defaultRole ? input.defaultRole : null;
    if (defaultRole !== null && !isTenantRole(defaultRole)) errors.push({ pointer: '/defaultRole', message: `must be empty or one of ${TENANT_ROLES.join(', ')}` });
    if (defaultRole === 'owner') errors.push({ pointer: '/defaultRole', message: 'cannot be owner: map owners by a claim value' });
    if (errors.length > 0) throw new ClarionError('CLARION_ERR_ADMIN_SSO_INVALID', `Invalid single sign-on settings: ${errors.map((e) => `${e.pointer.slice(1)} ${e.message}`).join('; ')}`, { errors });
    const row = {
      tenant_id: tenantId,
      issuer,
      client_id: clientId,
      client_secret: secret ? JSON.stringify(seal(this.#o.secretKey(), secret)) : existing.client_secret,
      role_claim: roleClaim,
      role_map: JSON.stringify(roleMap),
      default_role: defaultRole,
      enabled: input.enabled ?? true,
      updated_at: this.#o.clock.now(),
    };
    const [saved] = await this.#o.knex('admin_sso').insert(row).onConflict('tenant_id').merge().returning('*');
    await audit(this.#o.knex, tenantId, actor, 'admin_sso.saved', tenantId, { issuer, clientId, roleClaim, roleMap, defaultRole, enabled: row.enabled, secretChanged: Boolean(secret) }, 'tenant');
    return view(saved);
  }

  /** The identity provider's authorisation URL for a login to `tenantId`, and what the callback checks. */
  async start(tenantId: string, redirectUri: string): Promise<{ url: string; pending: SsoPending }> {
    const { config } = await this.#client(tenantId);
    const pending: SsoPending = { tenantId, state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /** Checks the callback (state, nonce, PKCE, the ID token's signature) and maps the claims to a role. */
  async finish(pending: SsoPending, callbackUrl: URL): Promise<SsoIdentity> {
    const { config, settings } = await this.#client(pending.tenantId);
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
      claims = { ...(tokens.claims() ?? {}) };
      // Claims the ID token leaves out (groups, email) may come from the userinfo endpoint.
      if ((claims[settings.roleClaim] === undefined || claims.email === undefined) && tokens.access_token) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims, [settings.roleClaim]: claims[settings.roleClaim] ?? info[settings.roleClaim], email: claims.email ?? info.email };
      }
    } catch (err) {
      if (err instanceof ClarionError) throw err;
      throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', `The identity provider's answer was refused: ${(err as Error).message}`);
    }
    if (typeof claims.email !== 'string') throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', 'The identity provider gave no email address (scope email)');
    if (claims.email_verified === false) throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', 'The identity provider says this email address is not verified');
    const role = mapRole(claims[settings.roleClaim], settings);
    if (!role) throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', `No console role for this identity: its ${settings.roleClaim} claim maps to none`);
    return { subject: String(claims.sub), email: claims.email, name: typeof claims.name === 'string' ? claims.name : undefined, role };
  }

  async #client(tenantId: string): Promise<{ config: oidc.Configuration; settings: SsoSettings }> {
    const row = isUuid(tenantId) ? await this.#o.knex('admin_sso').where({ tenant_id: tenantId, enabled: true }).first() : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', 'Single sign-on is not set up for this organisation');
    const settings = view(row);
    const issuer = this.#checkIssuer(settings.issuer);
    const secret = unseal<string>(this.#o.secretKey(), (typeof row.client_secret === 'string' ? JSON.parse(row.client_secret) : row.client_secret) as Sealed);
    const guarded = ((url: string, init: RequestInit) => this.#o.outbound.fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(10_000) })) as oidc.CustomFetch;
    try {
      const config = await oidc.discovery(issuer, settings.clientId, undefined, oidc.ClientSecretBasic(secret), {
        [oidc.customFetch]: guarded,
        execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      });
      config[oidc.customFetch] = guarded;
      return { config, settings };
    } catch (err) {
      throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', `The identity provider ${issuer.href} could not be reached or described: ${(err as Error).message}`);
    }
  }

  /** An https URL the outbound policy allows; plain http only to a host the operator lets through. */
  #checkIssuer(value: string): URL {
    const url = this.#o.outbound.checkUrl(value.trim());
    if (url.search || url.hash) throw new Error('must have no query or fragment');
    if (url.protocol === 'http:') {
      const { allowList, allowPrivate } = this.#o.outbound;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!allowPrivate && !(isIP(host) ? allowList.allowsAddress(host) : allowList.allowsHost(host))) {
        throw new Error('must be an https URL (plain http only to a host of CLARION_OUTBOUND_ALLOWLIST)');
      }
    }
    return url;
  }
}

/** The highest role any of the claim's values maps to, else the default. */
export function mapRole(claim: unknown, settings: Pick<SsoSettings, 'roleMap' | 'defaultRole'>): TenantRole | null {
  const values = Array.isArray(claim) ? claim : claim === undefined || claim === null ? [] : [claim];
  let best: TenantRole | null = null;
  for (const value of values) {
    if (typeof value !== 'string' || !Object.hasOwn(settings.roleMap, value)) continue;
    const role = settings.roleMap[value];
    if (!best || RANK[role] > RANK[best]) best = role;
  }
  return best ?? settings.defaultRole;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function view(row: any): SsoSettings {
  return {
    issuer: row.issuer,
    clientId: row.client_id,
    hasClientSecret: Boolean(row.client_secret),
    roleClaim: row.role_claim,
    roleMap: typeof row.role_map === 'string' ? JSON.parse(row.role_map) : (row.role_map ?? {}),
    defaultRole: row.default_role ?? null,
    enabled: row.enabled,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
