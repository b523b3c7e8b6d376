import { BaseModel } from './base.ts';

export class ApiKey extends BaseModel {
  static override tableName = 'api_keys';
  declare id: string;
  declare tenantId: string;
  declare name: string;
  declare prefix: string;
  declare keyHash: string;
  declare createdAt: Date;
  declare lastUsedAt: Date | null;
  declare revokedAt: Date | null;
}
