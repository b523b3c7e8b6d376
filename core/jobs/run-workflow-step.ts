import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';
import { runWorkflowStepPayload } from './payloads.ts';

const check = payloadChecker('run_workflow_step', runWorkflowStepPayload);

/** A workflow's delay step ended: its steps go on from the next one (unless cancelled meanwhile). */
export function runWorkflowStep(services: Services): Task {
  return async (payload) => {
    const { notificationId, tenantId, step } = check(payload);
    await services.notifications.runWorkflowStep(notificationId, tenantId, step);
  };
}
