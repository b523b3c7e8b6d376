import type { Device } from '@clarion/adapter-kit';
import type { ModelObject } from 'objection';
import type { Delivery } from '../models/delivery.ts';
import type { Event } from '../models/event.ts';
import type { Notification } from '../models/notification.ts';

/**
 * The rows the notification and delivery stages read and write: the models' data (objection), the
 * same shape whether objection or the hot path's hand-written SQL read them (`to_jsonb` gives
 * timestamps as ISO strings, a plain select as Dates).
 */
export type EventRow = ModelObject<Event>;
export type NotificationRow = ModelObject<Notification>;
export type DeliveryRow = ModelObject<Delivery>;
export type { EscalationStep } from '../models/notification.ts';

type Time = Date | string;

/** A subscriber's row (the subscriber service owns the table; the stages read it). */
export interface SubscriberRow {
  id: string;
  tenant_id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string | null;
  timezone: string | null;
  devices: Device[];
  chat: Record<string, unknown>;
  teams: string[];
  projects: string[];
  data: Record<string, unknown>;
  erased_at: Time | null;
  created_at: Time;
  updated_at: Time;
}
/** A subscriber as the stages see it. */
export type SubscriberRowShape = SubscriberRow;

/** A tenant as message building sees it. */
export interface TenantShape {
  id: string;
  name: string;
  settings: { defaultLocale?: string; brand?: Record<string, unknown>; [key: string]: unknown } | null;
}
