import type { Channel } from '@clarion/adapter-kit';
import { BaseModel } from './base.ts';

type Time = Date | string;

export class Delivery extends BaseModel {
  static override tableName = 'deliveries';
  static override jsonAttributes = ['providers_tried'];
  declare id: string;
  declare tenant_id: string;
  declare notification_id: string;
  declare channel: Channel;
  declare status: string;
  declare provider_config_id: string | null;
  declare adapter: string | null;
  declare attempt_count: number;
  declare provider_attempts: number;
  declare providers_tried: string[];
  declare provider_message_id: string | null;
  declare idempotency_key: string;
  declare error_class: string | null;
  declare error_code: string | null;
  declare error_message: string | null;
  declare next_attempt_at: Time | null;
  declare failing_since: Time | null;
  declare fallback_of: string | null;
  declare sent_at: Time | null;
  declare delivered_at: Time | null;
  declare opened_at: Time | null;
  declare clicked_at: Time | null;
  declare created_at: Time;
  declare updated_at: Time;
}
