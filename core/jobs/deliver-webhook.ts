import type { Task } from 'graphile-worker';
import type { DeliverJob } from '../webhooks/context.ts';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

const check = payloadChecker<DeliverJob>('deliver_webhook', {
  type: 'object',
  required: ['tenantId', 'messageId', 'attempt', 'generation', 'trigger'],
  properties: {
    tenantId: UUID,
    messageId: UUID,
    attempt: { type: 'integer', minimum: 1, maximum: 100 },
    generation: { type: 'integer', minimum: 1 },
    trigger: { enum: ['event', 'retry', 'replay', 'recover'] },
    slotReserved: { type: 'boolean' },
  },
});

/**
 * Sends one webhook message once. HTTP failures are not job failures: the attempt is recorded and
 * the retry is a new job on the webhook schedule. A throw here (database down) lets graphile-worker
 * retry the job itself.
 */
export function deliverWebhook(services: Services): Task {
  return async (payload) => {
    await services.webhooks.deliver(check(payload));
  };
}
