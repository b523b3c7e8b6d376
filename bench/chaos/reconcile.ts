import type { Knex } from 'knex';
import type { ReceivedMail } from '../../test/support/smtp.ts';
import type { Received } from '../../test/integration/webhooks-receiver.ts';
import { Receiver } from '../../test/integration/webhooks-receiver.ts';
import type { ChaosEvent, PhaseTraffic } from './load.ts';

/**
 * What came out, against what went in. Every event answered 202 must have produced exactly its
 * expected emails (one per recipient, told apart by address), each copy carrying the Message-ID
 * of its delivery; every notification must have reached a final status, and every `sent` one must
 * have reached the webhook receiver (told apart by `webhook-id`).
 */

export interface Arrival {
  at: number;
  messageId: string;
}

/** The emails that arrived, by recipient address. */
export class Mailbox {
  readonly byAddress = new Map<string, Arrival[]>();
  count = 0;

  record(mail: ReceivedMail, at: number): void {
    for (const to of mail.to) {
      const list = this.byAddress.get(to) ?? [];
      list.push({ at, messageId: mail.messageId });
      this.byAddress.set(to, list);
    }
    this.count += 1;
  }

  /** Whether every email of the accepted events has arrived. */
  drained(events: ChaosEvent[]): boolean {
    return events.every((e) => e.acceptedAt === undefined || e.emails.every((a) => this.byAddress.has(a)));
  }
}

export interface PhaseWindow {
  name: string;
  what: string;
  /** When the phase began (the fault's turn) and when the next one began. */
  from: number;
  to: number;
  injectedAt?: number;
  liftedAt?: number;
  observed?: Record<string, unknown>;
  duplicateBound?: number | 'timeouts';
  webhookDuplicateBound?: number;
}

export interface PhaseReport {
  phase: string;
  what: string;
  eventsSent: number;
  eventsAccepted: number;
  /** Accepted, but an earlier try of the same request had been stored (its answer was lost). */
  resentAfterLostAnswer: number;
  abandoned: number;
  requests: number;
  refused503: number;
  refused503Malformed: number;
  refusedOther5xx: number;
  refused4xx: number;
  networkErrors: number;
  requestTimeouts: number;
  ingestRefusingMs: number;
  emailsExpected: number;
  emailsDelivered: number;
  /** Extra copies that arrived in this phase's window, with the Message-ID of the first. */
  duplicates: number;
  /** Extra copies with a Message-ID of their own: a second delivery for the same recipient (never expected). */
  duplicatesNewMessageId: number;
  duplicateBound: number | null;
  lost: number;
  lostAddresses: string[];
  /** From the lifting of the fault until every email of the events accepted before it had arrived. */
  recoveredMs: number | null;
  /** Attempts that timed out in the phase's window (what the slow-sink bound counts). */
  attemptsTimedOut: number;
  webhooksExpected: number;
  webhooksDelivered: number;
  webhookDuplicates: number;
  webhookDuplicateBound: number;
  webhooksLost: number;
  observed: Record<string, unknown>;
}

export interface DatabaseOutcome {
  events: Record<string, number>;
  notifications: Record<string, number>;
  deliveries: Record<string, number>;
  webhookMessages: Record<string, number>;
  jobs: { total: number; locked: number; permanentlyFailed: number; byTask: Record<string, number> };
  attemptsByOutcome: Record<string, number>;
}

const FINAL_NOTIFICATIONS = new Set(['sent', 'delivered', 'failed', 'partially_delivered', 'suppressed', 'seen', 'read', 'acknowledged', 'archived']);
const FINAL_DELIVERIES = new Set(['sent', 'delivered', 'undelivered', 'bounced', 'read', 'failed', 'dead', 'cancelled']);

export async function databaseOutcome(knex: Knex): Promise<DatabaseOutcome> {
  const grouped = async (table: string) =>
    Object.fromEntries(((await knex(table).select('status').count('* as n').groupBy('status')) as Array<{ status: string; n: number }>).map((r) => [r.status, Number(r.n)]));
  const { rows: jobs } = await knex.raw(
    `select task_identifier as task, count(*)::int as n, count(*) filter (where locked_at is not null)::int as locked,
            count(*) filter (where attempts >= max_attempts)::int as failed
       from graphile_worker.jobs where task_identifier <> 'send_daily_summaries' group by 1`,
  );
  const { rows: attempts } = await knex.raw(`select outcome || coalesce(':' || error_code, '') as k, count(*)::int as n from delivery_attempts group by 1`);
  return {
    events: await grouped('events'),
    notifications: await grouped('notifications'),
    deliveries: await grouped('deliveries'),
    webhookMessages: await grouped('webhook_messages'),
    jobs: {
      total: jobs.reduce((s: number, r: { n: number }) => s + r.n, 0),
      locked: jobs.reduce((s: number, r: { locked: number }) => s + r.locked, 0),
      permanentlyFailed: jobs.reduce((s: number, r: { failed: number }) => s + r.failed, 0),
      byTask: Object.fromEntries(jobs.map((r: { task: string; n: number }) => [r.task, r.n])),
    },
    attemptsByOutcome: Object.fromEntries(attempts.map((r: { k: string; n: number }) => [r.k, r.n])),
  };
}

export function stuck(outcome: DatabaseOutcome): string[] {
  const problems: string[] = [];
  for (const [status, n] of Object.entries(outcome.events)) if (status !== 'processed') problems.push(`${n} events ${status}`);
  for (const [status, n] of Object.entries(outcome.notifications)) if (!FINAL_NOTIFICATIONS.has(status)) problems.push(`${n} notifications ${status}`);
  for (const [status, n] of Object.entries(outcome.deliveries)) if (!FINAL_DELIVERIES.has(status)) problems.push(`${n} deliveries ${status}`);
  for (const [status, n] of Object.entries(outcome.webhookMessages)) if (status !== 'delivered') problems.push(`${n} webhook messages ${status}`);
  if (outcome.jobs.total > 0) problems.push(`${outcome.jobs.total} jobs left (${outcome.jobs.locked} locked, ${outcome.jobs.permanentlyFailed} failed for good): ${JSON.stringify(outcome.jobs.byTask)}`);
  return problems;
}

/**
 * The webhook requests the receiver answered 200, verified with the endpoint's secret as they
 * arrive (a Standard Webhooks signature is refused once its timestamp is 5 minutes old).
 */
export class WebhookTally {
  /** Notification id -> the webhook-ids answered 2xx for it, one entry per request. */
  readonly delivered = new Map<string, Array<{ id: string; at: number }>>();
  forged = 0;
  #seen = 0;
  readonly #secret: string;
  readonly #startEpoch: number;

  constructor(secret: string, startEpoch: number) {
    this.#secret = secret;
    this.#startEpoch = startEpoch;
  }

  /** Takes the requests that arrived since the last call; `refused`: index ranges answered 503. */
  take(requests: Received[], refused: Array<[number, number]>): void {
    for (; this.#seen < requests.length; this.#seen++) {
      const index = this.#seen;
      const request = requests[index];
      if (refused.some(([from, to]) => index >= from && index < to)) continue;
      let event: Record<string, unknown>;
      try {
        event = Receiver.verify(this.#secret, request);
      } catch {
        this.forged += 1;
        continue;
      }
      const notificationId = (event.data as { notificationId?: string } | undefined)?.notificationId;
      if (!notificationId) continue;
      const list = this.delivered.get(notificationId) ?? [];
      list.push({ id: request.headers['webhook-id'], at: request.at - this.#startEpoch });
      this.delivered.set(notificationId, list);
    }
  }
}

export async function reconcile(input: {
  knex: Knex;
  events: ChaosEvent[];
  mailbox: Mailbox;
  phases: PhaseWindow[];
  traffic: Map<string, PhaseTraffic>;
  webhooks: WebhookTally;
  /** Date.now() at the start of the run: the run's times are milliseconds since then. */
  startEpoch: number;
}): Promise<PhaseReport[]> {
  const { knex, events, mailbox, phases, traffic, webhooks } = input;
  const phaseAt = (t: number) => phases.find((p) => t >= p.from && t < p.to)?.name ?? phases.at(-1)!.name;
  const { rows: notifications } = await knex.raw(`select n.id, n.status, e.ce_id from notifications n join events e on e.id = n.event_id`);
  const notificationsByEvent = new Map<string, Array<{ id: string; status: string }>>();
  for (const n of notifications as Array<{ id: string; status: string; ce_id: string }>) {
    const list = notificationsByEvent.get(n.ce_id) ?? [];
    list.push(n);
    notificationsByEvent.set(n.ce_id, list);
  }
  const timedOut = (await knex('delivery_attempts').where({ outcome: 'transient', error_code: 'timeout' }).pluck('started_at')) as Date[];
  // Timed-out attempts per delivery, by the idempotency key its Message-ID carries (the SMTP
  // adapter's `<key@clarion>`): a copy is explained only by a timeout of its own delivery.
  const { rows: timeoutRows } = await knex.raw(
    `select d.idempotency_key as key, count(*)::int as n from delivery_attempts a join deliveries d on d.id = a.delivery_id
      where a.outcome = 'transient' and a.error_code = 'timeout' group by d.idempotency_key`,
  );
  const timeoutsByKey = new Map((timeoutRows as Array<{ key: string; n: number }>).map((r) => [r.key, r.n]));
  const explainedByKey = new Map<string, number>();
  const keyOf = (messageId: string) => /^<?([^@>]+)@clarion>?$/.exec(messageId)?.[1];
  const sinceStart = (d: Date) => new Date(d).getTime() - input.startEpoch;

  return phases.map((phase) => {
    const mine = events.filter((e) => e.phase === phase.name);
    const t = traffic.get(phase.name);
    const accepted = mine.filter((e) => e.acceptedAt !== undefined);
    const expected = accepted.flatMap((e) => e.emails);
    const lostAddresses = expected.filter((a) => !mailbox.byAddress.has(a));
    let duplicates = 0;
    let duplicatesNewMessageId = 0;
    /** Copies (same Message-ID) whose own delivery has a timed-out attempt not yet used to explain one. */
    let explainedByTimeout = 0;
    for (const arrivals of mailbox.byAddress.values()) {
      const first = arrivals[0];
      for (const copy of arrivals.slice(1)) {
        if (phaseAt(copy.at) !== phase.name) continue;
        if (copy.messageId !== first.messageId) {
          duplicatesNewMessageId += 1;
          continue;
        }
        duplicates += 1;
        const key = keyOf(copy.messageId);
        const used = key ? (explainedByKey.get(key) ?? 0) : 0;
        if (key && used < (timeoutsByKey.get(key) ?? 0)) {
          explainedByKey.set(key, used + 1);
          explainedByTimeout += 1;
        }
      }
    }
    let recoveredMs: number | null = null;
    if (phase.liftedAt !== undefined) {
      const before = events.filter((e) => e.acceptedAt !== undefined && e.acceptedAt <= phase.liftedAt!);
      const arrivals = before.flatMap((e) => e.emails.map((a) => mailbox.byAddress.get(a)?.[0]?.at)).filter((x): x is number => x !== undefined);
      recoveredMs = Math.max(0, Math.max(...arrivals) - phase.liftedAt);
    }
    const webhookExpected = accepted.flatMap((e) => (notificationsByEvent.get(e.id) ?? []).filter((n) => n.status === 'sent'));
    let webhooksDelivered = 0;
    let webhookDuplicates = 0;
    for (const n of webhookExpected) if (webhooks.delivered.has(n.id)) webhooksDelivered += 1;
    for (const list of webhooks.delivered.values()) {
      const seen = new Set<string>();
      for (const w of list) {
        if (seen.has(w.id) && phaseAt(w.at) === phase.name) webhookDuplicates += 1;
        seen.add(w.id);
      }
    }
    const bound = phase.duplicateBound;
    const attemptsTimedOut = timedOut.filter((d) => phaseAt(sinceStart(d)) === phase.name).length;
    return {
      phase: phase.name,
      what: phase.what,
      eventsSent: mine.length,
      eventsAccepted: accepted.length,
      resentAfterLostAnswer: accepted.filter((e) => e.resentAfterLostAnswer).length,
      abandoned: mine.filter((e) => e.abandoned).length,
      requests: t?.requests ?? 0,
      refused503: t?.refused503 ?? 0,
      refused503Malformed: t?.refused503Malformed ?? 0,
      refusedOther5xx: t?.refused5xx ?? 0,
      refused4xx: t?.refused4xx ?? 0,
      networkErrors: t?.networkErrors ?? 0,
      requestTimeouts: t?.timeouts ?? 0,
      ingestRefusingMs: t?.firstRefusedAt !== undefined ? Math.round(t.lastRefusedAt! - t.firstRefusedAt) : 0,
      emailsExpected: expected.length,
      emailsDelivered: expected.length - lostAddresses.length,
      duplicates,
      duplicatesNewMessageId,
      // A slow sink's bound: the copies its own timeouts explain (a timeout's copy may land in the
      // next phase's window, so a count of the phase's timeouts alone is off by the edges).
      duplicateBound: bound === undefined ? 0 : bound === 'timeouts' ? explainedByTimeout : bound,
      lost: lostAddresses.length,
      lostAddresses: lostAddresses.slice(0, 20),
      recoveredMs: recoveredMs === null ? null : Math.round(recoveredMs),
      attemptsTimedOut,
      webhooksExpected: webhookExpected.length,
      webhooksDelivered,
      webhookDuplicates,
      webhookDuplicateBound: phase.webhookDuplicateBound ?? 0,
      webhooksLost: webhookExpected.length - webhooksDelivered,
      observed: phase.observed ?? {},
    };
  });
}
