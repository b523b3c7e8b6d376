import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };

const check = payloadChecker<{ notificationId: string; tenantId: string; step: number }>('run_workflow_step', {
  type: 'object',
  required: ['notificationId', 'tenantId', 'step'],
  properties: { notificationId: UUID, tenantId: UUID, step: { type: 'integer', minimum: 0, maximum: 100 } },
});

/** A workflow's delay step ended: its steps go on from the next one (unless cancelled meanwhile). */
export function runWorkflowStep(services: Services): Task {
  return async (payload) => {
    const { notificationId, tenantId, step } = check(payload);
    await services.notifications.runWorkflowStep(notificationId, tenantId, step);
  };
}
