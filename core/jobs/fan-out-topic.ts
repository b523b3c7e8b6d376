import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { fanOutTopicPayload } from './payloads.ts';

const check = payloadChecker('fan_out_topic', fanOutTopicPayload);

/** One page of an event's fan-out to topics; it queues the next page itself. */
export function fanOutTopic(services: Services): Task {
  return async (payload) => {
    const { fanOutId, tenantId } = check(payload);
    await services.notifications.topicPage(fanOutId, tenantId);
  };
}
