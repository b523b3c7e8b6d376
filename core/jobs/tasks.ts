import type { Knex } from 'knex';
import { currentTraceparent } from '../tracing.ts';
import type {
  DeliverWebhookPayload, DispatchNotificationPayload, EscalateNotificationPayload, FanOutTopicPayload, FireSchedulePayload, NoPayload, ProcessEventPayload, ProcessEventsPayload, RunWorkflowStepPayload,
  SendDeliveriesPayload, SendDeliveryPayload, UnsnoozeInboxItemPayload,
} from './payloads.ts';

/**
 * The worker's tasks and their payloads, declared to graphile-worker (its `Tasks` interface), so
 * every enqueue names a known task with the payload it takes. The payload types are the static
 * types of the TypeBox schemas the handlers check what they get with (a job queued by an older
 * version, or by hand, must fail loudly): see `payloads.ts` and `payload.ts`.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      process_event: ProcessEventPayload;
      /** A batch job: the fan-outs of events stored together (core/jobs/process-events.ts). */
      process_events: ProcessEventsPayload;
      fan_out_topic: FanOutTopicPayload;
      send_delivery: SendDeliveryPayload;
      /** A batch job: the first sends of deliveries created together (core/jobs/send-deliveries.ts). */
      send_deliveries: SendDeliveriesPayload;
      dispatch_notification: DispatchNotificationPayload;
      escalate_notification: EscalateNotificationPayload;
      run_workflow_step: RunWorkflowStepPayload;
      fire_schedule: FireSchedulePayload;
      fold_analytics: NoPayload;
      enforce_retention: NoPayload;
      deliver_webhook: DeliverWebhookPayload;
      unsnooze_inbox_item: UnsnoozeInboxItemPayload;
      prune_inbox_changes: NoPayload;
      // Plugins declare their own tasks here too (plugins/digest/index.ts).
    }
  }
}

export type TaskName = keyof GraphileWorker.Tasks;

export interface EnqueueOptions {
  /** When the job is due (the injected clock's time, never the database's now()). */
  runAt: Date;
  /** One pending job per key: a second enqueue replaces the first (or keeps its time, see mode). */
  jobKey?: string;
  jobKeyMode?: 'replace' | 'preserve_run_at';
  maxAttempts?: number;
  /** Lower runs first; 0 by default. */
  priority?: number;
}

/**
 * Adds one job in the caller's transaction (graphile-worker's `add_job`): the job exists exactly
 * when the rows it acts on do. Batches of rows with a job each go through `insertQueued`.
 */
export async function enqueue<T extends TaskName>(db: Knex, task: T, payload: GraphileWorker.Tasks[T], options: EnqueueOptions): Promise<void> {
  await db.raw(
    `select graphile_worker.add_job(?, ?::json, run_at => ?::timestamptz, job_key => ?, job_key_mode => ?, max_attempts => ?, priority => ?)`,
    [task, JSON.stringify(traced(payload)), options.runAt, options.jobKey ?? null, options.jobKeyMode ?? 'replace', options.maxAttempts ?? 25, options.priority ?? 0],
  );
}

/**
 * The payload with the active trace's `traceparent` (when tracing is on): the job's span
 * continues the trace of the work that queued it (core/jobs/index.ts).
 */
export function traced<P extends object>(payload: P): P & { traceparent?: string } {
  const traceparent = currentTraceparent();
  return traceparent ? { ...payload, traceparent } : payload;
}
