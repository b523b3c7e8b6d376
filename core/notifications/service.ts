import type { NotificationRow, SubscriberRowShape, TenantShape } from '../db/repositories/rows.ts';
import type { NotificationsContext } from './context.ts';
import { dispatchNotification } from './decisions.ts';
import { dailySummaries, digestTemplateData, sendDigest } from './digests.ts';
import { escalateNotification } from './escalation.ts';
import { cancel, type CancellationResult } from './cancellation.ts';
import { FanOut } from './fan-out.ts';
import { runWorkflowStep } from './steps.ts';
import { TopicFanOut } from './topic-fan-out.ts';

/**
 * The notification stage: from a stored event to notifications and their deliveries (fan-out,
 * each through its workflow's plugin chain), then what the chain's decisions asked for later
 * (deferred dispatch, digests, escalation steps). The jobs of core/jobs call this facade; the
 * delivery stage (core/delivery) takes over from the deliveries it creates, and the two meet only
 * in the status module (./status.ts).
 */
export class NotificationService {
  readonly #ctx: NotificationsContext;
  readonly #fanOut: FanOut;
  readonly #topics: TopicFanOut;

  constructor(ctx: NotificationsContext) {
    this.#ctx = ctx;
    this.#fanOut = new FanOut(ctx);
    this.#topics = new TopicFanOut(ctx, ctx.topicPageSize);
  }

  /** `process_event`. */
  processEvent(eventId: string, tenantId: string, type?: string): Promise<{ notifications: number }> {
    return this.#fanOut.processEvent(eventId, tenantId, type);
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

  /** `send_digest`. */
  sendDigest(digestId: string, tenantId: string): Promise<{ items: number }> {
    return sendDigest(this.#ctx, digestId, tenantId);
  }

  /** `send_daily_summaries` (hourly crontab). */
  dailySummaries(): Promise<number> {
    return dailySummaries(this.#ctx);
  }

  /** `escalate_notification`. */
  escalateNotification(notificationId: string, tenantId: string, step: number): Promise<'fired' | 'cancelled' | 'skipped'> {
    return escalateNotification(this.#ctx, notificationId, tenantId, step);
  }

  /** `run_workflow_step`: a delay step of the notification's workflow ended. */
  runWorkflowStep(notificationId: string, tenantId: string, step: number): Promise<'ran' | 'skipped'> {
    return runWorkflowStep(this.#ctx, notificationId, tenantId, step);
  }

  /** A digest notification's items for its template (the delivery stage asks through its context). */
  templateData(notification: NotificationRow, input: { subscriber: SubscriberRowShape; tenant: TenantShape }): Promise<Record<string, unknown> | undefined> {
    return digestTemplateData(this.#ctx, notification, input);
  }
}
