import type { Task, TaskList } from 'graphile-worker';
import { contextOf, SpanKind, withSpan } from '../tracing.ts';
import type { Services } from '../services.ts';
import { dispatchNotification } from './dispatch-notification.ts';
import { deliverWebhook } from './deliver-webhook.ts';
import { escalateNotification } from './escalate-notification.ts';
import { fanOutTopic } from './fan-out-topic.ts';
import { fireSchedule } from './fire-schedule.ts';
import { foldAnalytics } from './fold-analytics.ts';
import { enforceRetention } from './enforce-retention.ts';
import { processEvent } from './process-event.ts';
import { processEvents } from './process-events.ts';
import { runWorkflowStep } from './run-workflow-step.ts';
import { sendDelivery } from './send-delivery.ts';
import { sendDeliveries } from './send-deliveries.ts';
import { unsnoozeInboxItem } from './unsnooze-inbox-item.ts';
import { pruneInboxChanges } from './prune-inbox-changes.ts';

/** The worker's task list: one file per task, job names are snake_case verbs; plugins add their own. */
export function taskList(services: Services): TaskList {
  const tasks: TaskList = {
    process_event: processEvent(services),
    fan_out_topic: fanOutTopic(services),
    send_delivery: sendDelivery(services),
    dispatch_notification: dispatchNotification(services),
    deliver_webhook: deliverWebhook(services),
    escalate_notification: escalateNotification(services),
    run_workflow_step: runWorkflowStep(services),
    fire_schedule: fireSchedule(services),
    fold_analytics: foldAnalytics(services),
    enforce_retention: enforceRetention(services),
    unsnooze_inbox_item: unsnoozeInboxItem(services),
    prune_inbox_changes: pruneInboxChanges(services),
  };
  // The tasks plugins own (core/pipeline/host.ts): each runs with the plugin host; names are unique across both.
  for (const [name, task] of services.pipeline.tasks()) {
    if (Object.hasOwn(tasks, name) || name === 'send_deliveries' || name === 'process_events') throw new Error(`plugin ${task.plugin} declares the engine's task ${name}`);
    tasks[name] = async (payload) => {
      await task.run(services.notifications.host, payload);
    };
  }
  return {
    ...Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, tracedTask(name, task as Task)])),
    // Batch jobs: each entry is a span of its own, continuing the trace that queued it.
    send_deliveries: sendDeliveries(services),
    process_events: processEvents(services),
  };
}

/**
 * Each job runs in a span continuing the trace of the work that queued it (the `traceparent` of
 * its payload, see tasks.ts), so one event's spans form one trace across jobs and processes.
 */
function tracedTask(name: string, task: Task): Task {
  return (payload, helpers) => {
    const traceparent = payload && typeof payload === 'object' ? (payload as { traceparent?: unknown }).traceparent : undefined;
    return withSpan(
      `clarion.job.${name}`,
      { kind: SpanKind.CONSUMER, parent: contextOf(traceparent), attributes: { 'messaging.system': 'graphile_worker', 'messaging.operation.name': name, 'clarion.job.id': helpers.job.id, 'clarion.job.attempt': helpers.job.attempts } },
      async () => task(payload, helpers),
    );
  };
}

/**
 * The crontab lines of the tasks plugins own: a task's `crontab` is the schedule (five fields),
 * optionally with options (`0 * * * * ?max=1`); the task's name goes between them.
 */
export function pluginCrontab(services: Services): string[] {
  const lines: string[] = [];
  for (const [name, task] of services.pipeline.tasks()) {
    if (!task.crontab) continue;
    const fields = task.crontab.trim().split(/\s+/);
    lines.push([...fields.slice(0, 5), name, ...fields.slice(5)].join(' '));
  }
  return lines;
}
