import type { Channel, Priority } from '@clarion/adapter-kit';
import type { HostScheduledStep } from '../../pipeline/host.ts';
import type { DecisionRecord } from '../../pipeline/types.ts';
import { BaseModel } from './base.ts';

/**
 * One step of an escalation as kept on the notification (`escalation.steps`): the shape the
 * plugin host shows plugins (`HostScheduledStep`), defined there once.
 */
export type EscalationStep = HostScheduledStep;

type Time = Date | string;

/** Where a notification is in its workflow's steps (`workflow_steps`). */
export interface WorkflowStepsState {
  status: 'running' | 'waiting' | 'done' | 'cancelled';
  /** The step to run next. */
  next: number;
  /** While waiting: when the next step is due. */
  until?: string;
  /** Why the steps stopped (cancelled). */
  reason?: string;
}

export class Notification extends BaseModel {
  static override tableName = 'notifications';
  static override jsonAttributes = ['decisions', 'channels', 'content', 'escalation', 'workflow_steps'];
  declare id: string;
  declare tenant_id: string;
  declare event_id: string;
  declare subscriber_id: string | null;
  declare workflow_key: string;
  declare priority: Priority;
  declare status: string;
  declare decisions: DecisionRecord[];
  declare channels: Channel[];
  declare content: Record<string, unknown> | null;
  declare scheduled_for: Time | null;
  declare seen_at: Time | null;
  declare read_at: Time | null;
  declare acknowledged_at: Time | null;
  declare opened_at: Time | null;
  declare clicked_at: Time | null;
  /** The digest plugin's column (its migration adds it): the digest a batched notification is in; the plugin writes it. */
  declare digest_id: string | null;
  /** `{ steps }` for an escalated notification, `{ parentId, step }` for one a step made. */
  declare escalation: { steps?: EscalationStep[]; parentId?: string; step?: number } | null;
  /** The workflow's steps as this notification runs them (core/notifications/steps.ts); null without steps. */
  declare workflow_steps: WorkflowStepsState | null;
  /** What it is about, from its workflow's `correlation` pointer (`<workflow>:<value>`). */
  declare correlation_key: string | null;
  declare created_at: Time;
  declare updated_at: Time;
}
