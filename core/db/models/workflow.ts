import { BaseModel } from './base.ts';

export class Workflow extends BaseModel {
  static override tableName = 'workflows';
  static override jsonAttributes = ['definition'];
  declare id: string;
  declare tenantId: string;
  declare key: string;
  declare trigger: string;
  declare definition: Record<string, unknown>;
  declare enabled: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;
}
