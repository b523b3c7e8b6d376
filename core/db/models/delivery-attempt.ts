import { BaseModel } from './base.ts';

export class DeliveryAttempt extends BaseModel {
  static override tableName = 'delivery_attempts';
  declare id: string;
  declare tenant_id: string;
  declare delivery_id: string;
  declare attempt: number;
  declare provider_config_id: string | null;
  declare adapter: string | null;
  declare outcome: 'success' | 'transient' | 'permanent' | 'config' | 'circuit_open';
  declare error_code: string | null;
  declare error_scope: 'recipient' | 'provider' | null;
  declare error_message: string | null;
  declare provider_message_id: string | null;
  declare response_excerpt: string | null;
  declare probe: boolean;
  declare started_at: Date;
  declare duration_ms: number;
}
