import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

const check = payloadChecker<{ itemId: string; tenantId: string }>('unsnooze_inbox_item', {
  type: 'object',
  required: ['itemId', 'tenantId'],
  properties: { itemId: UUID, tenantId: UUID },
});

/** A snoozed inbox item's time has come: it comes back, unread (job key `unsnooze:<item id>`, replaced by a new snooze). */
export function unsnoozeInboxItem(services: Services): Task {
  return async (payload) => {
    const { itemId, tenantId } = check(payload);
    await services.inbox.feed.wake(itemId, tenantId);
  };
}
