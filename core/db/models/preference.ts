import { BaseModel } from './base.ts';

export class Preference extends BaseModel {
  static override tableName = 'preferences';
  static override jsonAttributes = ['settings'];
  declare id: string;
  declare tenantId: string;
  declare scope: 'tenant' | 'team' | 'project' | 'subscriber';
  declare scopeId: string;
  declare settings: Record<string, unknown>;
  declare createdAt: Date;
  declare updatedAt: Date;
}
