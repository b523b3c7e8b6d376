import { BaseModel } from './base.ts';

export class ProviderConfig extends BaseModel {
  static override tableName = 'provider_configs';
  static override jsonAttributes = ['configEncrypted'];
  declare id: string;
  declare tenantId: string;
  declare channel: string;
  declare adapter: string;
  declare name: string | null;
  declare configEncrypted: Record<string, unknown>;
  declare priority: number;
  declare enabled: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;
}
