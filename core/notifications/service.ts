import type { NotificationRow, SubscriberRowShape, TenantShape } from '../db/repositories/rows.ts';
import type { PluginHost } from '../pipeline/host.ts';
import type { NotificationsContext } from './context.ts';
import { dispatchNotification } from './decisions.ts';
import { escalateNotification } from './escalation.ts';
import { cancel, type CancellationResult } from './cancellation.ts';
import { FanOut, type FanOutEntry } from './fan-out.ts';
import { createPluginHost, toHost } from './host.ts';
import { runWorkflowStep } from './steps.ts';
import { TopicFanOut } from './topic-fan-out.ts';

/**
 * The notification stage: from a stored event to notifications and their deliveries (fan-out,
 * each through its workflow's plugin chain), then what the chain's decisions asked for later
 * (deferred dispatch, escalation steps; plugins with state, such as digests, take over their own
 * decisions through the plugin host, ./host.ts). The jobs of core/jobs call this facade; the
 * delivery stage (core/delivery) takes over from the deliveries it creates, and the two meet only
 * in the status module (./status.ts).
 */
export class NotificationService {
  readonly #ctx: NotificationsContext;
  readonly #fanOut: FanOut;
  readonly #topics: TopicFanOut;
  /** What plugins with state may ask of the engine (core/pipeline/host.ts). */
  readonly host: PluginHost;

  constructor(ctx: NotificationsContext) {
    this.#ctx = ctx;
    this.host = ctx.host ??= createPluginHost(ctx);
    this.#fanOut = new FanOut(ctx);
    this.#topics = new TopicFanOut(ctx, ctx.topicPageSize);
  }

  /** `process_event`. */
  processEvent(eventId: string, tenantId: string, type?: string): Promise<{ notifications: number }> {
    return this.#fanOut.processEvent(eventId, tenantId, type);
  }

  /** `process_events`: the fan-outs of a batch of events, one promise each (./fan-out.ts). */
  processEvents(entries: readonly FanOutEntry[]): Array<Promise<{ notifications: number }>> {
    return this.#fanOut.processEvents(entries);
  }

  /** `fan_out_topic`: one page of an event's fan-out to topics. */
  topicPage(fanOutId: string, tenantId: string): Promise<{ notifications: number; done: boolean }> {
    return this.#topics.page(fanOutId, tenantId);
  }

  /**
   * Cancels everything still pending for events (`DELETE /v1/events/:id`), or for every event that
   * carried a cancellation key (`POST /v1/cancellations`): see ./cancellation.ts.
   */
  cancel(tenantId: string, target: { eventIds: string[] } | { key: string }, options: { reason?: string; actor: string }): Promise<CancellationResult> {
    return cancel(this.#ctx, tenantId, target, options);
  }

  /** `dispatch_notification`: a deferred notification (quiet hours, send window) is due. */
  dispatchNotification(notificationId: string, tenantId: string): Promise<void> {
    return dispatchNotification(this.#ctx, notificationId, tenantId);
  }

  /**
   * A task a plugin owns (`send_digest`, `send_daily_summaries`, ...), run with the host: the
   * worker's path (core/jobs/index.ts), and a test's. Returns what the task returns.
   */
  runPluginTask(name: string, payload: unknown): Promise<unknown> {
    const task = this.#ctx.pipeline.tasks().get(name);
    if (!task) throw new Error(`No plugin owns the task ${name}`);
    return task.run(this.host, payload);
  }

  /** `escalate_notification`. */
  escalateNotification(notificationId: string, tenantId: string, step: number): Promise<'fired' | 'cancelled' | 'skipped'> {
    return escalateNotification(this.#ctx, notificationId, tenantId, step);
  }

  /** `run_workflow_step`: a delay step of the notification's workflow ended. */
  runWorkflowStep(notificationId: string, tenantId: string, step: number): Promise<'ran' | 'skipped'> {
    return runWorkflowStep(this.#ctx, notificationId, tenantId, step);
  }

  /**
   * Extra template data for a notification a plugin made (a digest's items), from that plugin
   * (its first decision names it). The delivery stage asks through its context.
   */
  templateData(notification: NotificationRow, input: { subscriber: SubscriberRowShape; tenant: TenantShape }): Promise<Record<string, unknown> | undefined> {
    const { subscriber, tenant } = input;
    return this.#ctx.pipeline.templateData(this.host, {
      notification: toHost(notification),
      subscriber: { id: subscriber.id, externalId: subscriber.external_id, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, teams: subscriber.teams ?? [], projects: subscriber.projects ?? [], data: subscriber.data ?? null },
      tenant: { id: tenant.id, name: tenant.name, settings: tenant.settings ?? null },
    });
  }
}
