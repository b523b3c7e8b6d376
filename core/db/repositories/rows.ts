import type { Channel, Priority } from '@clarion/adapter-kit';
import type { DecisionRecord } from '../../pipeline/types.ts';

/**
 * The rows of the tables the notification and delivery stages read and write, as PostgreSQL
 * returns them (snake_case; `to_jsonb` gives timestamps as ISO strings, a plain select as Dates).
 */

type Time = Date | string;

export interface EventRow {
  id: string;
  tenant_id: string;
  ce_id: string;
  source: string;
  type: string;
  specversion: string;
  subject: string | null;
  time: string | null;
  datacontenttype: string | null;
  dataschema: string | null;
  data: unknown;
  data_base64: string | null;
  extensions: Record<string, unknown>;
  status: string;
  error: string | null;
  notice: string | null;
}

/** One step of an escalation as kept on the notification (`notifications.escalation.steps`). */
export interface EscalationStep {
  step: number;
  at: string;
  channels: Channel[];
  recipients: string[];
  status: 'pending' | 'fired' | 'cancelled';
  firedAt?: string;
  reason?: string;
  notifications?: string[];
}

export interface NotificationRow {
  id: string;
  tenant_id: string;
  event_id: string;
  subscriber_id: string | null;
  workflow_key: string;
  priority: Priority;
  status: string;
  decisions: DecisionRecord[];
  channels: Channel[];
  content: Record<string, unknown> | null;
  scheduled_for: Time | null;
  acknowledged_at: Time | null;
  read_at: Time | null;
  seen_at: Time | null;
  digest_id: string | null;
  /** `{ steps }` for an escalated notification, `{ parentId, step }` for one made by a step. */
  escalation: { steps?: EscalationStep[]; parentId?: string; step?: number } | null;
  created_at: Time;
  updated_at: Time;
}

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  notification_id: string;
  channel: Channel;
  status: string;
  provider_config_id: string | null;
  adapter: string | null;
  attempt_count: number;
  provider_attempts: number;
  providers_tried: string[];
  provider_message_id: string | null;
  idempotency_key: string;
  error_class: string | null;
  error_code: string | null;
  error_message: string | null;
  next_attempt_at: Time | null;
  failing_since: Time | null;
  fallback_of: string | null;
  created_at: Time;
  updated_at: Time;
}

export interface SubscriberRowShape {
  id: string;
  tenant_id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string | null;
  timezone: string | null;
  devices: unknown[];
  chat: Record<string, unknown>;
  teams: string[];
  projects: string[];
  data: Record<string, unknown>;
  erased_at: Time | null;
}

export interface TenantShape {
  id: string;
  name: string;
  settings: { defaultLocale?: string; brand?: Record<string, unknown>; [key: string]: unknown } | null;
}
