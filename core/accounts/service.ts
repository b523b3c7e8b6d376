import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError } from '../errors.ts';
import type { Clock } from '../kernel/clock.ts';
import { isUuid } from '../kernel/ids.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { isTenantRole, mayAssign, type Role, type TenantRole } from './roles.ts';

/**
 * Console accounts: users per tenant and operator super-admins, password logins with lockout,
 * sessions in PostgreSQL (the cookie holds a random token; the table its SHA-256), one-time
 * tokens for invitations and password resets. The console (admin/) calls this service, never
 * the tables.
 */

export interface AdminUser {
  id: string;
  tenantId: string | null;
  email: string;
  name: string | null;
  role: Role;
  /** false for an invited user who has not chosen a password yet (or one who signs in by SSO only). */
  hasPassword: boolean;
  lastLoginAt: string | null;
  lockedUntil: string | null;
  disabledAt: string | null;
  createdAt: string;
}

export interface AdminSession {
  user: AdminUser;
  /** The tenant the session acts in (an operator's choice; null until an operator picks one). */
  tenantId: string | null;
  csrfToken: string;
  locale: string | null;
  expiresAt: string;
}

export interface AccountOptions {
  knex: Knex;
  clock: Clock;
  /** Sliding lifetime of a session. */
  sessionTtlMs: number;
}

/** Consecutive failures before the account locks; the lock then doubles from a minute, up to an hour. */
export const LOCK_AFTER_FAILURES = 5;
const LOCK_BASE_MS = 60_000;
const LOCK_MAX_MS = 3_600_000;
const INVITATION_TTL_MS = 7 * 24 * 3_600_000;
const RESET_TTL_MS = 3_600_000;
const EMAIL = /^[^\s@]{1,200}@[^\s@]{1,200}\.[^\s@]{1,60}$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const token = () => randomBytes(32).toString('base64url');
const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function lockDuration(failures: number): number {
  if (failures < LOCK_AFTER_FAILURES) return 0;
  return Math.min(LOCK_MAX_MS, LOCK_BASE_MS * 2 ** (failures - LOCK_AFTER_FAILURES));
}

export class AccountService {
  readonly #knex: Knex;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(options: AccountOptions) {
    this.#knex = options.knex;
    this.#clock = options.clock;
    this.#ttlMs = options.sessionTtlMs;
  }

  // ------------------------------------------------------------------ users

  /** A user of a tenant (`tenantId`) or an operator (`tenantId: null`, role `operator`). */
  async createUser(input: { tenantId: string | null; email: string; role: string; password?: string; name?: string }, actor: string): Promise<AdminUser> {
    const email = normaliseEmail(input.email);
    const problems: Array<{ pointer: string; message: string }> = [];
    if (!email) problems.push({ pointer: '/email', message: 'must be an email address' });
    const operator = input.tenantId === null;
    if (operator ? input.role !== 'operator' : !isTenantRole(input.role)) {
      problems.push({ pointer: '/role', message: operator ? 'an operator has the role operator' : 'must be one of owner, admin, editor, viewer' });
    }
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password);
      if (problem) problems.push({ pointer: '/password', message: problem });
    }
    if (problems.length > 0) throw new ClarionError('CLARION_ERR_ADMIN_USER_INVALID', `Invalid user: ${problems.map((p) => `${p.pointer.slice(1)} ${p.message}`).join('; ')}`, { errors: problems });
    if (input.tenantId !== null && !(isUuid(input.tenantId) && (await this.#knex('tenants').where({ id: input.tenantId }).first('id')))) {
      throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', `No tenant has id ${input.tenantId}`);
    }
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    return this.#knex.transaction(async (trx) => {
      const existing = await this.#byEmail(trx, input.tenantId, email!);
      if (existing) throw new ClarionError('CLARION_ERR_ADMIN_USER_EXISTS', operator ? `There is an operator ${email} already` : `This tenant has a user ${email} already`);
      const now = this.#clock.now();
      const [row] = await trx('admin_users')
        .insert({ tenant_id: input.tenantId, email, role: input.role, name: input.name?.trim() || null, password_hash: passwordHash, created_at: now, updated_at: now })
        .returning('*');
      if (input.tenantId) await audit(trx, input.tenantId, actor, 'admin_user.created', row.id, { email, role: input.role }, 'admin_user');
      return view(row);
    });
  }

  async listUsers(tenantId: string): Promise<AdminUser[]> {
    const rows = await this.#knex('admin_users').where({ tenant_id: tenantId }).orderBy('email');
    return rows.map(view);
  }

  async getUser(tenantId: string, id: string): Promise<AdminUser> {
    const row = isUuid(id) ? await this.#knex('admin_users').where({ tenant_id: tenantId, id }).first() : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_ADMIN_USER_NOT_FOUND', `No user ${id} in this tenant`);
    return view(row);
  }

  /** Changes a user's role; `actorRole` must be allowed to give and take both roles. */
  async setRole(tenantId: string, id: string, role: string, actor: { id: string; role: Role }): Promise<AdminUser> {
    if (!isTenantRole(role)) throw new ClarionError('CLARION_ERR_ADMIN_USER_INVALID', 'role must be one of owner, admin, editor, viewer', { errors: [{ pointer: '/role', message: 'must be one of owner, admin, editor, viewer' }] });
    return this.#knex.transaction(async (trx) => {
      const row = await this.#lockUser(trx, tenantId, id);
      if (!mayAssign(actor.role, row.role) || !mayAssign(actor.role, role)) {
        throw new ClarionError('CLARION_ERR_ADMIN_FORBIDDEN', 'Only an owner gives or takes the owner role');
      }
      if (row.role === 'owner' && role !== 'owner') await this.#keepAnOwner(trx, tenantId, id);
      const [updated] = await trx('admin_users').where({ id: row.id }).update({ role, updated_at: this.#clock.now() }).returning('*');
      await audit(trx, tenantId, `admin:${actor.id}`, 'admin_user.role_changed', row.id, { email: row.email, from: row.role, to: role }, 'admin_user');
      // A demoted user's open sessions keep nothing of the old role: the role is read at each request.
      return view(updated);
    });
  }

  async removeUser(tenantId: string, id: string, actor: { id: string; role: Role }): Promise<void> {
    await this.#knex.transaction(async (trx) => {
      const row = await this.#lockUser(trx, tenantId, id);
      if (!mayAssign(actor.role, row.role)) throw new ClarionError('CLARION_ERR_ADMIN_FORBIDDEN', 'Only an owner removes an owner');
      if (row.role === 'owner') await this.#keepAnOwner(trx, tenantId, id);
      await trx('admin_users').where({ id: row.id }).delete();
      await audit(trx, tenantId, `admin:${actor.id}`, 'admin_user.removed', row.id, { email: row.email, role: row.role }, 'admin_user');
    });
  }

  async #lockUser(trx: Knex, tenantId: string, id: string) {
    const row = isUuid(id) ? await trx('admin_users').where({ tenant_id: tenantId, id }).forUpdate().first() : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_ADMIN_USER_NOT_FOUND', `No user ${id} in this tenant`);
    return row;
  }

  async #keepAnOwner(trx: Knex, tenantId: string, leaving: string): Promise<void> {
    const others = await trx('admin_users').where({ tenant_id: tenantId, role: 'owner' }).whereNot({ id: leaving }).forUpdate().select('id');
    if (others.length === 0) throw new ClarionError('CLARION_ERR_ADMIN_LAST_OWNER', 'This is the last owner of the tenant: make another user owner first');
  }

  #byEmail(db: Knex, tenantId: string | null, email: string) {
    const query = db('admin_users').where({ email });
    if (tenantId === null) query.whereNull('tenant_id');
    else query.where({ tenant_id: tenantId });
    return query.first();
  }

  // ------------------------------------------------------------------ logins and sessions

  /**
   * Checks an email and password. Every account with that email (one per tenant, and an
   * operator) is a candidate; the first whose password matches opens a session. A wrong
   * password counts against every candidate; a locked one is refused even with the right
   * password, until its lock ends.
   */
  async login(emailInput: string, password: string, options: { tenantId?: string; locale?: string } = {}): Promise<{ token: string; session: AdminSession }> {
    const email = normaliseEmail(emailInput) ?? '';
    const now = this.#clock.now();
    const query = this.#knex('admin_users').where({ email }).whereNull('disabled_at').orderByRaw('tenant_id is null desc, last_login_at desc nulls last').limit(20);
    if (options.tenantId) query.where({ tenant_id: options.tenantId });
    const candidates = email && password ? await query : [];
    if (candidates.length === 0) {
      await verifyPassword(password, null);
      throw failed();
    }
    let matched: Record<string, unknown> | undefined;
    for (const row of candidates) {
      if (row.locked_until && new Date(row.locked_until) > now) continue;
      if (await verifyPassword(password, row.password_hash)) {
        matched = row;
        break;
      }
    }
    if (!matched) {
      const locked = candidates.filter((r) => r.locked_until && new Date(r.locked_until) > now);
      // Failures count only against accounts that could have been opened.
      for (const row of candidates.filter((r) => !locked.includes(r))) {
        const failures = row.failed_logins + 1;
        const lockMs = lockDuration(failures);
        await this.#knex('admin_users').where({ id: row.id }).update({ failed_logins: failures, locked_until: lockMs ? new Date(now.getTime() + lockMs) : null });
        if (lockMs && row.tenant_id) await audit(this.#knex, row.tenant_id, 'system', 'admin_user.locked', row.id, { failures, minutes: lockMs / 60_000 }, 'admin_user');
      }
      const all = await this.#knex('admin_users').whereIn('id', candidates.map((r) => r.id)).select('locked_until');
      const until = all.map((r) => r.locked_until).filter((d) => d && new Date(d) > now).sort((a, b) => +new Date(a) - +new Date(b))[0];
      if (until) {
        throw new ClarionError('CLARION_ERR_ADMIN_LOCKED', `Too many failed attempts: this account is locked until ${new Date(until).toISOString()}`, { extensions: { lockedUntil: new Date(until).toISOString() } });
      }
      throw failed();
    }
    await this.#knex('admin_users').where({ id: matched.id }).update({ failed_logins: 0, locked_until: null, last_login_at: now });
    if (matched.tenant_id) await audit(this.#knex, matched.tenant_id as string, `admin:${matched.id}`, 'admin_user.logged_in', matched.id as string, { via: 'password' }, 'admin_user');
    return this.openSession(matched.id as string, { locale: options.locale });
  }

  /** A new session for a user (after a password or single sign-on); the token goes in the cookie. */
  async openSession(userId: string, options: { locale?: string } = {}): Promise<{ token: string; session: AdminSession }> {
    const user = await this.#knex('admin_users').where({ id: userId }).first();
    if (!user) throw new ClarionError('CLARION_ERR_ADMIN_USER_NOT_FOUND', `No user ${userId}`);
    const secret = token();
    const now = this.#clock.now();
    const expires = new Date(now.getTime() + this.#ttlMs);
    const csrf = token();
    await this.#knex('admin_sessions').insert({
      id: sha256(secret), user_id: userId, tenant_id: user.tenant_id, csrf_token: csrf, locale: options.locale ?? null,
      created_at: now, last_seen_at: now, expires_at: expires,
    });
    return { token: secret, session: { user: view(user), tenantId: user.tenant_id, csrfToken: csrf, locale: options.locale ?? null, expiresAt: expires.toISOString() } };
  }

  /** The live session of a cookie's token, its expiry slid forward (noted at most once a minute). */
  async session(secret: string | undefined): Promise<AdminSession | undefined> {
    if (!secret || secret.length > 100) return undefined;
    const now = this.#clock.now();
    const row = await this.#knex('admin_sessions as s')
      .join('admin_users as u', 'u.id', 's.user_id')
      .where('s.id', sha256(secret))
      .where('s.expires_at', '>', now)
      .whereNull('u.disabled_at')
      .first('s.tenant_id as session_tenant_id', 's.csrf_token', 's.locale', 's.expires_at', 's.last_seen_at', 'u.*');
    if (!row) return undefined;
    let expiresAt = new Date(row.expires_at);
    if (now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
      expiresAt = new Date(now.getTime() + this.#ttlMs);
      await this.#knex('admin_sessions').where({ id: sha256(secret) }).update({ last_seen_at: now, expires_at: expiresAt });
    }
    return { user: view(row), tenantId: row.session_tenant_id, csrfToken: row.csrf_token, locale: row.locale, expiresAt: expiresAt.toISOString() };
  }

  async logout(secret: string | undefined): Promise<void> {
    if (secret) await this.#knex('admin_sessions').where({ id: sha256(secret) }).delete();
  }

  /** An operator's session moves to another tenant (tenant users stay in their own). */
  async actAs(secret: string, tenantId: string): Promise<void> {
    const session = await this.session(secret);
    if (!session || session.user.role !== 'operator') throw new ClarionError('CLARION_ERR_ADMIN_FORBIDDEN', 'Only operators switch tenants');
    if (!isUuid(tenantId) || !(await this.#knex('tenants').where({ id: tenantId }).first('id'))) throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', `No tenant ${tenantId}`);
    await this.#knex('admin_sessions').where({ id: sha256(secret) }).update({ tenant_id: tenantId });
  }

  async setLocale(secret: string, locale: string): Promise<void> {
    await this.#knex('admin_sessions').where({ id: sha256(secret) }).update({ locale });
  }

  /** Tenants an operator may act in. */
  async tenants(): Promise<Array<{ id: string; name: string }>> {
    return this.#knex('tenants').orderBy('name').select('id', 'name').limit(500);
  }

  /** Drops sessions that expired (the console calls this now and then). */
  async sweep(): Promise<number> {
    return this.#knex('admin_sessions').where('expires_at', '<=', this.#clock.now()).delete();
  }

  // ------------------------------------------------------------------ invitations and resets

  /** Invites someone: a user without a password and a one-time link (7 days) to choose one. */
  async invite(tenantId: string, input: { email: string; role: string; name?: string }, actor: { id: string; role: Role }): Promise<{ user: AdminUser; token: string }> {
    if (isTenantRole(input.role) && !mayAssign(actor.role, input.role)) throw new ClarionError('CLARION_ERR_ADMIN_FORBIDDEN', 'Only an owner invites an owner');
    const user = await this.createUser({ tenantId, email: input.email, role: input.role, name: input.name }, `admin:${actor.id}`);
    const secret = await this.#issue(user.id, 'invitation', INVITATION_TTL_MS, `admin:${actor.id}`);
    await audit(this.#knex, tenantId, `admin:${actor.id}`, 'admin_user.invited', user.id, { email: user.email, role: user.role }, 'admin_user');
    return { user, token: secret };
  }

  /**
   * A password reset link (1 hour) for each active account with this email in the tenant, or
   * none (the answer never says whether the account exists).
   */
  async requestReset(email: string, tenantId: string): Promise<Array<{ user: AdminUser; token: string }>> {
    const address = normaliseEmail(email);
    if (!address || !isUuid(tenantId)) return [];
    const rows = await this.#knex('admin_users').where({ email: address, tenant_id: tenantId }).whereNull('disabled_at');
    const out = [];
    for (const row of rows) {
      out.push({ user: view(row), token: await this.#issue(row.id, 'password_reset', RESET_TTL_MS, 'system') });
      await audit(this.#knex, tenantId, 'system', 'admin_user.password_reset_requested', row.id, {}, 'admin_user');
    }
    return out;
  }

  /** A password reset link for one account, for the operator's command line (operators have no tenant email provider). */
  async resetToken(tenantId: string | null, email: string, actor: string): Promise<{ user: AdminUser; token: string }> {
    const address = normaliseEmail(email);
    const row = address ? await this.#byEmail(this.#knex, tenantId, address) : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_ADMIN_USER_NOT_FOUND', `No console user ${email}${tenantId ? ' in this tenant' : ' among the operators'}`);
    if (tenantId) await audit(this.#knex, tenantId, actor, 'admin_user.password_reset_requested', row.id, {}, 'admin_user');
    return { user: view(row), token: await this.#issue(row.id, 'password_reset', RESET_TTL_MS, actor) };
  }

  /** What a one-time link is for, without using it. */
  async inspectToken(secret: string): Promise<{ kind: 'invitation' | 'password_reset'; user: AdminUser }> {
    const row = await this.#token(this.#knex, secret);
    return { kind: row.kind, user: view(await this.#knex('admin_users').where({ id: row.user_id }).first()) };
  }

  /** Uses an invitation or reset link: sets the password, unlocks, ends other sessions, opens one. */
  async redeem(secret: string, password: string): Promise<{ token: string; session: AdminSession }> {
    const problem = passwordProblem(password);
    if (problem) throw new ClarionError('CLARION_ERR_ADMIN_USER_INVALID', `The password ${problem}`, { errors: [{ pointer: '/password', message: problem }] });
    const hash = await hashPassword(password);
    const userId = await this.#knex.transaction(async (trx) => {
      const row = await this.#token(trx, secret, true);
      const now = this.#clock.now();
      await trx('admin_tokens').where({ id: row.id }).update({ used_at: now });
      await trx('admin_tokens').where({ user_id: row.user_id, kind: row.kind }).whereNull('used_at').update({ used_at: now });
      const [user] = await trx('admin_users').where({ id: row.user_id }).update({ password_hash: hash, failed_logins: 0, locked_until: null, updated_at: now }).returning('*');
      await trx('admin_sessions').where({ user_id: row.user_id }).delete();
      if (user.tenant_id) await audit(trx, user.tenant_id, `admin:${user.id}`, row.kind === 'invitation' ? 'admin_user.invitation_accepted' : 'admin_user.password_reset', user.id, {}, 'admin_user');
      return user.id as string;
    });
    return this.openSession(userId);
  }

  async #issue(userId: string, kind: 'invitation' | 'password_reset', ttlMs: number, actor: string): Promise<string> {
    const secret = token();
    const now = this.#clock.now();
    await this.#knex('admin_tokens').insert({ kind, token_hash: sha256(secret), user_id: userId, created_by: actor, created_at: now, expires_at: new Date(now.getTime() + ttlMs) });
    return secret;
  }

  async #token(db: Knex, secret: string, forUpdate = false) {
    const query = db('admin_tokens').where({ token_hash: sha256(secret ?? '') }).whereNull('used_at').where('expires_at', '>', this.#clock.now());
    if (forUpdate) query.forUpdate();
    const row = secret && secret.length < 100 ? await query.first() : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_ADMIN_TOKEN_INVALID', 'This link is unknown, already used or expired: ask for a new one');
    return row;
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const row = await this.#knex('admin_users').where({ id: userId }).first();
    if (!row || !(await verifyPassword(current, row.password_hash))) {
      throw new ClarionError('CLARION_ERR_ADMIN_USER_INVALID', 'The current password is wrong', { errors: [{ pointer: '/current', message: 'is wrong' }] });
    }
    const problem = passwordProblem(next);
    if (problem) throw new ClarionError('CLARION_ERR_ADMIN_USER_INVALID', `The new password ${problem}`, { errors: [{ pointer: '/password', message: problem }] });
    await this.#knex('admin_users').where({ id: userId }).update({ password_hash: await hashPassword(next), updated_at: this.#clock.now() });
    if (row.tenant_id) await audit(this.#knex, row.tenant_id, `admin:${userId}`, 'admin_user.password_changed', userId, {}, 'admin_user');
  }

  /** The user of a single sign-on identity: found by subject, else by email (then linked), else created. */
  async ssoUser(tenantId: string, identity: { subject: string; email: string; name?: string; role: TenantRole }): Promise<AdminUser> {
    const email = normaliseEmail(identity.email);
    if (!email) throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', 'The identity provider gave no usable email address');
    return this.#knex.transaction(async (trx) => {
      const now = this.#clock.now();
      let row = await trx('admin_users').where({ tenant_id: tenantId, oidc_subject: identity.subject }).forUpdate().first();
      row ??= await trx('admin_users').where({ tenant_id: tenantId, email }).forUpdate().first();
      if (row?.disabled_at) throw new ClarionError('CLARION_ERR_ADMIN_SSO_FAILED', 'This console user is disabled');
      if (!row) {
        [row] = await trx('admin_users').insert({ tenant_id: tenantId, email, name: identity.name ?? null, role: identity.role, oidc_subject: identity.subject, created_at: now, updated_at: now }).returning('*');
        await audit(trx, tenantId, 'system', 'admin_user.created', row.id, { email, role: identity.role, via: 'sso' }, 'admin_user');
      } else if (row.role !== identity.role || row.oidc_subject !== identity.subject) {
        // The identity provider is the source of truth for the role of its users.
        if (row.role === 'owner' && identity.role !== 'owner') await this.#keepAnOwner(trx, tenantId, row.id);
        [row] = await trx('admin_users').where({ id: row.id }).update({ role: identity.role, oidc_subject: identity.subject, updated_at: now }).returning('*');
      }
      await trx('admin_users').where({ id: row.id }).update({ last_login_at: now });
      await audit(trx, tenantId, `admin:${row.id}`, 'admin_user.logged_in', row.id, { via: 'sso' }, 'admin_user');
      return view(row);
    });
  }
}

function failed(): ClarionError {
  return new ClarionError('CLARION_ERR_ADMIN_LOGIN_FAILED', 'The email or password is wrong');
}

export function normaliseEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const email = value.trim().toLowerCase();
  return EMAIL.test(email) && email.length <= 320 ? email : undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function view(row: any): AdminUser {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name ?? null,
    role: row.role,
    hasPassword: row.password_hash !== null,
    lastLoginAt: iso(row.last_login_at),
    lockedUntil: iso(row.locked_until),
    disabledAt: iso(row.disabled_at),
    createdAt: iso(row.created_at)!,
  };
}
