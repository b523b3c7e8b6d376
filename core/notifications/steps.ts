import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { insertDeliveries } from '../db/repositories/deliveries.ts';
import { appendDecisions, getEvent, lockNotification, notificationReadState } from '../db/repositories/notifications.ts';
import type { EventRow, NotificationRow, SubscriberRowShape } from '../db/repositories/rows.ts';
import type { WorkflowStepsState } from '../db/models/notification.ts';
import { enqueue } from '../jobs/tasks.ts';
import { evaluateCondition } from '../kernel/conditions.ts';
import { parseDelay } from '../kernel/durations.ts';
import type { DecisionRecord } from '../pipeline/types.ts';
import type { Workflow, WorkflowStep } from '../workflows/service.ts';
import type { NotificationsContext } from './context.ts';
import { eventDocument, pointer } from './event-document.ts';
import { emitNotification } from './status.ts';

/**
 * A workflow's steps, run for each notification once its plugin chain let it through: waits
 * (`{"delay": "1h"}`, or until a time of the event) and sends on some of its channels, in order,
 * each with an optional JSON Logic condition, and a condition per channel (`conditions`) checked
 * whenever a step would send on it. Every outcome is a decision on the notification (`delay`,
 * `condition`). A wait is a `run_workflow_step` job at its time; the notification says where it
 * is (`workflow_steps`), so a cancellation can stop it. A workflow without steps or conditions
 * never comes here: its notifications send on every channel at once.
 */

export function hasSteps(workflow: Pick<Workflow, 'steps' | 'conditions'>): boolean {
  return (workflow.steps?.length ?? 0) > 0 || Object.keys(workflow.conditions ?? {}).length > 0;
}

function stepsOf(workflow: Workflow): WorkflowStep[] {
  return workflow.steps && workflow.steps.length > 0 ? workflow.steps : [{ channels: workflow.channels }];
}

export interface StepInput {
  notification: Pick<NotificationRow, 'id' | 'tenant_id' | 'status' | 'channels' | 'priority' | 'workflow_steps'>;
  event: EventRow;
  workflow: Workflow;
  subscriber: SubscriberRowShape | undefined;
}

/** Runs the steps from the first (the notification was just let through, or its deferral ended). */
export async function startSteps(ctx: NotificationsContext, trx: Knex, input: StepInput): Promise<void> {
  await advance(ctx, trx, { ...input, notification: { ...input.notification, workflow_steps: null } }, 0);
}

/** `run_workflow_step`: a wait ended; the steps go on from `step` unless the notification moved on (cancelled, or already past it). */
export async function runWorkflowStep(ctx: NotificationsContext, notificationId: string, tenantId: string, step: number): Promise<'ran' | 'skipped'> {
  const head = await ctx.knex('notifications').where({ id: notificationId, tenant_id: tenantId }).first('workflow_key');
  if (!head) return 'skipped';
  const workflow = await ctx.workflows.get(tenantId, head.workflow_key).catch(() => undefined);
  return ctx.knex.transaction(async (trx) => {
    const row = await lockNotification(trx, tenantId, notificationId);
    const state = row?.workflow_steps;
    if (!row || !state || state.status !== 'waiting' || state.next !== step) return 'skipped';
    const event = (await getEvent(trx, row.event_id))!;
    const subscriber: SubscriberRowShape | undefined = row.subscriber_id ? await trx('subscribers').where({ id: row.subscriber_id }).first() : undefined;
    if (!workflow) {
      await trx('notifications').where({ id: row.id }).update({ workflow_steps: JSON.stringify({ ...state, status: 'cancelled', reason: 'workflow_missing' }), updated_at: trx.fn.now() });
      return 'skipped';
    }
    await advance(ctx, trx, { notification: row, event, workflow, subscriber }, step);
    return 'ran';
  });
}

async function advance(ctx: NotificationsContext, trx: Knex, input: StepInput, from: number): Promise<void> {
  const { notification, event, workflow, subscriber } = input;
  const now = ctx.clock.now();
  const at = now.toISOString();
  const steps = stepsOf(workflow);
  const decisions: DecisionRecord[] = [];
  const context = async () => conditionContext(trx, event, subscriber, notification);
  let status = notification.status;
  let sentSomething = await hasDeliveries(trx, notification.id);
  for (let i = from; i < steps.length; i++) {
    const step = steps[i];
    const label = `steps[${i}]${step.name ? ` (${step.name})` : ''}`;
    if (step.condition !== undefined) {
      const outcome = evaluateCondition(step.condition, await context());
      decisions.push(record('condition', outcome.passed ? 'continue' : 'suppress', at, `${label}: condition ${outcome.passed ? 'true' : `false${outcome.error ? ` (${outcome.error})` : ''}`}: ${outcome.passed ? 'runs' : 'skipped'}`, { step: i, passed: outcome.passed, ...(outcome.error ? { error: outcome.error } : {}) }));
      if (!outcome.passed) continue;
    }
    if ('delay' in step) {
      const wait = delayUntil(step.delay, event, subscriber, now);
      if ('problem' in wait) {
        decisions.push(record('delay', 'continue', at, `${label}: ${wait.problem}: not delayed`, { step: i }));
        continue;
      }
      if (wait.until.getTime() <= now.getTime()) {
        decisions.push(record('delay', 'continue', at, `${label}: ${wait.until.toISOString()} has passed: not delayed`, { step: i, until: wait.until.toISOString() }));
        continue;
      }
      decisions.push({ ...record('delay', 'defer', at, `${label}: waits until ${wait.until.toISOString()}${wait.zone ? ` (${wait.zone})` : ''}`, { step: i }), until: wait.until } as DecisionRecord);
      const state: WorkflowStepsState = { status: 'waiting', next: i + 1, until: wait.until.toISOString() };
      const waiting = !sentSomething && ['pending', 'scheduled'].includes(status);
      await save(trx, notification.id, state, decisions, waiting ? { status: 'scheduled', scheduled_for: wait.until } : status !== notification.status ? { status, scheduled_for: null } : {});
      await enqueue(trx, 'run_workflow_step', { notificationId: notification.id, tenantId: notification.tenant_id, step: i + 1 }, { runAt: wait.until, jobKey: `workflow_step:${notification.id}` });
      return;
    }
    // A send: the step's channels the plugin chain kept, each passing its channel condition.
    const channels: Channel[] = [];
    for (const channel of step.channels) {
      if (!notification.channels.includes(channel)) continue;
      const expression = workflow.conditions?.[channel];
      if (expression !== undefined) {
        const outcome = evaluateCondition(expression, await context());
        decisions.push(record('condition', outcome.passed ? 'continue' : 'suppress', at, `conditions.${channel}: ${outcome.passed ? 'true: sent' : `false${outcome.error ? ` (${outcome.error})` : ''}: not sent`}`, { step: i, channel, passed: outcome.passed, ...(outcome.error ? { error: outcome.error } : {}) }));
        if (!outcome.passed) continue;
      }
      channels.push(channel);
    }
    if (channels.length > 0) {
      // The first send keeps the usual idempotency keys; later ones are told apart by their step.
      await insertDeliveries(trx, { tenantId: notification.tenant_id, notificationId: notification.id, channels, keySuffix: sentSomething ? `:s${i}` : '' });
      sentSomething = true;
      if (status === 'scheduled') status = 'pending';
    }
  }
  const nothing = !sentSomething && ['pending', 'scheduled'].includes(status);
  if (nothing) decisions.push(record('condition', 'suppress', at, 'no step sent anything: suppressed', {}));
  const patch = nothing ? { status: 'suppressed', scheduled_for: null } : status !== notification.status ? { status, scheduled_for: null } : {};
  await save(trx, notification.id, { status: 'done', next: steps.length }, decisions, patch);
  if (nothing) {
    await emitNotification(ctx.webhooks(), trx, notification.tenant_id, 'io.clarion.notification.suppressed', notification.id, { workflow: workflow.key, subscriberId: subscriber?.external_id ?? null, reason: 'conditions: no step sent anything' });
  }
}

function record(plugin: string, decision: 'continue' | 'suppress' | 'defer', at: string, reason: string, details: Record<string, unknown>): DecisionRecord {
  return { plugin, decision, at, reason, details } as DecisionRecord;
}

async function save(trx: Knex, id: string, state: WorkflowStepsState, decisions: DecisionRecord[], patch: Record<string, unknown>): Promise<void> {
  await appendDecisions(trx, id, decisions, { workflow_steps: JSON.stringify(state), ...patch });
}

async function hasDeliveries(trx: Knex, notificationId: string): Promise<boolean> {
  return (await trx('deliveries').where({ notification_id: notificationId }).first('id')) !== undefined;
}

const LOCAL = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

/** When a delay step ends: a duration from now, or a time read from the event (a local one in the subscriber's time zone), plus its offset. */
export function delayUntil(delay: Extract<WorkflowStep, { delay: unknown }>['delay'], event: EventRow, subscriber: SubscriberRowShape | undefined, now: Date): { until: Date; zone?: string } | { problem: string } {
  if (typeof delay === 'string') return { until: new Date(now.getTime() + (parseDelay(delay) ?? 0)) };
  const value = pointer(eventDocument(event), delay.until);
  const offset = delay.offset ? (parseDelay(delay.offset, true) ?? 0) : 0;
  if (typeof value !== 'string') return { problem: `no time at ${delay.until}` };
  if (LOCAL.test(value)) {
    const zone = subscriber?.timezone && DateTime.local().setZone(subscriber.timezone).isValid ? subscriber.timezone : 'UTC';
    const local = DateTime.fromISO(value, { zone });
    if (!local.isValid) return { problem: `${delay.until} is not a time (${value})` };
    return { until: new Date(local.toMillis() + offset), zone };
  }
  const ms = /[Zz]|[+-]\d{2}:\d{2}$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) return { problem: `${delay.until} is not an RFC 3339 time (${value})` };
  return { until: new Date(ms + offset) };
}

/** What conditions see: the event's data, the event, the subscriber, and the notification as it is now. */
async function conditionContext(trx: Knex, event: EventRow, subscriber: SubscriberRowShape | undefined, notification: StepInput['notification']): Promise<Record<string, unknown>> {
  const state = await notificationReadState(trx, notification.id);
  return {
    data: event.data ?? {},
    event: { id: event.ce_id, source: event.source, type: event.type, subject: event.subject, time: event.time, ...event.extensions },
    subscriber: subscriber
      ? { id: subscriber.external_id, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, teams: subscriber.teams, projects: subscriber.projects, data: subscriber.data }
      : {},
    notification: { id: notification.id, priority: notification.priority, ...state },
  };
}
