import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

const check = payloadChecker<{ digestId: string; tenantId: string }>('send_digest', {
  type: 'object',
  required: ['digestId', 'tenantId'],
  properties: { digestId: UUID, tenantId: UUID },
});

/** A digest window closed (job key `digest:<id>`, preserve_run_at): its items go out as one delivery. */
export function sendDigest(services: Services): Task {
  return async (payload) => {
    const { digestId, tenantId } = check(payload);
    await services.notifications.sendDigest(digestId, tenantId);
  };
}
