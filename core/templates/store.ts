import { audit as writeAudit } from '../db/repositories/audit-log.ts';
import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { ClarionError } from '../errors.ts';
import type { Static } from '../kernel/schema.ts';
import type { templateKeySchema, templateVersionSchema, templateVersionSummarySchema } from './schemas.ts';

/**
 * Tenant templates and layouts in PostgreSQL. Every save inserts a new version; the only updates
 * are status moves (draft -> published, published -> archived), made under a per-template
 * advisory lock so versions stay dense and one version at most is published (the partial unique
 * index `templates_one_published_idx` and the `templates_published_immutable` trigger back this up).
 */

export type TemplateKey = Static<typeof templateKeySchema>;

export type { TemplateStatus } from './schemas.ts';
/** A stored version, as the API shows it (schemas.ts). */
export type TemplateVersion = Static<typeof templateVersionSchema>;
export type TemplateVersionSummary = Static<typeof templateVersionSummarySchema>;

export interface TemplateSummaryRow extends TemplateKey {
  latestVersion: number;
  publishedVersion: number | null;
  updatedAt: string;
}

export interface LayoutRow {
  name: string;
  content: string;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = ['workflow_key', 'channel', 'locale', 'version', 'status', 'parts', 'created_at', 'created_by', 'published_at', 'based_on_version'];

export class TemplateStore {
  readonly #knex: Knex;
  // What every render reads (published versions, layouts), cached like the other configuration:
  // every write below drops the tenant's entries, and announces it to the other processes.
  readonly #published: TtlCache<Map<string, TemplateVersion>>;
  readonly #layouts: TtlCache<LayoutRow[]>;

  constructor(knex: Knex, caches: CacheFactory = localCaches(0)) {
    this.#knex = knex;
    this.#published = caches.cache('templates');
    this.#layouts = caches.cache('layouts');
  }

  /** The published version of each locale of a workflow's channel template. */
  published(tenantId: string, workflow: string, channel: Channel): Promise<Map<string, TemplateVersion>> {
    return this.#published.get(`${tenantId}:${workflow}:${channel}`, async () => {
      const rows = await this.#knex('templates').where({ tenant_id: tenantId, workflow_key: workflow, channel, status: 'published' }).select(COLUMNS);
      return new Map(rows.map((r) => [r.locale, toVersion(r)]));
    });
  }

  /** Forgets what was cached for the tenant (after its templates or layouts change). */
  #changed<T>(tenantId: string, result: Promise<T>): Promise<T> {
    const drop = () => {
      this.#published.drop(`${tenantId}:`);
      this.#layouts.drop(tenantId);
    };
    drop();
    return result.finally(drop);
  }

  async get(tenantId: string, key: TemplateKey, version?: number): Promise<TemplateVersion | undefined> {
    const query = this.#knex('templates').where({ tenant_id: tenantId, workflow_key: key.workflow, channel: key.channel, locale: key.locale });
    if (version === undefined) query.where({ status: 'published' });
    else query.where({ version });
    const row = await query.first(COLUMNS);
    return row ? toVersion(row) : undefined;
  }

  async latestVersion(tenantId: string, key: TemplateKey): Promise<number | null> {
    const row = await this.#knex('templates').where(keyWhere(tenantId, key)).max('version as v').first();
    return row?.v ?? null;
  }

  /** Versions, newest first; `before` pages on (versions below it). */
  async versions(tenantId: string, key: TemplateKey, options: { limit: number; before?: number }): Promise<TemplateVersionSummary[]> {
    const query = this.#knex('templates')
      .where(keyWhere(tenantId, key))
      .orderBy('version', 'desc')
      .limit(options.limit)
      .select(COLUMNS.filter((c) => c !== 'parts'));
    if (options.before !== undefined) query.where('version', '<', options.before);
    const rows = await query;
    return rows.map((r) => {
      const { parts: _parts, ...summary } = toVersion({ ...r, parts: {} });
      return summary;
    });
  }

  /** One row per template (workflow, channel, locale) the tenant has saved. */
  async summaries(tenantId: string, filter: { workflow?: string; channel?: string; locale?: string }): Promise<TemplateSummaryRow[]> {
    const query = this.#knex('templates')
      .where({ tenant_id: tenantId })
      .groupBy('workflow_key', 'channel', 'locale')
      .select(
        'workflow_key',
        'channel',
        'locale',
        this.#knex.raw('max(version) as latest_version'),
        this.#knex.raw("max(version) filter (where status = 'published') as published_version"),
        this.#knex.raw('greatest(max(created_at), max(published_at)) as updated_at'),
      )
      .orderBy(['workflow_key', 'channel', 'locale']);
    if (filter.workflow) query.where({ workflow_key: filter.workflow });
    if (filter.channel) query.where({ channel: filter.channel });
    if (filter.locale) query.where({ locale: filter.locale });
    const rows = await query;
    return rows.map((r) => ({
      workflow: r.workflow_key,
      channel: r.channel,
      locale: r.locale,
      latestVersion: r.latest_version,
      publishedVersion: r.published_version ?? null,
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  /** Saves parts as the next version (a draft, or published at once). */
  async create(
    tenantId: string,
    key: TemplateKey,
    parts: Record<string, string>,
    options: { actor: string; now: Date; publish: boolean; basedOnVersion?: number; action?: string; db?: Knex },
  ): Promise<TemplateVersion> {
    // Inside the caller's transaction when given one (a workflow saved with its templates).
    return this.#changed(tenantId, (options.db ?? this.#knex).transaction(async (trx) => {
      await lock(trx, tenantId, key);
      const current = await trx('templates').where(keyWhere(tenantId, key)).max('version as v').first();
      const version = (current?.v ?? 0) + 1;
      if (options.publish) await archivePublished(trx, tenantId, key);
      const [row] = await trx('templates')
        .insert({
          tenant_id: tenantId,
          workflow_key: key.workflow,
          channel: key.channel,
          locale: key.locale,
          version,
          parts: JSON.stringify(parts),
          status: options.publish ? 'published' : 'draft',
          published_at: options.publish ? options.now : null,
          created_at: options.now,
          created_by: options.actor,
          based_on_version: options.basedOnVersion ?? null,
        })
        .returning(COLUMNS);
      await audit(trx, tenantId, options.actor, options.action ?? (options.publish ? 'template.version_published' : 'template.version_created'), key, {
        version,
        ...(options.basedOnVersion !== undefined ? { basedOnVersion: options.basedOnVersion } : {}),
      });
      if (options.publish) await announceChange(trx, 'templates', `${tenantId}:`);
      return toVersion(row);
    }));
  }

  /** Publishes a draft; the version published until now is archived. */
  async publish(tenantId: string, key: TemplateKey, version: number, options: { actor: string; now: Date }): Promise<TemplateVersion> {
    return this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      await lock(trx, tenantId, key);
      const row = await trx('templates').where({ ...keyWhere(tenantId, key), version }).first(COLUMNS);
      if (!row) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `${describe(key)} has no version ${version}`);
      if (row.status === 'published') {
        throw new ClarionError('CLARION_ERR_TEMPLATE_VERSION_CONFLICT', `Version ${version} of ${describe(key)} is already published`);
      }
      if (row.status === 'archived') {
        throw new ClarionError(
          'CLARION_ERR_TEMPLATE_VERSION_CONFLICT',
          `Version ${version} of ${describe(key)} was published before and is archived; published versions never change, so roll back to it instead (POST .../rollback {"version": ${version}}) to publish a copy`,
        );
      }
      await archivePublished(trx, tenantId, key);
      // The only update a draft gets: its status. Its parts are never touched (the trigger refuses it too).
      const [updated] = await trx('templates')
        .where({ ...keyWhere(tenantId, key), version, status: 'draft' })
        .update({ status: 'published', published_at: options.now })
        .returning(COLUMNS);
      await audit(trx, tenantId, options.actor, 'template.published', key, { version });
      await announceChange(trx, 'templates', `${tenantId}:`);
      return toVersion(updated);
    }));
  }

  /** Archives the published version: the bundled template (if any) applies again. */
  async unpublish(tenantId: string, key: TemplateKey, options: { actor: string }): Promise<number> {
    return this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      await lock(trx, tenantId, key);
      const version = await archivePublished(trx, tenantId, key);
      if (version === undefined) throw new ClarionError('CLARION_ERR_TEMPLATE_NOT_FOUND', `${describe(key)} has no published version`);
      await audit(trx, tenantId, options.actor, 'template.unpublished', key, { version });
      await announceChange(trx, 'templates', `${tenantId}:`);
      return version;
    }));
  }

  layouts(tenantId: string): Promise<LayoutRow[]> {
    return this.#layouts.get(tenantId, async () => {
      const rows = await this.#knex('template_layouts').where({ tenant_id: tenantId }).orderBy('name').select('name', 'content', 'updated_by', 'created_at', 'updated_at');
      return rows.map(toLayout);
    });
  }

  async layout(tenantId: string, name: string): Promise<LayoutRow | undefined> {
    const row = await this.#knex('template_layouts').where({ tenant_id: tenantId, name }).first('name', 'content', 'updated_by', 'created_at', 'updated_at');
    return row ? toLayout(row) : undefined;
  }

  async putLayout(tenantId: string, name: string, content: string, options: { actor: string; now: Date }): Promise<{ layout: LayoutRow; created: boolean }> {
    return this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      const [row] = await trx('template_layouts')
        .insert({ tenant_id: tenantId, name, content, updated_by: options.actor, created_at: options.now, updated_at: options.now })
        .onConflict(['tenant_id', 'name'])
        .merge({ content, updated_by: options.actor, updated_at: options.now })
        .returning(['name', 'content', 'updated_by', 'created_at', 'updated_at', trx.raw('(xmax = 0) as inserted')]);
      await writeAudit(trx, tenantId, options.actor, row.inserted ? 'template_layout.created' : 'template_layout.updated', name, { bytes: Buffer.byteLength(content) }, 'template_layout');
      await announceChange(trx, 'layouts', tenantId);
      return { layout: toLayout(row), created: Boolean(row.inserted) };
    }));
  }

  async deleteLayout(tenantId: string, name: string, options: { actor: string }): Promise<boolean> {
    return this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      const deleted = await trx('template_layouts').where({ tenant_id: tenantId, name }).delete();
      if (deleted > 0) {
        await writeAudit(trx, tenantId, options.actor, 'template_layout.deleted', name, {}, 'template_layout');
        await announceChange(trx, 'layouts', tenantId);
      }
      return deleted > 0;
    }));
  }

  /** The tenant's workflow for a key: its trigger event type, for the contract. */
  /** The channels of a workflow the tenant has a published version for, in any locale; and those with drafts only. */
  async channelsOf(tenantId: string, workflow: string): Promise<{ published: Set<Channel>; drafts: Set<Channel> }> {
    const rows: Array<{ channel: Channel; published: boolean }> = await this.#knex('templates')
      .where({ tenant_id: tenantId, workflow_key: workflow })
      .groupBy('channel')
      .select('channel', this.#knex.raw("bool_or(status = 'published') as published"));
    return { published: new Set(rows.filter((r) => r.published).map((r) => r.channel)), drafts: new Set(rows.filter((r) => !r.published).map((r) => r.channel)) };
  }

  async workflowTrigger(tenantId: string, workflow: string, db: Knex = this.#knex): Promise<string | undefined> {
    const row = await db('workflows').where({ tenant_id: tenantId, key: workflow }).first('trigger', this.#knex.raw("definition->>'trigger' as definition_trigger"));
    if (!row) return undefined;
    return row.definition_trigger || row.trigger || undefined;
  }
}

export function describe(key: TemplateKey): string {
  return `the ${key.channel} template of ${key.workflow} in ${key.locale}`;
}

function keyWhere(tenantId: string, key: TemplateKey) {
  return { tenant_id: tenantId, workflow_key: key.workflow, channel: key.channel, locale: key.locale };
}

async function lock(trx: Knex.Transaction, tenantId: string, key: TemplateKey): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`template:${tenantId}:${key.workflow}:${key.channel}:${key.locale}`]);
}

async function archivePublished(trx: Knex.Transaction, tenantId: string, key: TemplateKey): Promise<number | undefined> {
  const [row] = await trx('templates').where({ ...keyWhere(tenantId, key), status: 'published' }).update({ status: 'archived' }).returning(['version']);
  return row?.version;
}

function audit(trx: Knex.Transaction, tenantId: string, actor: string, action: string, key: TemplateKey, summary: Record<string, unknown>): Promise<void> {
  return writeAudit(trx, tenantId, actor, action, `${key.workflow}/${key.channel}/${key.locale}`, summary, 'template');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toVersion(row: any): TemplateVersion {
  return {
    workflow: row.workflow_key,
    channel: row.channel,
    locale: row.locale,
    version: row.version,
    status: row.status,
    parts: row.parts,
    createdAt: new Date(row.created_at).toISOString(),
    createdBy: row.created_by ?? null,
    publishedAt: row.published_at ? new Date(row.published_at).toISOString() : null,
    basedOnVersion: row.based_on_version ?? null,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toLayout(row: any): LayoutRow {
  return {
    name: row.name,
    content: row.content,
    updatedBy: row.updated_by ?? null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
