import { BaseModel } from './base.ts';

export class AuditLog extends BaseModel {
  static override tableName = 'audit_logs';
  static override jsonAttributes = ['summary'];
  declare id: number;
  declare tenant_id: string;
  declare actor: string;
  declare action: string;
  declare target_type: string;
  declare target_id: string | null;
  declare summary: Record<string, unknown>;
  declare created_at: Date;
}
