import type { Knex } from 'knex';
import { ClarionError } from '../../errors.ts';
import { keysetPage, type Page } from '../paging.ts';
import { isUuid } from '../../kernel/ids.ts';
import type { AttemptView, AuditEntry, DeliveryDetail, DeliveryView, InteractionView, NotificationDetail, NotificationView, OutboxMessage } from './view-schemas.ts';
import { topicFanOutsOf } from './topic-fan-outs.ts';

/** Most notifications an event's view lists (`GET /v1/events/{id}`). */
export const EVENT_NOTIFICATIONS_SHOWN = 1000;

/** Read side of notifications, deliveries, attempts, the sandbox outbox and the audit trail. */

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
/** A timestamp the row always has. */
const at = (d: Date | string) => new Date(d).toISOString();

/** The subscriber's id, none for an erased one (whose row keeps only a marker). */
const SUBSCRIBER_ID = 'case when s.erased_at is null then s.external_id end as subscriber_external_id';

export interface ListOptions {
  limit: number;
  cursor?: string;
}

export class NotificationQueries {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async list(tenantId: string, options: ListOptions & { status?: string; subscriber?: string; workflow?: string; eventId?: string; since?: string; until?: string }): Promise<Page<NotificationView>> {
    const query = this.#knex('notifications as n')
      .leftJoin('subscribers as s', 's.id', 'n.subscriber_id')
      .where('n.tenant_id', tenantId)
      .select('n.*', this.#knex.raw(SUBSCRIBER_ID));
    if (options.status) query.where('n.status', options.status);
    if (options.workflow) query.where('n.workflow_key', options.workflow);
    if (options.subscriber) query.where('s.external_id', options.subscriber).whereNull('s.erased_at');
    if (options.eventId) query.where('n.event_id', options.eventId);
    if (options.since) query.where('n.created_at', '>=', options.since);
    if (options.until) query.where('n.created_at', '<', options.until);
    return keysetPage(this.#knex, query, { ts: 'n.created_at', id: 'n.id' }, options, notificationView);
  }

  async get(tenantId: string, id: string): Promise<NotificationDetail> {
    if (!isUuid(id)) throw new ClarionError('CLARION_ERR_NOTIFICATION_NOT_FOUND', `No notification ${id}`);
    // One snapshot for the notification and its deliveries: read apart, a delivery could show a
    // status the notification's own (written in the same statement) does not yet.
    return this.#knex.transaction(
      async (trx) => {
        const row = await trx('notifications as n')
          .leftJoin('subscribers as s', 's.id', 'n.subscriber_id')
          .where({ 'n.tenant_id': tenantId, 'n.id': id })
          .first('n.*', trx.raw(SUBSCRIBER_ID));
        if (!row) throw new ClarionError('CLARION_ERR_NOTIFICATION_NOT_FOUND', `No notification ${id}`);
        const deliveries = await trx('deliveries').where({ notification_id: id }).orderBy('created_at');
        const attempts = deliveries.length
          ? await trx('delivery_attempts').whereIn('delivery_id', deliveries.map((d) => d.id)).orderBy([{ column: 'delivery_id' }, { column: 'attempt' }, { column: 'started_at' }])
          : [];
        const interactions = await trx('interactions').where({ tenant_id: tenantId, notification_id: id }).orderBy([{ column: 'occurred_at' }, { column: 'created_at' }]).limit(MAX_INTERACTIONS);
        return {
          ...notificationView(row),
          content: row.content,
          deliveries: deliveries.map((d): DeliveryDetail => ({ ...deliveryView(d), attempts: attempts.filter((a) => a.delivery_id === d.id).map(attemptView) })),
          interactions: interactions.map(interactionView),
        };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
  }

  async deliveries(tenantId: string, options: ListOptions & { status?: string; channel?: string }): Promise<Page<DeliveryView>> {
    const query = this.#knex('deliveries').where({ tenant_id: tenantId }).select('*');
    if (options.status) query.where({ status: options.status });
    if (options.channel) query.where({ channel: options.channel });
    return keysetPage(this.#knex, query, { ts: 'updated_at', id: 'id' }, options, deliveryView);
  }

  async delivery(tenantId: string, id: string): Promise<DeliveryDetail> {
    if (!isUuid(id)) throw new ClarionError('CLARION_ERR_DELIVERY_NOT_FOUND', `No delivery ${id}`);
    const row = await this.#knex('deliveries').where({ tenant_id: tenantId, id }).first();
    if (!row) throw new ClarionError('CLARION_ERR_DELIVERY_NOT_FOUND', `No delivery ${id}`);
    const attempts = await this.#knex('delivery_attempts').where({ delivery_id: id }).orderBy([{ column: 'attempt' }, { column: 'started_at' }]);
    return { ...deliveryView(row), attempts: attempts.map(attemptView) };
  }

  async outbox(tenantId: string, options: ListOptions & { channel?: string; to?: string }): Promise<Page<OutboxMessage>> {
    const query = this.#knex('outbox_messages').where({ tenant_id: tenantId }).select('*');
    if (options.channel) query.where({ channel: options.channel });
    if (options.to) query.whereRaw("(recipient->>'id' = ? or recipient->>'email' = ? or recipient->>'phone' = ?)", [options.to, options.to, options.to]);
    return keysetPage(this.#knex, query, { ts: 'created_at', id: 'id' }, options, outboxView);
  }

  async audit(tenantId: string, options: { limit: number; cursor?: string; targetType?: string; targetId?: string; action?: string }): Promise<Page<AuditEntry>> {
    const query = this.#knex('audit_logs').where({ tenant_id: tenantId }).orderBy('id', 'desc').limit(options.limit + 1);
    if (options.targetType) query.where({ target_type: options.targetType });
    if (options.targetId) query.where({ target_id: options.targetId });
    if (options.action) query.where({ action: options.action });
    if (options.cursor) {
      const before = Number(Buffer.from(options.cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(before)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', message: 'is invalid' }] });
      query.where('id', '<', before);
    }
    const rows = await query;
    const items = rows.slice(0, options.limit);
    return {
      items: items.map((r): AuditEntry => ({ id: r.id, actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, summary: r.summary, createdAt: at(r.created_at) })),
      nextCursor: rows.length > options.limit ? Buffer.from(String(items.at(-1)!.id)).toString('base64url') : null,
    };
  }

  /** The notifications of an event, for `GET /v1/events/:id`. */
  async forEvent(tenantId: string, eventId: string): Promise<NotificationView[]> {
    const rows = await this.#knex('notifications as n')
      .leftJoin('subscribers as s', 's.id', 'n.subscriber_id')
      .where({ 'n.tenant_id': tenantId, 'n.event_id': eventId })
      .orderBy('n.created_at')
      // An event to a large topic makes a notification per member: the view shows the first ones.
      .limit(EVENT_NOTIFICATIONS_SHOWN)
      .select('n.*', this.#knex.raw(SUBSCRIBER_ID));
    return rows.map(notificationView);
  }

  /** An event's fan-outs to topics (streamed in pages): how far each got, its streams added up. */
  async topicFanOuts(tenantId: string, eventId: string): Promise<Array<Record<string, unknown>>> {
    const rows = await topicFanOutsOf(this.#knex, tenantId, eventId);
    const groups = new Map<string, typeof rows>();
    for (const r of rows) {
      const key = `${r.workflow_key}\u0000${r.topic_keys.join(',')}\u0000${new Date(r.started_at).toISOString()}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups.values()].map((streams) => {
      const status = streams.some((r) => r.status === 'running') ? 'running' : streams.some((r) => r.status === 'cancelled') ? 'cancelled' : 'done';
      const finished = streams.map((r) => r.finished_at).filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());
      return {
        id: streams[0].id,
        workflow: streams[0].workflow_key,
        topics: streams[0].topic_keys,
        status,
        streams: streams.length,
        pages: streams.reduce((n, r) => n + r.pages, 0),
        notifications: streams.reduce((n, r) => n + r.notifications, 0),
        startedAt: new Date(streams[0].started_at).toISOString(),
        finishedAt: status === 'running' || finished.length === 0 ? null : new Date(Math.max(...finished)).toISOString(),
      };
    });
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function notificationView(row: any): NotificationView {
  return {
    id: row.id,
    eventId: row.event_id,
    subscriberId: row.subscriber_external_id ?? null,
    workflow: row.workflow_key,
    priority: row.priority,
    status: row.status,
    channels: row.channels,
    decisions: row.decisions,
    scheduledFor: iso(row.scheduled_for),
    seenAt: iso(row.seen_at),
    readAt: iso(row.read_at),
    acknowledgedAt: iso(row.acknowledged_at),
    openedAt: iso(row.opened_at),
    clickedAt: iso(row.clicked_at),
    // Pipeline plugins: the digest it was batched into, the escalation steps and their state.
    digestId: row.digest_id ?? null,
    escalation: row.escalation ?? null,
    createdAt: at(row.created_at),
    updatedAt: at(row.updated_at),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function deliveryView(row: any): DeliveryView {
  return {
    id: row.id,
    notificationId: row.notification_id,
    channel: row.channel,
    status: row.status,
    providerId: row.provider_config_id,
    adapter: row.adapter,
    attemptCount: row.attempt_count,
    providerMessageId: row.provider_message_id,
    error: row.error_class ? { class: row.error_class, code: row.error_code, message: row.error_message } : null,
    nextAttemptAt: iso(row.next_attempt_at),
    failingSince: iso(row.failing_since),
    fallbackOf: row.fallback_of,
    sentAt: iso(row.sent_at),
    deliveredAt: iso(row.delivered_at),
    openedAt: iso(row.opened_at),
    clickedAt: iso(row.clicked_at),
    createdAt: at(row.created_at),
    updatedAt: at(row.updated_at),
  };
}

/** Most interactions a notification's detail lists (the first ones: a mail opened a thousand times shows its first thousand). */
const MAX_INTERACTIONS = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function interactionView(row: any): InteractionView {
  return {
    id: row.id,
    notificationId: row.notification_id,
    deliveryId: row.delivery_id,
    kind: row.kind,
    channel: row.channel,
    source: row.source,
    adapter: row.adapter,
    link: row.link,
    action: row.action,
    userAgent: row.user_agent,
    ip: row.ip,
    prefetch: row.prefetch,
    occurredAt: at(row.occurred_at),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function outboxView(r: any): OutboxMessage {
  return {
    id: r.id, adapter: r.adapter, channel: r.channel, notificationId: r.notification_id, deliveryId: r.delivery_id, to: r.recipient, content: r.content, headers: r.headers,
    createdAt: at(r.created_at),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function attemptView(row: any): AttemptView {
  return {
    attempt: row.attempt,
    providerId: row.provider_config_id,
    adapter: row.adapter,
    outcome: row.outcome,
    errorCode: row.error_code,
    errorScope: row.error_scope ?? null,
    errorMessage: row.error_message,
    probe: row.probe === true,
    providerMessageId: row.provider_message_id,
    response: row.response_excerpt,
    startedAt: at(row.started_at),
    durationMs: row.duration_ms,
  };
}
