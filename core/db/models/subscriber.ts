import { BaseModel } from './base.ts';

export class Subscriber extends BaseModel {
  static override tableName = 'subscribers';
  static override jsonAttributes = ['devices', 'chat', 'data'];
  declare id: string;
  declare tenantId: string;
  declare externalId: string;
  declare name: string | null;
  declare email: string | null;
  declare phone: string | null;
  declare locale: string | null;
  declare timezone: string | null;
  declare devices: unknown[];
  declare chat: Record<string, unknown>;
  declare teams: string[];
  declare projects: string[];
  declare data: Record<string, unknown>;
  declare erasedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}
