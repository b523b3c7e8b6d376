import { BaseModel } from './base.ts';

export class WebhookMessage extends BaseModel {
  static override tableName = 'webhook_messages';
  static override jsonAttributes = ['payload'];
  declare id: string;
  declare tenantId: string;
  declare endpointId: string;
  declare msgId: string;
  declare eventType: string;
  declare payload: Record<string, unknown>;
  declare status: string;
  declare attemptCount: number;
  declare nextAttemptAt: Date | null;
  declare createdAt: Date;
}
