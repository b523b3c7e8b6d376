import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { announceEnd } from '../realtime/changes.ts';

/**
 * Erasure (GDPR article 17) of one subscriber: what Clarion stored about the person goes, in the
 * caller's transaction, wherever it was stored; what belongs to the tenant (the rest of an event,
 * other recipients, the anonymous history of what was sent when) stays. README "Erasing a
 * subscriber" lists what each table keeps.
 *
 * Rows that are hers (found through her subscriber row) are rewritten by set statements. Rows
 * that may merely mention her (events, webhook messages, the audit trail, providers' last errors)
 * are found by her notifications and by a scan of the tenant's rows for her email address and
 * phone number, then rewritten in pages of PAGE rows so no statement and no page in memory grows
 * with her history. All of it is one transaction: it holds the locks of the rows it changes (hers,
 * and the events and messages that name her) until it commits.
 */

/** What erasure writes in the place of what it removes. */
export const ERASED = '[erased]';

/** Rows read and written back per statement. */
const PAGE = 500;

/**
 * The external id an erased subscriber's row keeps: a hash of the tenant and the id, so a later
 * event naming the id is refused without Clarion keeping the id itself (it may be an email
 * address). `~` is not allowed in subscriber ids, so no event or request can name a marker.
 */
export function erasedMarker(tenantId: string, externalId: string): string {
  return `erased~${createHash('sha256').update(`${tenantId}\n${externalId}`).digest('hex')}`;
}

/** The external id of an erased row that no marker names any more (its id was reactivated). */
export function forgottenId(): string {
  return `erased~${randomUUID()}`;
}

/** Who is being erased: the subscriber's fields as they were. */
export interface Person {
  tenantId: string;
  /** The subscriber row's id (`subscribers.id`). */
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** What an erasure did, by table; the `subscriber.erased` audit entry carries it. */
export interface ErasureCounts {
  /** The engine's tables, and those of plugins with state by the names their erase hooks give (`digests`). */
  deleted: { inboxItems: number; inboxChanges: number; inboxPresence: number; outboxMessages: number; rateLimitHits: number; dedupKeys: number; preferences: number; topicSubscriptions: number; interactions: number; attachments: number } & Record<string, number>;
  redacted: { notifications: number; deliveries: number; deliveryAttempts: number; events: number; webhookMessages: number; webhookAttempts: number; auditEntries: number; providers: number; topicFanOuts: number; schedules: number };
  cancelled: { notifications: number; deliveries: number };
}

/**
 * Finds the person in text and JSON values. Her email address and phone number are unique to her,
 * so they are replaced wherever they occur in a string (the email in any case, the phone in E.164
 * and as bare digits, neither inside a longer address or number). Her name is not unique (another
 * person may share it, and a short name is a common word), so it is replaced only where it is a
 * whole string. Her external id is replaced only where it names her as a recipient.
 */
export class Redactor {
  readonly #externalId: string;
  readonly #inText: RegExp | undefined;
  readonly #name: string | undefined;
  /** ILIKE patterns that find her email address or phone number in stored text. */
  readonly patterns: string[];
  /** Her email address and phone number as they may appear in binary event data. */
  readonly needles: string[];

  constructor(person: Pick<Person, 'externalId' | 'name' | 'email' | 'phone'>) {
    this.#externalId = person.externalId;
    const parts: string[] = [];
    const patterns: string[] = [];
    const needles: string[] = [];
    if (person.email) {
      parts.push(`(?<![A-Za-z0-9._%+-])${escapeRegExp(person.email)}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`);
      patterns.push(`%${escapeLike(person.email)}%`);
      needles.push(...new Set([person.email, person.email.toLowerCase()]));
    }
    if (person.phone) {
      const digits = person.phone.replace(/\D/g, '');
      parts.push(`${escapeRegExp(person.phone)}(?![0-9])`, `(?<![0-9])${digits}(?![0-9])`);
      patterns.push(`%${digits}%`);
      needles.push(digits);
    }
    this.#inText = parts.length > 0 ? new RegExp(parts.join('|'), 'gi') : undefined;
    this.#name = person.name?.trim().toLowerCase() || undefined;
    this.patterns = patterns;
    this.needles = needles;
  }

  /** A string with her email address and phone number replaced, or ERASED when it is her name. */
  text(value: string): string {
    if (this.#name && value.trim().toLowerCase() === this.#name) return ERASED;
    return this.#inText ? value.replace(this.#inText, ERASED) : value;
  }

  /** `text` over nullable text. */
  maybe(value: string | null): string | null {
    return value === null ? null : this.text(value);
  }

  /**
   * A JSON value with `text` applied to every string and object key. `ids`: a string that is her
   * external id is replaced too (Clarion's own payloads, where such a string names the subscriber).
   */
  json(value: unknown, ids = false): unknown {
    return this.#walk(value, (s) => (ids && s === this.#externalId ? ERASED : this.text(s)), false);
  }

  /**
   * An event's data: an entry naming her (her id in a list, an object whose `id` or `subscriberId`
   * is her id: an inline subscriber) becomes a tombstone (`"[erased]"`, `{"id": "[erased]"}`),
   * and `text` applies to every other string.
   */
  eventData(value: unknown): unknown {
    return this.#walk(value, (s, inList) => (inList && s === this.#externalId ? ERASED : this.text(s)), true);
  }

  /** Whether binary event data holds her email address or phone number. */
  inBinary(base64: string): boolean {
    const bytes = Buffer.from(base64, 'base64');
    return this.needles.some((needle) => bytes.includes(Buffer.from(needle)));
  }

  /** Whether a value names her as a recipient: her id, or an inline subscriber with her id. */
  names(value: unknown): boolean {
    if (value === this.#externalId) return true;
    return isObject(value) && (value.id === this.#externalId || value.subscriberId === this.#externalId);
  }

  // Event data nests at most MAX_JSON_DEPTH (64) levels (ingest refuses deeper), so recursion is safe.
  #walk(value: unknown, string: (s: string, inList: boolean) => string, tombstones: boolean, inList = false): unknown {
    if (typeof value === 'string') return string(value, inList);
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, string, tombstones, true));
    if (isObject(value)) {
      if (tombstones && this.names(value)) return { id: ERASED };
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.text(k), this.#walk(v, string, tombstones)]));
    }
    return value;
  }
}

/**
 * Removes the person's data from every table of the tenant, in the caller's transaction, after
 * the caller has locked her subscriber row. `recipientPointers`: the JSON Pointers of the
 * tenant's workflows for an event type (where an event names its recipients).
 */
/** What plugins with state keep of her goes through their erase hooks (core/pipeline/host.ts), in the erasure's transaction. */
export type PluginErasure = (trx: Knex, input: { tenantId: string; subscriberId: string; notificationIds: Knex.QueryBuilder }) => Promise<Record<string, number>>;

export async function erasePerson(trx: Knex, person: Person, recipientPointers: (type: string) => string[], plugins: PluginErasure = async () => ({})): Promise<ErasureCounts> {
  const { tenantId, id: subscriberId, externalId } = person;
  const redactor = new Redactor(person);
  const now = trx.fn.now();
  const mine = () => trx('notifications').where({ tenant_id: tenantId, subscriber_id: subscriberId });
  const myNotificationIds = () => mine().select('id');
  const myDeliveryIds = () => trx('deliveries').where({ tenant_id: tenantId }).whereIn('notification_id', myNotificationIds()).select('id');

  // The row first: from here on an event naming her id meets the marker (upserts wait for this
  // transaction, see SubscriberService.upsertStatement).
  await trx('subscribers').where({ id: subscriberId }).update({
    external_id: erasedMarker(tenantId, externalId),
    name: null, email: null, phone: null, locale: null, timezone: null,
    devices: '[]', chat: '{}', teams: '{}', projects: '{}', data: '{}',
    erased_at: now, updated_at: now,
  });

  // Nothing more goes out to her: queued deliveries are cancelled; deferred, batched and pending
  // notifications suppressed, and their escalation steps cancelled (their jobs then find nothing to do).
  const cancelledDeliveries = await trx('deliveries').where({ tenant_id: tenantId }).whereIn('notification_id', myNotificationIds()).whereIn('status', ['pending', 'retrying'])
    .update({ status: 'cancelled', next_attempt_at: null, updated_at: now });
  const cancelledNotifications = await mine().whereIn('status', ['pending', 'scheduled', 'batched']).update({
    status: 'suppressed',
    scheduled_for: null,
    decisions: trx.raw(`decisions || jsonb_build_array(jsonb_build_object('plugin', 'erasure', 'decision', 'suppress', 'reason', 'subscriber_erased', 'at', to_jsonb(now())))`),
    updated_at: now,
  });

  // Her notifications: rendered content goes; decisions keep what was decided, why and when
  // (their details, such as dedup and digest keys built from her id and the event, go).
  const decisionReason = redactor.patterns.length > 0 ? `regexp_replace(d->>'reason', ?, ?, 'gi')` : `d->>'reason'`;
  const notifications = await mine().update({
    content: null,
    decisions: trx.raw(
      `coalesce((select jsonb_agg(jsonb_strip_nulls(jsonb_build_object('plugin', d->'plugin', 'decision', d->'decision', 'reason', to_jsonb(${decisionReason}), 'at', d->'at', 'channels', d->'channels', 'until', d->'until')) order by o)
                  from jsonb_array_elements(decisions) with ordinality as x(d, o)), '[]'::jsonb)`,
      redactor.patterns.length > 0 ? [sqlAlternation(person), ERASED] : [],
    ),
    escalation: trx.raw(
      `case when jsonb_typeof(escalation->'steps') = 'array' then jsonb_set(escalation, '{steps}', coalesce((
         select jsonb_agg(case when s->>'status' = 'pending' then s || '{"status": "cancelled", "reason": "subscriber_erased"}'::jsonb else s end order by o)
           from jsonb_array_elements(escalation->'steps') with ordinality as x(s, o)), '[]'::jsonb)) else escalation end`,
    ),
  });

  // Her deliveries and their attempts keep outcome, error class and code, provider message id
  // and timing; the provider's words (which quote addresses) go.
  const deliveries = await trx('deliveries').where({ tenant_id: tenantId }).whereIn('notification_id', myNotificationIds()).whereNotNull('error_message').update({ error_message: ERASED });
  const deliveryAttempts = await trx('delivery_attempts').where({ tenant_id: tenantId }).whereIn('delivery_id', myDeliveryIds())
    .where((q) => q.whereNotNull('error_message').orWhereNotNull('response_excerpt'))
    .update({ error_message: trx.raw('case when error_message is null then null else ? end', [ERASED]), response_excerpt: null });

  // Copies of what was sent to her, and state kept only for her.
  const inboxItems = await trx('inbox_items').where({ tenant_id: tenantId, subscriber_id: subscriberId }).delete();
  // The inbox's change log holds copies of its items (its counter holds nothing of hers).
  const inboxChanges = await trx('inbox_changes').where({ tenant_id: tenantId, subscriber_id: subscriberId }).delete();
  // When she was online, and for how long: hers too; and her open streams end, on every gateway.
  const inboxPresence = await trx('inbox_presence').where({ tenant_id: tenantId, subscriber_id: subscriberId }).delete();
  await announceEnd(trx, tenantId, subscriberId);
  const outboxMessages = await trx('outbox_messages').where({ tenant_id: tenantId }).where((q) => {
    q.whereIn('notification_id', myNotificationIds()).orWhereIn('delivery_id', myDeliveryIds());
    // Provider test messages sent to her address (they belong to no notification).
    if (person.email) q.orWhereRaw(`lower(recipient->>'email') = lower(?)`, [person.email]);
    if (person.phone) q.orWhereRaw(`recipient->>'phone' = ?`, [person.phone]);
  }).delete();
  const dedupKeys = await trx('dedup_keys').where({ tenant_id: tenantId }).whereIn('notification_id', myNotificationIds()).delete();
  // The plugins' state: the digest plugin's digests, ...
  const byPlugins = await plugins(trx, { tenantId, subscriberId, notificationIds: myNotificationIds() });
  const rateLimitHits = await trx('rate_limit_hits').where({ tenant_id: tenantId, subscriber_id: subscriberId }).delete();
  const preferences = await trx('preferences').where({ tenant_id: tenantId, scope: 'subscriber', scope_id: externalId }).delete();
  const topicSubscriptions = await trx('topic_subscriptions').where({ tenant_id: tenantId, subscriber_id: subscriberId }).delete();
  // A topic fan-out skipping her (she was the event's actor, or a recipient of its own) names her id.
  const topicFanOuts = await trx('topic_fan_outs').where({ tenant_id: tenantId }).whereRaw('? = any(skip)', [externalId]).update({ skip: trx.raw('array_replace(skip, ?, ?)', [externalId, ERASED]) });
  // Her opens, clicks and actions: when and from where (user agent, network) she read what.
  const interactions = await trx('interactions').where({ tenant_id: tenantId }).whereIn('notification_id', myNotificationIds()).delete();

  // Files of the events that made a notification for her (an invoice in her name) go; the events stay, redacted.
  const attachments = await trx('attachments').where({ tenant_id: tenantId }).whereIn('event_id', trx('notifications').where({ tenant_id: tenantId, subscriber_id: subscriberId }).select('event_id')).delete();
  // Schedules whose event names her (recipients, data): she is tombstoned there as in events.
  const scheduleIds = (await trx('schedules').where({ tenant_id: tenantId }).where((q) => {
    q.whereRaw(`event::text like ? escape '\\'`, [`%${escapeLike(JSON.stringify(externalId))}%`]);
    if (redactor.patterns.length > 0) q.orWhereRaw('event::text ilike any(?::text[])', [redactor.patterns]);
  }).pluck('id')) as string[];
  const schedules = await rewrite(trx, 'schedules', tenantId, { ids: scheduleIds, columns: { event: 'jsonb' }, change: (row) => ({ event: redactor.eventData(row.event) }) });

  const events = await redactEvents(trx, person, redactor, recipientPointers);
  const { messages: webhookMessages, attempts: webhookAttempts } = await redactWebhooks(trx, person, redactor);
  const auditEntries = await redactAudit(trx, person, redactor);
  const providers = redactor.patterns.length === 0 ? 0 : await rewrite(trx, 'provider_configs', tenantId, {
    ids: (await trx('provider_configs').where({ tenant_id: tenantId }).whereRaw('last_error ilike any(?::text[])', [redactor.patterns]).pluck('id')) as string[],
    columns: { last_error: 'text' },
    change: (row) => ({ last_error: redactor.maybe(row.last_error as string | null) }),
  });

  return {
    deleted: { inboxItems, inboxChanges, inboxPresence, outboxMessages, rateLimitHits, dedupKeys, preferences, topicSubscriptions, interactions, attachments, ...byPlugins },
    redacted: { notifications, deliveries, deliveryAttempts, events, webhookMessages, webhookAttempts, auditEntries, providers, topicFanOuts, schedules },
    cancelled: { notifications: cancelledNotifications, deliveries: cancelledDeliveries },
  };
}

/**
 * Events: those that made a notification for her, and those of the tenant whose data, extensions,
 * subject or recorded problems hold her email address or phone number. In each, every entry naming
 * her becomes a tombstone (in any list under `data`, and at the recipients pointer of each of the
 * tenant's workflows for its type, which may point at the subject or an extension), her email and
 * phone are replaced wherever they occur, and her name where it is a whole string. Binary data
 * (`data_base64`) holding her email or phone cannot be edited without knowing its format: it is
 * dropped. The CloudEvent's id, source, type and time, and everything else, stay.
 */
async function redactEvents(trx: Knex, person: Person, redactor: Redactor, recipientPointers: (type: string) => string[]): Promise<number> {
  const { tenantId } = person;
  const linked = trx('notifications').where({ tenant_id: tenantId, subscriber_id: person.id }).select('event_id');
  const query = trx('events').where({ tenant_id: tenantId }).where((q) => {
    q.whereIn('id', linked);
    if (redactor.patterns.length > 0) {
      const p = redactor.patterns;
      q.orWhereRaw('data::text ilike any(?::text[]) or extensions::text ilike any(?::text[]) or subject ilike any(?::text[]) or error ilike any(?::text[])', [p, p, p, p]);
      // Binary data holding her email or phone, where it decodes (the ingest checks its alphabet, not its length).
      q.orWhereRaw(
        `case when data_base64 is not null and length(data_base64) % 4 = 0
              then exists (select 1 from unnest(?::text[]) as n(needle) where position(convert_to(n.needle, 'UTF8') in decode(data_base64, 'base64')) > 0)
              else false end`,
        [redactor.needles],
      );
    }
  });
  const ids = (await query.pluck('id')) as string[];
  return rewrite(trx, 'events', tenantId, {
    ids,
    columns: { type: 'read', data: 'jsonb', extensions: 'jsonb', subject: 'text', error: 'text', data_base64: 'text' },
    change: (row) => {
      const data = row.data === null ? null : redactor.eventData(row.data);
      const extensions = redactor.json(row.extensions) as Record<string, unknown>;
      let subject = redactor.maybe(row.subject as string | null);
      // The places the tenant's workflows read recipients from, outside lists (lists were done above).
      const document: Record<string, unknown> = { ...extensions, subject, data };
      for (const path of new Set(['/data/recipients', ...recipientPointers(row.type as string)])) tombstoneAt(document, path, redactor);
      subject = document.subject as string | null;
      for (const key of Object.keys(extensions)) extensions[key] = document[key];
      const base64 = row.data_base64 as string | null;
      return {
        data: document.data,
        extensions,
        subject,
        error: redactor.maybe(row.error as string | null),
        data_base64: base64 !== null && redactor.inBinary(base64) ? null : base64,
      };
    },
  });
}

/** CloudEvent attributes a recipients pointer may name but that identify the event itself. */
const IDENTITY = new Set(['id', 'source', 'type', 'specversion', 'time', 'datacontenttype', 'dataschema']);

/** Replaces the value at an RFC 6901 pointer with a tombstone when it names her. */
function tombstoneAt(document: Record<string, unknown>, pointer: string, redactor: Redactor): void {
  const tokens = pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (tokens.length === 0 || IDENTITY.has(tokens[0])) return;
  let parent: unknown = document;
  for (const token of tokens.slice(0, -1)) {
    parent = Array.isArray(parent) ? parent[Number(token)] : isObject(parent) ? parent[token] : undefined;
    if (parent === undefined || parent === null) return;
  }
  const last = tokens.at(-1)!;
  if (!isObject(parent) && !Array.isArray(parent)) return;
  const container = parent as Record<string, unknown>;
  if (!Object.hasOwn(container, last) || !redactor.names(container[last])) return;
  container[last] = typeof container[last] === 'string' ? ERASED : { id: ERASED };
}

/**
 * Outgoing webhook messages: those about her notifications (their subject is the notification id)
 * and any of the tenant's whose payload holds her email or phone (a provider's error message in
 * `io.clarion.delivery.attempt_failed`). Their payload loses her id, email and phone; a pending one
 * goes out redacted. Attempts keep status and timing; the endpoint's response body and the error
 * are redacted the same way (an endpoint may echo what it was sent).
 */
async function redactWebhooks(trx: Knex, person: Person, redactor: Redactor): Promise<{ messages: number; attempts: number }> {
  const { tenantId } = person;
  const p = redactor.patterns;
  const messageIds = (await trx('webhook_messages').where({ tenant_id: tenantId }).where((q) => {
    q.whereRaw(`payload->>'subject' in (select id::text from notifications where tenant_id = ? and subscriber_id = ?)`, [tenantId, person.id]);
    if (p.length > 0) q.orWhereRaw('payload::text ilike any(?::text[]) or last_error ilike any(?::text[])', [p, p]);
  }).pluck('id')) as string[];
  const messages = await rewrite(trx, 'webhook_messages', tenantId, {
    ids: messageIds,
    columns: { payload: 'jsonb', last_error: 'text' },
    change: (row) => ({ payload: redactor.json(row.payload, true), last_error: redactor.maybe(row.last_error as string | null) }),
  });
  const attemptIds: string[] = [];
  for (let i = 0; i < messageIds.length; i += PAGE) {
    attemptIds.push(...((await trx('webhook_attempts').where({ tenant_id: tenantId }).whereIn('message_id', messageIds.slice(i, i + PAGE)).pluck('id')) as string[]));
  }
  if (p.length > 0) attemptIds.push(...((await trx('webhook_attempts').where({ tenant_id: tenantId }).whereRaw('response_body ilike any(?::text[]) or error ilike any(?::text[])', [p, p]).pluck('id')) as string[]));
  const attempts = await rewrite(trx, 'webhook_attempts', tenantId, {
    ids: [...new Set(attemptIds)],
    columns: { response_body: 'text', error: 'text' },
    change: (row) => ({ response_body: redactor.maybe(row.response_body as string | null), error: redactor.maybe(row.error as string | null) }),
  });
  return { messages, attempts };
}

/**
 * The audit trail records who did what, and keeps doing so: entries she made (an SMS STOP, an
 * unsubscribe link: actor `subscriber:<id>`) and changes to her preferences (target
 * `subscriber:<id>`) now name `subscriber:[erased]`, and any summary loses her id, email and phone.
 * The table refuses updates except these redactions, made while `clarion.redacting` is on.
 */
async function redactAudit(trx: Knex, person: Person, redactor: Redactor): Promise<number> {
  const { tenantId } = person;
  const named = `subscriber:${person.externalId}`;
  const ids = (await trx('audit_logs').where({ tenant_id: tenantId }).where((q) => {
    q.where({ actor: named }).orWhere({ target_id: named });
    if (redactor.patterns.length > 0) q.orWhereRaw('summary::text ilike any(?::text[])', [redactor.patterns]);
  }).pluck('id')) as string[];
  if (ids.length === 0) return 0;
  await trx.raw(`select set_config('clarion.redacting', 'on', true)`);
  const count = await rewrite(trx, 'audit_logs', tenantId, {
    ids,
    idType: 'bigint',
    columns: { actor: 'text', target_id: 'text', summary: 'jsonb' },
    change: (row) => ({
      actor: row.actor === named ? `subscriber:${ERASED}` : redactor.text(row.actor as string),
      target_id: row.target_id === named ? `subscriber:${ERASED}` : redactor.maybe(row.target_id as string | null),
      summary: redactor.json(row.summary, true),
    }),
  });
  await trx.raw(`select set_config('clarion.redacting', 'off', true)`);
  return count;
}

type Column = 'text' | 'jsonb' | 'read';

/**
 * Reads the rows of `ids` page by page, asks `change` for their new values and writes back the
 * rows that changed, one statement per page. Returns how many rows changed.
 */
async function rewrite(
  trx: Knex,
  table: string,
  tenantId: string,
  options: { ids: string[]; idType?: 'uuid' | 'bigint'; columns: Record<string, Column>; change: (row: Record<string, unknown>) => Record<string, unknown> },
): Promise<number> {
  const written = Object.entries(options.columns).filter(([, type]) => type !== 'read');
  let changed = 0;
  for (let i = 0; i < options.ids.length; i += PAGE) {
    const rows: Array<Record<string, unknown>> = await trx(table).where({ tenant_id: tenantId }).whereIn('id', options.ids.slice(i, i + PAGE)).select('id', ...Object.keys(options.columns));
    const updates = [];
    for (const row of rows) {
      const next = options.change(row);
      if (written.every(([column]) => JSON.stringify(next[column]) === JSON.stringify(row[column]))) continue;
      // Every value travels as text (JSON as its text), so JSON null and SQL null stay apart.
      updates.push({ id: String(row.id), ...Object.fromEntries(written.map(([column, type]) => [column, type === 'jsonb' && next[column] !== null ? JSON.stringify(next[column]) : next[column]])) });
    }
    if (updates.length === 0) continue;
    const set = written.map(([column, type]) => `${column} = v.${column}${type === 'jsonb' ? '::jsonb' : ''}`).join(', ');
    const record = written.map(([column]) => `${column} text`).join(', ');
    await trx.raw(`update ${table} t set ${set} from jsonb_to_recordset(?::jsonb) as v(id text, ${record}) where t.id = v.id::${options.idType ?? 'uuid'} and t.tenant_id = ?`, [JSON.stringify(updates), tenantId]);
    changed += updates.length;
  }
  return changed;
}

/** Her email address and phone number as one PostgreSQL regular expression (for decisions' reasons). */
function sqlAlternation(person: Pick<Person, 'email' | 'phone'>): string {
  return [person.email, person.phone].filter((v): v is string => Boolean(v)).map(escapeRegExp).join('|');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
