import type { Task } from 'graphile-worker';
import type { DeliverJob } from '../webhooks/context.ts';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { deliverWebhookPayload } from './payloads.ts';

const check = payloadChecker('deliver_webhook', deliverWebhookPayload);

/**
 * Sends one webhook message once. HTTP failures are not job failures: the attempt is recorded and
 * the retry is a new job on the webhook schedule. A throw here (database down) lets graphile-worker
 * retry the job itself.
 */
export function deliverWebhook(services: Services): Task {
  return async (payload) => {
    // What the schema lets through must fit the webhook stage's own type of the job (the compiler checks).
    const job: DeliverJob = check(payload);
    await services.webhooks.deliver(job);
  };
}
