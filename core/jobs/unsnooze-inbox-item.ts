import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { unsnoozeInboxItemPayload } from './payloads.ts';

const check = payloadChecker('unsnooze_inbox_item', unsnoozeInboxItemPayload);

/** A snoozed inbox item's time has come: it comes back, unread (job key `unsnooze:<item id>`, replaced by a new snooze). */
export function unsnoozeInboxItem(services: Services): Task {
  return async (payload) => {
    const { itemId, tenantId } = check(payload);
    await services.inbox.feed.wake(itemId, tenantId);
  };
}
