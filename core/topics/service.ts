import type { Knex } from 'knex';
import { audit } from '../db/repositories/audit-log.ts';
import { keysetPage, type Page } from '../db/paging.ts';
import { ClarionError } from '../errors.ts';
import { NullableString, schemaAjv, Type, type Static } from '../kernel/schema.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { erasedMarker } from '../subscribers/erasure.ts';
import { isSubscriberId } from '../subscribers/service.ts';

/**
 * Topics: audiences a tenant names and fills (`PUT /v1/topics/:key`, then its subscribers in bulk),
 * which events and workflows address as `topic:<key>`. The fan-out to a topic is streamed in pages
 * by jobs (core/notifications/topic-fan-out.ts); this service keeps the topics and their members.
 */

export const TOPIC_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Most subscriber ids one call adds or removes. */
export const MAX_BULK = 10_000;

export const topicInputSchema = Type.Object(
  {
    name: Type.Optional(NullableString({ maxLength: 200 })),
    description: Type.Optional(NullableString({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const topicViewSchema = Type.Object({
  key: Type.String(),
  name: NullableString(),
  description: NullableString(),
  subscriberCount: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type TopicView = Static<typeof topicViewSchema>;

export const topicMembersInputSchema = Type.Object(
  {
    subscribers: Type.Array(Type.String({ description: 'A subscriber id' }), { minItems: 1, maxItems: MAX_BULK, description: `Subscriber ids, at most ${MAX_BULK}` }),
  },
  { additionalProperties: false },
);

export const topicAddResultSchema = Type.Object({
  added: Type.Integer({ minimum: 0, description: 'Subscribers who were not members before' }),
  alreadyMembers: Type.Integer({ minimum: 0 }),
  created: Type.Integer({ minimum: 0, description: 'Ids no subscriber had: created bare, like an event naming them' }),
  erased: Type.Array(Type.String(), { description: 'Ids of erased subscribers: not added' }),
});
export const topicRemoveResultSchema = Type.Object({ removed: Type.Integer({ minimum: 0 }), notMembers: Type.Integer({ minimum: 0 }) });
export const topicMemberSchema = Type.Object({ subscriberId: Type.String(), addedAt: Type.String({ format: 'date-time' }) });

const ajv = schemaAjv();
const validateInput = ajv.compile(topicInputSchema);
const validateMembers = ajv.compile(topicMembersInputSchema);

interface TopicRow {
  id: string;
  key: string;
  name: string | null;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  subscriber_count?: number;
}

export class TopicService {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async put(tenantId: string, key: string, body: unknown, actor: string): Promise<{ topic: TopicView; created: boolean }> {
    checkKey(key);
    const input = body ?? {};
    if (!validateInput(input)) throw new ClarionError('CLARION_ERR_TOPIC_INVALID', 'Invalid topic', { errors: toFieldErrors(validateInput.errors ?? []) });
    const { name = null, description = null } = input as Static<typeof topicInputSchema>;
    return this.#knex.transaction(async (trx) => {
      const existing = await trx('topics').where({ tenant_id: tenantId, key }).first('id');
      const [row] = await trx('topics')
        .insert({ tenant_id: tenantId, key, name, description })
        .onConflict(['tenant_id', 'key'])
        .merge({ name, description, updated_at: trx.fn.now() })
        .returning('*');
      await audit(trx, tenantId, actor, existing ? 'topic.updated' : 'topic.created', key, { name }, 'topic');
      return { topic: view({ ...row, subscriber_count: await memberCount(trx, row.id) }), created: !existing };
    });
  }

  async get(tenantId: string, key: string): Promise<TopicView> {
    const row = await this.#find(this.#knex, tenantId, key);
    return view({ ...row, subscriber_count: await memberCount(this.#knex, row.id) });
  }

  async list(tenantId: string, page: { limit: number; cursor?: string }): Promise<Page<TopicView>> {
    const query = this.#knex('topics as t')
      .where({ 't.tenant_id': tenantId })
      .select('t.id', 't.key', 't.name', 't.description', 't.created_at', 't.updated_at', this.#knex.raw('(select count(*)::int from topic_subscriptions m where m.topic_id = t.id) as subscriber_count'));
    return keysetPage(this.#knex, query, { ts: 't.created_at', id: 't.id' }, page, (row) => view(row as unknown as TopicRow));
  }

  /** Deletes the topic and its memberships; a fan-out under way finds no more members and ends. */
  async remove(tenantId: string, key: string, actor: string): Promise<void> {
    await this.#knex.transaction(async (trx) => {
      const row = await this.#find(trx, tenantId, key);
      const members = await memberCount(trx, row.id);
      await trx('topics').where({ id: row.id }).delete();
      await audit(trx, tenantId, actor, 'topic.deleted', key, { members }, 'topic');
    });
  }

  /**
   * Adds subscribers by id (unknown ids are created bare, as an event naming them would; erased
   * ones are refused and listed), in one statement whatever their number.
   */
  async addSubscribers(tenantId: string, key: string, body: unknown, actor: string): Promise<Static<typeof topicAddResultSchema>> {
    const ids = [...new Set(checkMembers(body))];
    return this.#knex.transaction(async (trx) => {
      const topic = await this.#find(trx, tenantId, key);
      const markers = ids.map((id) => erasedMarker(tenantId, id));
      // Lookups by the (tenant_id, external_id) index with arrays: as fast for 10,000 ids as for 10.
      const { rows } = await trx.raw(
        `with erased as (
           select external_id as marker from subscribers where tenant_id = ? and external_id = any(?::text[])
         ), created as (
           insert into subscribers (tenant_id, external_id)
           select ?, i.external_id from unnest(?::text[], ?::text[]) as i(external_id, marker)
            where i.marker not in (select marker from erased)
           on conflict (tenant_id, external_id) do nothing
           returning id
         ), members as (
           select id from created
           union all
           select id from subscribers where tenant_id = ? and external_id = any(?::text[]) and erased_at is null
         ), added as (
           insert into topic_subscriptions (tenant_id, topic_id, subscriber_id)
           select ?, ?, id from members order by id
           on conflict (tenant_id, topic_id, subscriber_id) do nothing
           returning 1
         )
         select (select count(*)::int from added) as added, (select count(*)::int from members) as members, (select count(*)::int from created) as created,
                array(select i.external_id from unnest(?::text[], ?::text[]) as i(external_id, marker) join erased e on e.marker = i.marker order by 1) as erased`,
        [tenantId, markers, tenantId, ids, markers, tenantId, ids, tenantId, topic.id, ids, markers],
      );
      const result = rows[0] as { added: number; members: number; created: number; erased: string[] };
      await audit(trx, tenantId, actor, 'topic.subscribers_added', key, { added: result.added, created: result.created, erased: result.erased.length }, 'topic');
      return { added: result.added, alreadyMembers: result.members - result.added, created: result.created, erased: result.erased };
    });
  }

  async removeSubscribers(tenantId: string, key: string, body: unknown, actor: string): Promise<Static<typeof topicRemoveResultSchema>> {
    const ids = [...new Set(checkMembers(body))];
    return this.#knex.transaction(async (trx) => {
      const topic = await this.#find(trx, tenantId, key);
      const removed = await trx('topic_subscriptions')
        .where({ tenant_id: tenantId, topic_id: topic.id })
        .whereIn('subscriber_id', trx('subscribers').where({ tenant_id: tenantId }).whereIn('external_id', ids).select('id'))
        .delete();
      await audit(trx, tenantId, actor, 'topic.subscribers_removed', key, { removed }, 'topic');
      return { removed, notMembers: ids.length - removed };
    });
  }

  /** Members, newest first. */
  async members(tenantId: string, key: string, page: { limit: number; cursor?: string }): Promise<Page<Static<typeof topicMemberSchema>>> {
    const topic = await this.#find(this.#knex, tenantId, key);
    const query = this.#knex('topic_subscriptions as m')
      .join('subscribers as s', 's.id', 'm.subscriber_id')
      .where({ 'm.tenant_id': tenantId, 'm.topic_id': topic.id })
      .whereNull('s.erased_at')
      .select('s.id', 's.external_id', 'm.created_at');
    return keysetPage(this.#knex, query, { ts: 'm.created_at', id: 's.id' }, page, (row) => ({ subscriberId: row.external_id as string, addedAt: new Date(row.created_at as Date).toISOString() }));
  }

  async #find(db: Knex, tenantId: string, key: string): Promise<TopicRow> {
    checkKey(key);
    const row = await db('topics').where({ tenant_id: tenantId, key }).first();
    if (!row) throw new ClarionError('CLARION_ERR_TOPIC_NOT_FOUND', `No topic ${key}: create it with PUT /v1/topics/${key}`);
    return row;
  }
}

function checkKey(key: string): void {
  if (!TOPIC_KEY.test(key)) {
    throw new ClarionError('CLARION_ERR_TOPIC_INVALID', 'Invalid topic key', { errors: [{ pointer: '/path/key', message: 'must be 1-100 letters, digits and . _ -, starting with a letter or digit' }] });
  }
}

function checkMembers(body: unknown): string[] {
  if (!validateMembers(body)) throw new ClarionError('CLARION_ERR_TOPIC_INVALID', 'Invalid list of subscribers', { errors: toFieldErrors(validateMembers.errors ?? []) });
  const ids = (body as Static<typeof topicMembersInputSchema>).subscribers;
  const errors = ids.flatMap((id, i) => (isSubscriberId(id) ? [] : [{ pointer: `/subscribers/${i}`, message: 'is not a subscriber id (letters, digits and . _ : @ + -, starting with a letter or digit)' }]));
  if (errors.length > 0) throw new ClarionError('CLARION_ERR_TOPIC_INVALID', `${errors.length} of ${ids.length} subscriber ids are invalid; nothing was changed`, { errors: errors.slice(0, 100) });
  return ids;
}

async function memberCount(db: Knex, topicId: string): Promise<number> {
  const row = (await db('topic_subscriptions').where({ topic_id: topicId }).count({ n: '*' }).first()) as { n: string | number };
  return Number(row.n);
}

function view(row: TopicRow): TopicView {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    subscriberCount: Number(row.subscriber_count ?? 0),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
