import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

export interface FanOutTopicPayload {
  fanOutId: string;
  tenantId: string;
}

const check = payloadChecker<FanOutTopicPayload>('fan_out_topic', {
  type: 'object',
  required: ['fanOutId', 'tenantId'],
  properties: { fanOutId: { type: 'string', minLength: 36, maxLength: 36 }, tenantId: { type: 'string', minLength: 36, maxLength: 36 } },
});

/** One page of an event's fan-out to topics; it queues the next page itself. */
export function fanOutTopic(services: Services): Task {
  return async (payload) => {
    const { fanOutId, tenantId } = check(payload);
    await services.notifications.topicPage(fanOutId, tenantId);
  };
}
