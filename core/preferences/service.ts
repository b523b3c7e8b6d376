import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import type { Config } from '../config.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { acknowledge } from '../notifications/status.ts';
import { ClarionError } from '../errors.ts';
import type { PreferenceLayer, PreferenceScope, PreferenceSettings, ResolvedPreferences } from '../pipeline/types.ts';
import type { WorkflowService } from '../workflows/service.ts';
import { signLink, verifyLink, type AckClaims, type SubscriberClaims, type UnsubscribeClaims } from './links.ts';
import { SCOPES, checkSettings, describe, mergeSettings, resolve } from './model.ts';
import { type Clock } from '../kernel/clock.ts';
import { isUuid } from '../kernel/ids.ts';

/** What the preference service needs from the webhook hub. */
export interface Emitter {
  emit(trx: Knex, event: { tenantId: string; type: string; subject?: string; data: Record<string, unknown> }): Promise<number>;
}

export interface PreferenceDeps {
  knex: Knex;
  config: Config;
  clock: Clock;
  workflows: WorkflowService;
  webhooks: () => Emitter | undefined;
  /** The process's configuration caches (invalidated across processes). */
  caches?: CacheFactory;
}

/** How long an acknowledgement link stays valid. */
const ACK_LINK_SECONDS = 14 * 24 * 3600;
const SCOPE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,254}$/;

export interface PreferenceView {
  scope: PreferenceScope;
  scopeId: string;
  settings: PreferenceSettings;
  updatedAt: string | null;
}

/**
 * Preferences at every scope, their resolution for one subscriber, the signed links of emails
 * (one-click unsubscribe, acknowledge) and acknowledgements through the API.
 */
export class PreferenceService {
  readonly #deps: PreferenceDeps;
  /** Whether a tenant has any preference row: without one, opt-outs and quiet hours have nothing to say. */
  readonly #hasAny: TtlCache<boolean>;

  constructor(deps: PreferenceDeps) {
    this.#deps = deps;
    this.#hasAny = (deps.caches ?? localCaches(0)).cache('preferences');
  }

  /** Whether the tenant stored any preference at any scope (cached; every write announces itself). */
  tenantHasPreferences(tenantId: string): Promise<boolean> {
    return this.#hasAny.get(tenantId, async () => (await this.#deps.knex('preferences').where({ tenant_id: tenantId }).first('id')) !== undefined);
  }

  /** Drops this process's answer for the tenant (after a write committed; other processes hear the announcement). */
  forget(tenantId: string): void {
    this.#hasAny.drop(tenantId);
  }

  #secret(): Buffer {
    const secret = this.#deps.config.secretKey;
    if (!secret) throw new ClarionError('CLARION_ERR_CONFIG_INVALID', 'CLARION_SECRET_KEY is not available to this process: signed links cannot be made');
    return secret;
  }

  // ------------------------------------------------------------ scopes

  async #checkScope(db: Knex, tenantId: string, scope: string, scopeId: string): Promise<{ scope: PreferenceScope; scopeId: string }> {
    if (!SCOPES.includes(scope as PreferenceScope)) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', `Unknown preference scope ${scope}`, { errors: [{ pointer: '/path/scope', message: `must be one of ${SCOPES.join(', ')}` }] });
    }
    if (scope === 'tenant') {
      // The tenant's own scope: addressed by its id (or `default`).
      if (scopeId !== 'default' && scopeId !== tenantId) throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', `The tenant scope id is your tenant id (${tenantId}) or default`);
      return { scope, scopeId: tenantId };
    }
    if (!SCOPE_ID.test(scopeId)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid scope id', { errors: [{ pointer: '/path/scopeId', message: 'must be 1-255 letters, digits or . _ : @ + -' }] });
    if (scope === 'subscriber') {
      const found = await db('subscribers').where({ tenant_id: tenantId, external_id: scopeId }).whereNull('erased_at').first('id');
      if (!found) throw new ClarionError('CLARION_ERR_SUBSCRIBER_NOT_FOUND', `No subscriber ${scopeId}`);
    }
    return { scope: scope as PreferenceScope, scopeId };
  }

  async get(tenantId: string, scope: string, scopeId: string): Promise<PreferenceView> {
    const { knex } = this.#deps;
    const checked = await this.#checkScope(knex, tenantId, scope, scopeId);
    const row = await knex('preferences').where({ tenant_id: tenantId, scope: checked.scope, scope_id: checked.scopeId }).first();
    return { ...checked, settings: row?.settings ?? {}, updatedAt: row ? new Date(row.updated_at).toISOString() : null };
  }

  /** Replaces (or, with `merge`, deep-merges into) the settings of one scope. */
  async put(tenantId: string, scope: string, scopeId: string, input: unknown, actor: string, options: { merge?: boolean } = {}): Promise<PreferenceView> {
    const body = input as { settings?: unknown } | null;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !('settings' in body)) {
      throw new ClarionError('CLARION_ERR_PREFERENCE_INVALID', 'Send {"settings": {...}}', { errors: [{ pointer: '/settings', message: 'is required' }] });
    }
    const extra = Object.keys(body).filter((k) => k !== 'settings');
    if (extra.length > 0) throw new ClarionError('CLARION_ERR_PREFERENCE_INVALID', 'Invalid preference body', { errors: extra.map((k) => ({ pointer: `/${k}`, message: 'is not allowed' })) });
    const settings = checkSettings(body.settings, '/settings');
    const saved = this.#deps.knex.transaction(async (trx) => {
      const checked = await this.#checkScope(trx, tenantId, scope, scopeId);
      const current = await trx('preferences').where({ tenant_id: tenantId, scope: checked.scope, scope_id: checked.scopeId }).forUpdate().first();
      const next = options.merge && current ? mergeSettings(current.settings, settings) : settings;
      const [row] = await trx('preferences')
        .insert({ tenant_id: tenantId, scope: checked.scope, scope_id: checked.scopeId, settings: JSON.stringify(next) })
        .onConflict(['tenant_id', 'scope', 'scope_id'])
        .merge({ settings: JSON.stringify(next), updated_at: trx.fn.now() })
        .returning('*');
      await audit(trx, tenantId, actor, 'preference.updated', `${checked.scope}:${checked.scopeId}`, { scope: checked.scope, scopeId: checked.scopeId, settings: next }, 'preference');
      await announceChange(trx, 'preferences', tenantId);
      return { ...checked, settings: row.settings, updatedAt: new Date(row.updated_at).toISOString() } as PreferenceView;
    });
    return saved.finally(() => this.forget(tenantId));
  }

  /** The layers that apply to one subscriber: tenant, each team, each project, own. */
  async layers(db: Knex, tenantId: string, subscriber: { externalId: string; teams: string[]; projects: string[] }): Promise<PreferenceLayer[]> {
    const rows = await db('preferences')
      .where({ tenant_id: tenantId })
      .andWhere((q) => {
        q.where({ scope: 'tenant', scope_id: tenantId })
          .orWhere((w) => w.where({ scope: 'subscriber', scope_id: subscriber.externalId }))
          .orWhere((w) => w.where({ scope: 'team' }).whereIn('scope_id', subscriber.teams))
          .orWhere((w) => w.where({ scope: 'project' }).whereIn('scope_id', subscriber.projects));
      })
      .select('scope', 'scope_id', 'settings');
    return rows.map((r) => ({ scope: r.scope, scopeId: r.scope_id, settings: r.settings ?? {} }));
  }

  async resolved(db: Knex, tenantId: string, subscriber: { externalId: string; teams: string[]; projects: string[] }): Promise<ResolvedPreferences> {
    return resolve(await this.layers(db, tenantId, subscriber));
  }

  /** `GET /v1/subscribers/:id/preferences`: own settings, inherited layers, and what applies per workflow. */
  async forSubscriber(tenantId: string, externalId: string): Promise<Record<string, unknown>> {
    const { knex, workflows } = this.#deps;
    const row = await knex('subscribers').where({ tenant_id: tenantId, external_id: externalId }).whereNull('erased_at').first('external_id', 'teams', 'projects', 'timezone');
    if (!row) throw new ClarionError('CLARION_ERR_SUBSCRIBER_NOT_FOUND', `No subscriber ${externalId}`);
    const resolved = await this.resolved(knex, tenantId, { externalId, teams: row.teams, projects: row.projects });
    const own = resolved.layers.find((l) => l.scope === 'subscriber');
    const list = await workflows.list(tenantId);
    const quiet = resolved.quietHours();
    return {
      subscriberId: externalId,
      settings: own?.settings ?? {},
      inherited: resolved.layers.filter((l) => l.scope !== 'subscriber'),
      quietHours: quiet ? { ...quiet.rule, timezone: quiet.rule.timezone ?? row.timezone ?? 'UTC', source: quiet.source } : null,
      workflows: describe(
        resolved,
        list.map((w) => ({ key: w.key, category: w.category, channels: w.channels })),
      ).map((w, i) => ({ ...w, required: list[i].required ?? list[i].priority === 'critical' })),
    };
  }

  // ------------------------------------------------------------ signed links

  unsubscribeUrl(claims: Omit<UnsubscribeClaims, 'p'>): string {
    return `${this.#deps.config.publicUrl}/v1/links/unsubscribe/${signLink(this.#secret(), { p: 'unsubscribe', ...claims })}`;
  }

  ackUrl(claims: Omit<AckClaims, 'p' | 'e'>): string {
    const e = Math.floor(this.#deps.clock.now().getTime() / 1000) + ACK_LINK_SECONDS;
    return `${this.#deps.config.publicUrl}/v1/links/ack/${signLink(this.#secret(), { p: 'ack', e, ...claims })}`;
  }

  /** A subscriber's own token (for in-app clients), valid `seconds`; it acts for that subscriber only. */
  subscriberToken(tenantId: string, externalId: string, seconds: number): { token: string; expiresAt: string } {
    const e = Math.floor(this.#deps.clock.now().getTime() / 1000) + seconds;
    return { token: signLink(this.#secret(), { p: 'subscriber', t: tenantId, s: externalId, e }), expiresAt: new Date(e * 1000).toISOString() };
  }

  /** `POST /v1/subscribers/:id/token`: a token for the subscriber's own browser or app, audited. */
  async issueSubscriberToken(tenantId: string, subscriber: { id: string; subscriberId: string }, seconds: number, actor: string): Promise<{ token: string; expiresAt: string }> {
    const token = this.subscriberToken(tenantId, subscriber.subscriberId, seconds);
    await audit(this.#deps.knex, tenantId, actor, 'subscriber.token_issued', subscriber.id, { ttlSeconds: seconds }, 'subscriber');
    return token;
  }

  /** Whether the notification is one of the subscriber's own (what a subscriber token may act on). */
  async ownsNotification(tenantId: string, externalId: string, notificationId: string): Promise<boolean> {
    if (!isUuid(notificationId)) return false;
    const own = await this.#deps.knex('notifications as n')
      .join('subscribers as s', 's.id', 'n.subscriber_id')
      .where({ 'n.id': notificationId, 'n.tenant_id': tenantId, 's.external_id': externalId })
      .first('n.id');
    return own !== undefined;
  }

  verifySubscriberToken(token: string): SubscriberClaims {
    return verifyLink(this.#secret(), 'subscriber', token, this.#deps.clock.now());
  }

  /** What an unsubscribe token would do, for the confirmation page. */
  async inspectUnsubscribe(token: string): Promise<{ claims: UnsubscribeClaims; what: string }> {
    const claims = verifyLink(this.#secret(), 'unsubscribe', token, this.#deps.clock.now());
    const exists = await this.#deps.knex('subscribers').where({ tenant_id: claims.t, external_id: claims.s }).whereNull('erased_at').first('id');
    if (!exists) throw new ClarionError('CLARION_ERR_LINK_INVALID', 'This link is no longer valid: the subscriber does not exist');
    const what = `${claims.k === 'category' ? 'the' : 'the notification'} ${claims.v}${claims.k === 'category' ? ' notifications' : ''}${claims.c ? ` by ${claims.c}` : ''}`;
    return { claims, what };
  }

  /** One-click unsubscribe: the subscriber's own preference for that category or workflow goes off. */
  async unsubscribe(token: string, via: string): Promise<{ claims: UnsubscribeClaims; what: string }> {
    const { claims, what } = await this.inspectUnsubscribe(token);
    await this.#deps.knex.transaction(async (trx) => {
      const patch: PreferenceSettings = { [claims.k === 'category' ? 'categories' : 'workflows']: { [claims.v]: claims.c ? { [claims.c]: false } : { enabled: false } } };
      const current = await trx('preferences').where({ tenant_id: claims.t, scope: 'subscriber', scope_id: claims.s }).forUpdate().first();
      const next = mergeSettings(current?.settings ?? {}, patch);
      await trx('preferences')
        .insert({ tenant_id: claims.t, scope: 'subscriber', scope_id: claims.s, settings: JSON.stringify(next) })
        .onConflict(['tenant_id', 'scope', 'scope_id'])
        .merge({ settings: JSON.stringify(next), updated_at: trx.fn.now() });
      const subscriber = await trx('subscribers').where({ tenant_id: claims.t, external_id: claims.s }).first('id');
      await audit(trx, claims.t, `subscriber:${claims.s}`, 'preference.opted_out', subscriber?.id ?? null, { [claims.k]: claims.v, channel: claims.c ?? null, via, notificationId: claims.n ?? null }, 'subscriber');
      await announceChange(trx, 'preferences', claims.t);
    }).finally(() => this.forget(claims.t));
    return { claims, what };
  }

  async inspectAck(token: string): Promise<AckClaims> {
    return verifyLink(this.#secret(), 'ack', token, this.#deps.clock.now());
  }

  async ackByLink(token: string): Promise<{ changed: boolean; notificationId: string }> {
    const claims = await this.inspectAck(token);
    const changed = await this.acknowledge(claims.t, claims.n, `subscriber:${claims.s}`, 'link');
    return { changed, notificationId: claims.n };
  }

  /**
   * Acknowledges a notification (once). Acknowledging a notification an escalation sent to
   * someone else acknowledges the escalated one too: the escalation stops either way.
   */
  async acknowledge(tenantId: string, notificationId: string, actor: string, via: string): Promise<boolean> {
    if (!isUuid(notificationId)) throw new ClarionError('CLARION_ERR_NOTIFICATION_NOT_FOUND', `No notification ${notificationId}`);
    const { knex, clock } = this.#deps;
    return knex.transaction(async (trx) => {
      const row = await trx('notifications').where({ tenant_id: tenantId, id: notificationId }).forUpdate().first('id', 'status', 'workflow_key', 'escalation', 'acknowledged_at');
      if (!row) throw new ClarionError('CLARION_ERR_NOTIFICATION_NOT_FOUND', `No notification ${notificationId}`);
      if (row.status === 'suppressed') throw new ClarionError('CLARION_ERR_NOTIFICATION_NOT_ACKNOWLEDGEABLE', `Notification ${notificationId} was suppressed: there is nothing to acknowledge`);
      const ids = [notificationId];
      const parentId = row.escalation?.parentId as string | undefined;
      if (parentId) ids.push(parentId);
      let changed = false;
      for (const id of ids) {
        if (await acknowledge(trx, tenantId, id, actor, via, clock.now())) {
          changed = true;
          const n = await trx('notifications').where({ id }).first('workflow_key');
          await this.#deps.webhooks()?.emit(trx, { tenantId, type: 'io.clarion.notification.acknowledged', subject: id, data: { notificationId: id, workflow: n.workflow_key, via, actor } });
        }
      }
      return changed;
    });
  }
}

/** A subscriber-scope preference turning a whole channel off (or on again). */
export async function setChannelOptOut(trx: Knex, tenantId: string, externalId: string, channel: Channel, optOut: boolean): Promise<void> {
  const patch = JSON.stringify({ channels: { [channel]: !optOut } });
  await trx.raw(
    `insert into preferences (tenant_id, scope, scope_id, settings) values (?, 'subscriber', ?, ?::jsonb)
     on conflict (tenant_id, scope, scope_id) do update
       set settings = jsonb_set(preferences.settings, '{channels}', coalesce(preferences.settings->'channels', '{}'::jsonb) || (excluded.settings->'channels')),
           updated_at = now()`,
    [tenantId, externalId, patch],
  );
  await announceChange(trx, 'preferences', tenantId);
}

