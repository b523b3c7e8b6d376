import { BaseModel } from './base.ts';

export class AdminUser extends BaseModel {
  static override tableName = 'admin_users';
  declare id: string;
  declare tenantId: string;
  declare email: string;
  declare passwordHash: string;
  declare role: 'owner' | 'admin' | 'viewer';
  declare lastLoginAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}
