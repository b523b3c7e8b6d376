import { BaseModel } from './base.ts';

export class Contract extends BaseModel {
  static override tableName = 'contracts';
  static override jsonAttributes = ['schema'];
  declare id: string;
  declare tenantId: string;
  declare type: string;
  declare version: number;
  declare schema: Record<string, unknown>;
  declare createdAt: Date;
}
