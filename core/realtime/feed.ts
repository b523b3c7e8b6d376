import type { OutboundMessage } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { recordInteraction, type InteractionEmitter } from '../analytics/interactions.ts';
import type { NewInteraction } from '../db/repositories/interactions.ts';
import { keysetPage, type Page } from '../db/paging.ts';
import { enqueue } from '../jobs/tasks.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { acknowledge } from '../notifications/status.ts';
import { ClarionError } from '../errors.ts';
import { recipientStatus } from '../notifications/status.ts';
import type { Clock } from '../kernel/clock.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Workflow } from '../workflows/service.ts';
import { inboxCounts, lockInbox, lockInboxes, recordChange, recordChanges, type InboxCounts, type LockedInbox } from './changes.ts';
import type { InboxAction, InboxItemView, MarkResult } from './views.ts';

/**
 * The inbox as its subscriber reads and changes it: the feed with its filters, counts, item
 * states (seen, read, archived, snoozed), bulk marks and action buttons. Every change is a
 * numbered change of the inbox (core/realtime/changes.ts) that the streams push; what the
 * recipient does flows into the notification: its status (seen, read, archived; never back
 * down), the audit trail, the outgoing webhooks, and, when the workflow says so
 * (`inAppReadAcknowledges`), its acknowledgement, which stops an escalation. A first read, an
 * archive and an action button are also interactions (an open, a dismissal, a click when the
 * button has a link, else an action), as email opens and clicks are: analytics count them and the
 * notification gets `openedAt`/`clickedAt`.
 */

export interface FeedDeps {
  knex: Knex;
  clock: Clock;
  workflows: { get(tenantId: string, key: string): Promise<Workflow> };
  /** The outgoing webhook hub (status changes, and interactions: core/analytics/interactions.ts). */
  webhooks: () => InteractionEmitter | undefined;
}

export const STATUS_FILTERS = ['unread', 'read', 'unseen', 'seen', 'archived', 'snoozed', 'all'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
export const MARK_ACTIONS = ['read', 'seen', 'archive', 'archive_read'] as const;
export type MarkAction = (typeof MARK_ACTIONS)[number];

/** What the list, the counts and a bulk mark select. */
export interface InboxFilter {
  /** Default: the inbox (neither archived nor snoozed). */
  status?: StatusFilter;
  categories?: string[];
  workflows?: string[];
  /** Items with any of these tags. */
  tags?: string[];
  /** Arrived at or after. */
  since?: string;
  /** Arrived before. */
  until?: string;
}

/** The subscriber an inbox call acts for. */
export interface Reader {
  tenantId: string;
  subscriberId: string;
  externalId: string;
  actor: string;
}

/** Longest snooze. */
const MAX_SNOOZE_MS = 90 * 24 * 3600_000;
/** Most items one bulk mark changes (the rest stay for the next call: `more` says so). */
export const MARK_MAX = 5000;
/** Most ids a bulk change names on the stream (beyond, clients reload). */
const CHANGE_IDS_MAX = 1000;

const iso = (value: unknown) => (value ? new Date(value as string).toISOString() : null);

/** An item's buttons, each with the key `POST /v1/inbox/:id/actions/:key` takes: its `action`, else its position. */
export function normalizeActions(raw: unknown): InboxAction[] {
  if (!Array.isArray(raw)) return [];
  const actions = raw.filter((a) => a && typeof a === 'object' && typeof a.label === 'string');
  const primary = actions.findIndex((a) => a.style === 'primary');
  return actions.map((a, i) => ({
    key: typeof a.key === 'string' ? a.key : typeof a.action === 'string' && a.action !== '' ? a.action : String(i),
    label: a.label,
    url: typeof a.url === 'string' ? a.url : null,
    style: a.style === 'primary' || a.style === 'secondary' ? a.style : (primary === -1 ? i === 0 : i === primary) ? 'primary' : 'secondary',
  }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function itemView(row: any): InboxItemView {
  return {
    id: row.id,
    notificationId: row.notification_id ?? null,
    workflow: row.workflow_key ?? null,
    category: row.category ?? null,
    tags: row.tags ?? [],
    title: row.title ?? null,
    body: row.body ?? null,
    url: row.url ?? null,
    actions: normalizeActions(row.actions),
    data: row.data ?? {},
    createdAt: iso(row.created_at)!,
    surfacedAt: iso(row.surfaced_at ?? row.created_at)!,
    seenAt: iso(row.seen_at),
    readAt: iso(row.read_at),
    archivedAt: iso(row.archived_at),
    snoozedUntil: iso(row.snoozed_until),
    action: row.action_key ? { key: row.action_key, at: iso(row.action_at)! } : null,
  };
}

/** Adds a filter's conditions to a query of `inbox_items`. */
export function applyFilter(query: Knex.QueryBuilder, filter: InboxFilter): Knex.QueryBuilder {
  const status = filter.status;
  if (status === 'archived') query.whereNotNull('archived_at');
  else if (status === 'snoozed') query.whereNotNull('snoozed_until').whereNull('archived_at');
  else if (status !== 'all') {
    query.whereNull('archived_at').whereNull('snoozed_until');
    if (status === 'unread') query.whereNull('read_at');
    if (status === 'read') query.whereNotNull('read_at');
    if (status === 'unseen') query.whereNull('seen_at');
    if (status === 'seen') query.whereNotNull('seen_at');
  }
  if (filter.categories?.length) query.whereIn('category', filter.categories);
  if (filter.workflows?.length) query.whereIn('workflow_key', filter.workflows);
  if (filter.tags?.length) query.whereRaw('tags && ?::text[]', [filter.tags]);
  if (filter.since) query.where('created_at', '>=', filter.since);
  if (filter.until) query.where('created_at', '<', filter.until);
  return query;
}

export class InboxFeed {
  readonly #deps: FeedDeps;

  constructor(deps: FeedDeps) {
    this.#deps = deps;
  }

  // ------------------------------------------------------------ reading

  async list(reader: Reader, filter: InboxFilter, page: { limit: number; cursor?: string }): Promise<Page<InboxItemView>> {
    const { knex } = this.#deps;
    const query = applyFilter(knex('inbox_items').where({ tenant_id: reader.tenantId, subscriber_id: reader.subscriberId }).select('*'), filter);
    return keysetPage(knex, query, { ts: 'surfaced_at', id: 'id' }, page, itemView);
  }

  /** Total, unread, unseen, per category: one query. A status filter does not apply (counts are of the inbox). */
  counts(reader: Reader, filter: InboxFilter = {}): Promise<InboxCounts> {
    const { status: _status, ...rest } = filter;
    const narrowed = Object.values(rest).some((v) => v !== undefined);
    return inboxCounts(this.#deps.knex, reader.tenantId, reader.subscriberId, narrowed ? (q) => applyFilter(q, { ...rest, status: 'all' }) : undefined);
  }

  // ------------------------------------------------------------ writing

  /**
   * `PATCH /v1/inbox/:itemId`: any of seen, read (true or false), archived (true or false) and
   * snoozedUntil (a time, or null to bring it back now). Changing nothing records nothing.
   */
  async update(reader: Reader, itemId: string, patch: { seen?: true; read?: boolean; archived?: boolean; snoozedUntil?: string | null }): Promise<InboxItemView> {
    const now = this.#deps.clock.now();
    if (patch.snoozedUntil) {
      const until = new Date(patch.snoozedUntil).getTime();
      if (until <= now.getTime()) throw invalid('/snoozedUntil', 'must be in the future');
      if (until - now.getTime() > MAX_SNOOZE_MS) throw invalid('/snoozedUntil', 'must be at most 90 days ahead');
    }
    return this.#deps.knex.transaction(async (trx) => {
      const { inbox, row } = await this.#locked(trx, reader, itemId);
      const set: Record<string, unknown> = {};
      const did: Array<'seen' | 'read' | 'archived'> = [];
      if (patch.read === true && !row.read_at) {
        set.read_at = now;
        did.push('read');
      }
      if ((patch.seen || patch.read === true) && !row.seen_at) {
        set.seen_at = now;
        did.unshift('seen');
      }
      if (patch.read === false && row.read_at) set.read_at = null;
      if (patch.archived === true && !row.archived_at) {
        set.archived_at = now;
        did.push('archived');
      }
      if (patch.archived === false && row.archived_at) set.archived_at = null;
      let reason: string | undefined;
      if (patch.snoozedUntil !== undefined) {
        const until = patch.snoozedUntil === null ? null : new Date(patch.snoozedUntil);
        if ((until?.getTime() ?? null) !== (row.snoozed_until ? new Date(row.snoozed_until).getTime() : null)) {
          set.snoozed_until = until;
          if (until) {
            reason = 'snoozed';
            // Snoozing again moves the job (one per item, replaced).
            await enqueue(trx, 'unsnooze_inbox_item', { itemId: row.id, tenantId: reader.tenantId }, { runAt: until, jobKey: `unsnooze:${row.id}`, jobKeyMode: 'replace' });
          } else {
            reason = 'unsnoozed';
            set.surfaced_at = now;
            await trx.raw('select graphile_worker.remove_job(?)', [`unsnooze:${row.id}`]);
          }
          await audit(trx, reader.tenantId, reader.actor, until ? 'inbox.snoozed' : 'inbox.unsnoozed', row.id, { until: until?.toISOString() ?? null, notificationId: row.notification_id }, 'inbox_item');
        }
      }
      if (Object.keys(set).length === 0) return itemView(row);
      const [updated] = await trx('inbox_items').where({ id: row.id }).update(set).returning('*');
      const item = itemView(updated);
      await recordChange(trx, inbox, { type: 'item.updated', item: item as unknown as Record<string, unknown>, ...(reason ? { reason } : {}) });
      for (const what of did) await this.#recipientDid(trx, reader, row, what, now);
      return item;
    });
  }

  /** `POST /v1/inbox/mark`: read, seen, archive or archive the read ones, of the items a filter (or a list of ids) selects. */
  async mark(reader: Reader, action: MarkAction, filter: InboxFilter, ids?: string[]): Promise<MarkResult> {
    const now = this.#deps.clock.now();
    return this.#deps.knex.transaction(async (trx) => {
      const inbox = await lockInbox(trx, reader.tenantId, reader.subscriberId);
      const selected = applyFilter(trx('inbox_items').where({ tenant_id: reader.tenantId, subscriber_id: reader.subscriberId }), { ...filter, status: filter.status ?? (action === 'archive_read' ? 'read' : undefined) });
      if (ids) selected.whereIn('id', ids);
      if (action === 'read') selected.whereNull('read_at');
      if (action === 'seen') selected.whereNull('seen_at');
      if (action === 'archive' || action === 'archive_read') selected.whereNull('archived_at');
      if (action === 'archive_read') selected.whereNotNull('read_at');
      const rows: Array<{ id: string; notification_id: string | null; seen_at: Date | null; read_at: Date | null }> = await selected
        .orderBy([{ column: 'surfaced_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(MARK_MAX + 1)
        .forUpdate()
        .select('id', 'notification_id', 'seen_at', 'read_at');
      const more = rows.length > MARK_MAX;
      const chosen = rows.slice(0, MARK_MAX);
      if (chosen.length === 0) return { updated: 0, more: false };
      const set: Record<string, unknown> =
        action === 'read' ? { read_at: now, seen_at: trx.raw('coalesce(seen_at, ?)', [now]) } : action === 'seen' ? { seen_at: now } : { archived_at: now };
      await trx('inbox_items').whereIn('id', chosen.map((r) => r.id)).update(set);
      const patch = action === 'read' ? { readAt: now.toISOString(), seenAt: now.toISOString() } : action === 'seen' ? { seenAt: now.toISOString() } : { archivedAt: now.toISOString() };
      await recordChange(trx, inbox, { type: 'items.updated', ids: chosen.length <= CHANGE_IDS_MAX ? chosen.map((r) => r.id) : null, patch, reason: action });
      await audit(trx, reader.tenantId, reader.actor, 'inbox.marked', reader.subscriberId, { action, items: chosen.length, filter, ids: ids?.length ?? null }, 'subscriber');
      const seen = new Set<string>();
      for (const row of chosen) {
        if (!row.notification_id || seen.has(row.notification_id)) continue;
        seen.add(row.notification_id);
        if (action === 'read') {
          if (!row.seen_at) await this.#recipientDid(trx, reader, row, 'seen', now);
          await this.#recipientDid(trx, reader, row, 'read', now);
        } else await this.#recipientDid(trx, reader, row, action === 'seen' ? 'seen' : 'archived', now);
      }
      return { updated: chosen.length, more };
    });
  }

  /** `POST /v1/inbox/:itemId/actions/:key`: the button taken is recorded (again only if another one), and the item is read. */
  async act(reader: Reader, itemId: string, key: string): Promise<InboxItemView> {
    const now = this.#deps.clock.now();
    return this.#deps.knex.transaction(async (trx) => {
      const { inbox, row } = await this.#locked(trx, reader, itemId);
      const action = normalizeActions(row.actions).find((a) => a.key === key);
      if (!action) throw new ClarionError('CLARION_ERR_INBOX_ACTION_UNKNOWN', `Item ${itemId} has no action ${key}`, { extensions: { actions: normalizeActions(row.actions).map((a) => a.key) } });
      if (row.action_key === key) return itemView(row);
      const [updated] = await trx('inbox_items')
        .where({ id: row.id })
        .update({ action_key: key, action_at: now, read_at: row.read_at ?? now, seen_at: row.seen_at ?? now })
        .returning('*');
      const item = itemView(updated);
      await recordChange(trx, inbox, { type: 'item.updated', item: item as unknown as Record<string, unknown>, reason: 'action' });
      if (!row.seen_at) await this.#recipientDid(trx, reader, row, 'seen', now);
      if (!row.read_at) await this.#recipientDid(trx, reader, row, 'read', now);
      if (row.notification_id) {
        const n = await trx('notifications').where({ id: row.notification_id, tenant_id: reader.tenantId }).first('workflow_key');
        await audit(trx, reader.tenantId, reader.actor, 'notification.action_taken', row.notification_id, { itemId: row.id, action: key, label: action.label, url: action.url }, 'notification');
        await this.#emit(trx, reader.tenantId, 'io.clarion.notification.action', row.notification_id, {
          workflow: n?.workflow_key ?? row.workflow_key, subscriberId: reader.externalId, itemId: row.id, action: { key, label: action.label, url: action.url }, via: 'in_app',
        });
        await this.#interaction(trx, reader, row.notification_id, action.url ? { kind: 'click', link: action.url, action: key } : { kind: 'action', action: key }, now);
      }
      return item;
    });
  }

  /**
   * `unsnooze_inbox_item`: a snoozed item's time has come (by the injected clock); it comes back
   * unread and unseen, at the top of the list. A job for a snooze since moved or cancelled does nothing.
   */
  async wake(itemId: string, tenantId: string): Promise<'woken' | 'skipped'> {
    const { knex, clock } = this.#deps;
    const head = await knex('inbox_items').where({ id: itemId, tenant_id: tenantId }).first('subscriber_id');
    if (!head) return 'skipped';
    return knex.transaction(async (trx) => {
      const inbox = await lockInbox(trx, tenantId, head.subscriber_id);
      const row = await trx('inbox_items').where({ id: itemId }).forUpdate().first();
      const now = clock.now();
      if (!row?.snoozed_until || new Date(row.snoozed_until).getTime() > now.getTime()) return 'skipped';
      const [updated] = await trx('inbox_items').where({ id: itemId }).update({ snoozed_until: null, read_at: null, seen_at: null, surfaced_at: now }).returning('*');
      await recordChange(trx, inbox, { type: 'item.updated', item: itemView(updated) as unknown as Record<string, unknown>, reason: 'unsnoozed' });
      await audit(trx, tenantId, 'system', 'inbox.unsnoozed', itemId, { notificationId: row.notification_id, snoozedUntil: new Date(row.snoozed_until).toISOString() }, 'inbox_item');
      return 'woken';
    });
  }

  // ------------------------------------------------------------ helpers

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #locked(trx: Knex, reader: Reader, itemId: string): Promise<{ inbox: LockedInbox; row: any }> {
    if (!isUuid(itemId)) throw notFound(itemId);
    const inbox = await lockInbox(trx, reader.tenantId, reader.subscriberId);
    const row = await trx('inbox_items').where({ id: itemId, tenant_id: reader.tenantId, subscriber_id: reader.subscriberId }).forUpdate().first();
    if (!row) throw notFound(itemId);
    return { inbox, row };
  }

  /**
   * The recipient saw, read or archived the item of a notification: the notification's own
   * record of it (first time only), its status up the ladder, the audit entry and the webhook; a
   * read moves the in-app delivery to `read` and, when the workflow says reading acknowledges,
   * acknowledges the notification (and the one it escalated from).
   */
  async #recipientDid(trx: Knex, reader: Reader, item: { id: string; notification_id: string | null }, what: 'seen' | 'read' | 'archived', now: Date): Promise<void> {
    if (!item.notification_id) return;
    const n = await trx('notifications')
      .where({ id: item.notification_id, tenant_id: reader.tenantId })
      .forUpdate()
      .first('id', 'status', 'workflow_key', 'seen_at', 'read_at', 'acknowledged_at', 'escalation');
    if (!n) return;
    const status = recipientStatus(n.status, what);
    const first = what === 'seen' ? !n.seen_at : what === 'read' ? !n.read_at : status !== n.status;
    if (!first) return;
    const set: Record<string, unknown> = { updated_at: trx.fn.now() };
    if (what === 'seen') set.seen_at = now;
    if (what === 'read') Object.assign(set, { read_at: now, seen_at: n.seen_at ?? now });
    if (status !== n.status) set.status = status;
    await trx('notifications').where({ id: n.id }).update(set);
    await audit(trx, reader.tenantId, reader.actor, `notification.${what}`, n.id, { via: 'in_app', itemId: item.id, from: n.status, to: status }, 'notification');
    await this.#emit(trx, reader.tenantId, `io.clarion.notification.${what}`, n.id, { workflow: n.workflow_key, subscriberId: reader.externalId, status, itemId: item.id, via: 'in_app' });
    if (what !== 'seen') await this.#interaction(trx, reader, n.id, { kind: what === 'read' ? 'open' : 'dismiss' }, now);
    if (what !== 'read') return;
    await trx('deliveries').where({ notification_id: n.id, channel: 'in_app' }).whereIn('status', ['sent', 'delivered']).update({ status: 'read', updated_at: trx.fn.now() });
    const workflow = await this.#deps.workflows.get(reader.tenantId, n.workflow_key).catch(() => undefined);
    if (!workflow?.inAppReadAcknowledges) return;
    const ids = [n.id, ...(typeof n.escalation?.parentId === 'string' ? [n.escalation.parentId as string] : [])];
    for (const id of ids) {
      if (await acknowledge(trx, reader.tenantId, id, reader.actor, 'in_app read', now)) {
        const acked = await trx('notifications').where({ id }).first('workflow_key');
        await this.#emit(trx, reader.tenantId, 'io.clarion.notification.acknowledged', id, { workflow: acked.workflow_key, via: 'in_app read', actor: reader.actor });
      }
    }
  }

  /** What the recipient did as an interaction, on the notification's in-app delivery when it has one. */
  async #interaction(trx: Knex, reader: Reader, notificationId: string, what: Pick<NewInteraction, 'kind' | 'link' | 'action'>, now: Date): Promise<void> {
    const delivery = await trx('deliveries').where({ notification_id: notificationId, tenant_id: reader.tenantId, channel: 'in_app' }).orderBy('created_at', 'desc').first('id');
    await recordInteraction(
      trx,
      this.#deps.webhooks(),
      delivery ? { deliveryId: delivery.id, tenantId: reader.tenantId } : { notificationId, tenantId: reader.tenantId },
      { ...what, source: 'inbox', channel: 'in_app', prefetch: false, at: now },
    );
  }

  async #emit(trx: Knex, tenantId: string, type: string, notificationId: string, data: Record<string, unknown>): Promise<void> {
    await this.#deps.webhooks()?.emit(trx, { tenantId, type, subject: notificationId, data: { notificationId, ...data } });
  }
}

/** An in-app message as the columns of its inbox item, filed under its workflow's category and tags. */
async function itemFields(workflows: FeedDeps['workflows'], message: OutboundMessage): Promise<Record<string, unknown>> {
  const workflowKey = typeof message.metadata?.workflow === 'string' ? message.metadata.workflow : null;
  const workflow = workflowKey ? await workflows.get(message.tenantId, workflowKey).catch(() => undefined) : undefined;
  return {
    notification_id: message.notificationId,
    workflow_key: workflowKey,
    category: workflow?.category ?? null,
    tags: workflow?.tags ?? [],
    title: message.content.title ?? null,
    body: message.content.body ?? message.content.text ?? null,
    url: message.content.url ?? null,
    actions: JSON.stringify(normalizeActions(message.content.actions ?? [])),
    data: JSON.stringify(message.content.data ?? {}),
  };
}

/**
 * The in-app adapter's put (the delivery engine's host calls it): the item, filed under its
 * workflow's category and tags, is change `item.created` of the subscriber's inbox, written and
 * announced in one transaction (the streams hear of it at commit).
 */
export async function putInboxItem(deps: Pick<FeedDeps, 'knex' | 'workflows'>, subscriberId: string, message: OutboundMessage): Promise<string> {
  const { knex, workflows } = deps;
  const fields = await itemFields(workflows, message);
  return knex.transaction(async (trx) => {
    // The inbox is locked: nothing else adds to it until this commits.
    const inbox = await lockInbox(trx, message.tenantId, subscriberId);
    // A message with a correlation key updates the subscriber's item of that key in place (new
    // content, unread again, back on top, the latest notification) rather than stacking another.
    const existing = message.correlationKey
      ? await trx('inbox_items').where({ tenant_id: message.tenantId, subscriber_id: subscriberId, correlation_key: message.correlationKey }).first('id')
      : undefined;
    if (existing) {
      const [row] = await trx('inbox_items')
        .where({ id: existing.id })
        .update({ ...fields, seen_at: null, read_at: null, archived_at: null, snoozed_until: null, action_key: null, action_at: null, surfaced_at: trx.fn.now(), updated_at: trx.fn.now() })
        .returning('*');
      await recordChange(trx, inbox, { type: 'item.updated', item: itemView(row) as unknown as Record<string, unknown>, reason: 'correlated' });
      return row.id as string;
    }
    const [row] = await trx('inbox_items')
      .insert({ tenant_id: message.tenantId, subscriber_id: subscriberId, ...fields, ...(message.correlationKey ? { correlation_key: message.correlationKey } : {}) })
      .returning('*');
    await recordChange(trx, inbox, { type: 'item.created', item: itemView(row) as unknown as Record<string, unknown> });
    return row.id as string;
  });
}

/**
 * Several puts of messages without a correlation key, each to a different subscriber, in one
 * transaction: the same statements as one put (inboxes locked, items inserted, one change each,
 * announced at commit), for all of them at once. Returns the items' ids, in order.
 */
export async function putInboxItems(deps: Pick<FeedDeps, 'knex' | 'workflows'>, puts: Array<{ subscriberId: string; message: OutboundMessage }>): Promise<string[]> {
  const { knex, workflows } = deps;
  const fields = await Promise.all(puts.map(({ message }) => itemFields(workflows, message)));
  return knex.transaction(async (trx) => {
    const inboxes = await lockInboxes(trx, puts.map(({ subscriberId, message }) => ({ tenantId: message.tenantId, subscriberId })));
    const rows: Array<Record<string, unknown>> = await trx('inbox_items')
      .insert(puts.map(({ subscriberId, message }, i) => ({ tenant_id: message.tenantId, subscriber_id: subscriberId, ...fields[i] })))
      .returning('*');
    const bySubscriber = new Map(rows.map((row) => [row.subscriber_id as string, row]));
    const items = puts.map(({ subscriberId }) => bySubscriber.get(subscriberId)!);
    await recordChanges(trx, inboxes.map((inbox, i) => ({ inbox, body: { type: 'item.created', item: itemView(items[i]) as unknown as Record<string, unknown> } })));
    return items.map((row) => row.id as string);
  });
}

function notFound(itemId: string): ClarionError {
  return new ClarionError('CLARION_ERR_INBOX_ITEM_NOT_FOUND', `No item ${itemId} in this inbox`);
}

function invalid(pointer: string, message: string): ClarionError {
  return new ClarionError('CLARION_ERR_INBOX_INVALID', 'Invalid inbox request', { errors: [{ pointer, message }] });
}
