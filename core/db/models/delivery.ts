import { BaseModel } from './base.ts';

export class Delivery extends BaseModel {
  static override tableName = 'deliveries';
  declare id: string;
  declare tenantId: string;
  declare notificationId: string;
  declare channel: string;
  declare providerConfigId: string | null;
  declare adapter: string | null;
  declare status: string;
  declare attemptCount: number;
  declare providerMessageId: string | null;
  declare idempotencyKey: string;
  declare errorClass: string | null;
  declare errorCode: string | null;
  declare errorMessage: string | null;
  declare nextAttemptAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}
