import type { TaskList } from 'graphile-worker';
import type { Services } from '../services.ts';
import { dispatchNotification } from './dispatch-notification.ts';
import { deliverWebhook } from './deliver-webhook.ts';
import { escalateNotification } from './escalate-notification.ts';
import { foldAnalytics } from './fold-analytics.ts';
import { processEvent } from './process-event.ts';
import { sendDailySummaries } from './send-daily-summaries.ts';
import { sendDigest } from './send-digest.ts';
import { sendDelivery } from './send-delivery.ts';

/** The worker's task list: one file per task, job names are snake_case verbs. */
export function taskList(services: Services): TaskList {
  return {
    process_event: processEvent(services),
    send_delivery: sendDelivery(services),
    dispatch_notification: dispatchNotification(services),
    deliver_webhook: deliverWebhook(services),
    send_digest: sendDigest(services),
    escalate_notification: escalateNotification(services),
    send_daily_summaries: sendDailySummaries(services),
    fold_analytics: foldAnalytics(services),
  };
}
