import { BaseModel } from './base.ts';

export class AuditLog extends BaseModel {
  static override tableName = 'audit_logs';
  static override jsonAttributes = ['summary'];
  declare id: number;
  declare tenantId: string;
  declare actor: string;
  declare action: string;
  declare targetType: string;
  declare targetId: string | null;
  declare summary: Record<string, unknown>;
  declare createdAt: Date;
}
