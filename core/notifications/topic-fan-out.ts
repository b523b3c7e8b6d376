import type { Knex } from 'knex';
import { queueFirstSends, type FirstSends } from '../db/repositories/deliveries.ts';
import { getEvent } from '../db/repositories/notifications.ts';
import { countMembers, finishTopicPage, lockTopicFanOut, topicFanOutHead, topicMembersPage, topicsByKey, type TopicFanOutRow } from '../db/repositories/topic-fan-outs.ts';
import { enqueue } from '../jobs/tasks.ts';
import type { EventRow } from '../db/repositories/rows.ts';
import type { RecipientEntry } from '../subscribers/service.ts';
import type { Workflow } from '../workflows/service.ts';
import type { NotificationsContext } from './context.ts';
import { createNotification, deliverLocal, needsChain, notifyMembers } from './decisions.ts';

/**
 * The fan-out of an event to topics, streamed: never one transaction holding locks while a large
 * topic is expanded. Fan-out starts it (a `topic_fan_outs` row and the first `fan_out_topic` job,
 * in the event's own transaction); each job then takes one page of members, in subscriber id
 * order, in a transaction of its own that writes the page's notifications (with their deliveries
 * and send jobs), moves the row's cursor and queues the next page. The row is locked by each page,
 * so a page is written once even when its job runs twice.
 *
 * Who is notified: the topics' members when the fan-out began (members who join later are not),
 * unless they left before their page was reached or were erased; once each across the topics;
 * never the event's own recipients (they had theirs) nor its `exclude` list.
 *
 * Each page job runs at the time the fan-out began, so it comes before the send jobs of normal and
 * low priority queued since (its own pages' among them): the whole topic is fanned out first, then
 * sent. A page's first sends are `send_deliveries` batch jobs (deliveries.ts insertedDeliveriesCte).
 */

type TopicEntry = Extract<RecipientEntry, { kind: 'topic' }>;

export async function startTopicFanOut(
  ctx: NotificationsContext,
  trx: Knex,
  input: { event: EventRow; workflow: Workflow; topics: TopicEntry[]; skip: string[] },
): Promise<{ id?: string; problems: string[] }> {
  const { event, workflow } = input;
  const keys = [...new Set(input.topics.map((t) => t.key))];
  const found = await topicsByKey(trx, event.tenant_id, keys);
  const problems = input.topics.filter((t) => !found.has(t.key)).map((t) => `recipients[${t.index}]: no topic ${t.key} (create it with PUT /v1/topics/${t.key})`);
  if (found.size === 0) return { problems };
  const startedAt = ctx.clock.now();
  const topicIds = [...found.values()];
  // A large topic is fanned out by several streams at once, each over a range of subscriber ids
  // (random UUIDs: the ranges hold about as many members each).
  const large = ctx.topicStreams > 1 && (await countMembers(trx, event.tenant_id, topicIds, 2 * ctx.topicPageSize + 1)) > 2 * ctx.topicPageSize;
  const ranges = large ? uuidRanges(ctx.topicStreams) : [{ from: null, to: null }];
  const rows: Array<{ id: string }> = await trx('topic_fan_outs')
    .insert(
      ranges.map((range) => ({
        tenant_id: event.tenant_id,
        event_id: event.id,
        workflow_key: workflow.key,
        topic_ids: topicIds,
        topic_keys: [...found.keys()],
        skip: [...new Set(input.skip)],
        snapshot: trx.raw('(select coalesce(max(id), 0) from topic_subscriptions)'),
        range_from: range.from,
        range_to: range.to,
        started_at: startedAt,
      })),
    )
    .returning('id');
  for (const row of rows) await enqueue(trx, 'fan_out_topic', { fanOutId: row.id, tenantId: event.tenant_id }, { runAt: startedAt, jobKey: `fan_out_topic:${row.id}` });
  return { id: rows[0].id, problems };
}

/** `n` contiguous ranges covering every UUID: (from, to], null for an open end. */
export function uuidRanges(n: number): Array<{ from: string | null; to: string | null }> {
  const bound = (i: number) => `${Math.floor((i * 0x100000000) / n).toString(16).padStart(8, '0')}-0000-0000-0000-000000000000`;
  return Array.from({ length: n }, (_, i) => ({ from: i === 0 ? null : bound(i), to: i === n - 1 ? null : bound(i + 1) }));
}

export class TopicFanOut {
  readonly #ctx: NotificationsContext;
  readonly #pageSize: number;

  constructor(ctx: NotificationsContext, pageSize: number) {
    this.#ctx = ctx;
    this.#pageSize = pageSize;
  }

  /** `fan_out_topic`: one page. Returns how many notifications it made, and whether the fan-out is done. */
  async page(fanOutId: string, tenantId: string): Promise<{ notifications: number; done: boolean }> {
    const { knex, log } = this.#ctx;
    // Configuration first, outside the transaction (a job never holds one connection waiting for another).
    const head = await topicFanOutHead(knex, fanOutId, tenantId);
    if (!head || head.status !== 'running') return { notifications: 0, done: true };
    const workflow = await this.#ctx.workflows.get(tenantId, head.workflow_key).catch(() => undefined);
    const chain = workflow ? await needsChain(this.#ctx, tenantId, workflow) : false;
    const result = await knex.transaction(async (trx) => {
      const row = await lockTopicFanOut(trx, fanOutId, tenantId);
      if (!row || row.status !== 'running') return { notifications: 0, done: true };
      const event = await getEvent(trx, row.event_id);
      if (!workflow || !event) {
        await finishTopicPage(trx, row, { last: null, notifications: 0, done: true, now: this.#ctx.clock.now() });
        log.warn({ fanOutId, workflow: row.workflow_key }, 'topic fan-out ended: its workflow or event is gone');
        return { notifications: 0, done: true };
      }
      const { last, notifications, full } = chain || deliverLocal(event) ? await this.#chainPage(trx, row, event, workflow) : await this.#setPage(trx, row, workflow);
      await finishTopicPage(trx, row, { last, notifications, done: !full, now: this.#ctx.clock.now() });
      if (full) await enqueue(trx, 'fan_out_topic', { fanOutId, tenantId }, { runAt: new Date(row.started_at), jobKey: `fan_out_topic:${fanOutId}` });
      return { notifications, done: !full };
    });
    log.debug({ fanOutId, tenantId, ...result }, 'topic fan-out page');
    return result;
  }

  /** A page through the plugin chain, one notification at a time (the chain may decide per subscriber). */
  async #chainPage(trx: Knex, row: TopicFanOutRow, event: EventRow, workflow: Workflow): Promise<{ last: string | null; notifications: number; full: boolean }> {
    const size = Math.min(this.#pageSize, 200);
    const members = await topicMembersPage(trx, row, size);
    const firstSends: FirstSends = [];
    for (const subscriber of members) await createNotification(this.#ctx, trx, { event, workflow, subscriber, firstSends });
    await queueFirstSends(trx, firstSends);
    return { last: members.at(-1)?.id ?? null, notifications: members.length, full: members.length === size };
  }

  /** A page in one statement: the members, their notifications, deliveries and send jobs. */
  async #setPage(trx: Knex, row: TopicFanOutRow, workflow: Workflow): Promise<{ last: string | null; notifications: number; full: boolean }> {
    const page = topicMembersPage(trx, row, this.#pageSize, ['s.id']);
    const { notifications, members, last } = await notifyMembers(trx, { tenantId: row.tenant_id, eventId: row.event_id, workflow, members: page });
    return { last, notifications, full: members === this.#pageSize };
  }
}
