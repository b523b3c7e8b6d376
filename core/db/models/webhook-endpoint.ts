import { BaseModel } from './base.ts';

export class WebhookEndpoint extends BaseModel {
  static override tableName = 'webhook_endpoints';
  static override jsonAttributes = ['secretEncrypted', 'previousSecretEncrypted'];
  declare id: string;
  declare tenantId: string;
  declare url: string;
  declare description: string | null;
  declare eventTypes: string[] | null;
  declare enabled: boolean;
  declare disabledReason: string | null;
  declare secretEncrypted: Record<string, unknown>;
  declare previousSecretEncrypted: Record<string, unknown> | null;
  declare previousSecretExpiresAt: Date | null;
  declare failingSince: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}
