import { BaseModel } from './base.ts';

export class DeliveryAttempt extends BaseModel {
  static override tableName = 'delivery_attempts';
  declare id: string;
  declare tenantId: string;
  declare deliveryId: string;
  declare attempt: number;
  declare providerConfigId: string | null;
  declare adapter: string | null;
  declare outcome: string;
  declare errorCode: string | null;
  declare errorMessage: string | null;
  declare providerMessageId: string | null;
  declare responseExcerpt: string | null;
  declare startedAt: Date;
  declare durationMs: number;
}
