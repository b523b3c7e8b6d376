import { BaseModel } from './base.ts';

export class WebhookAttempt extends BaseModel {
  static override tableName = 'webhook_attempts';
  declare id: string;
  declare tenantId: string;
  declare messageId: string;
  declare endpointId: string;
  declare attempt: number;
  declare statusCode: number | null;
  declare outcome: string;
  declare error: string | null;
  declare responseBody: string | null;
  declare durationMs: number;
  declare startedAt: Date;
  declare nextRetryAt: Date | null;
}
