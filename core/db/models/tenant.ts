import { BaseModel } from './base.ts';

export interface TenantSettings {
  /** Accept event types that have no contract (their data is then stored unvalidated). */
  acceptUnvalidatedTypes?: boolean;
  defaultLocale?: string;
  brand?: { name?: string; color?: string; logoUrl?: string };
  [key: string]: unknown;
}

export class Tenant extends BaseModel {
  static override tableName = 'tenants';
  static override jsonAttributes = ['settings'];
  declare id: string;
  declare name: string;
  declare settings: TenantSettings;
  declare createdAt: Date;
  declare updatedAt: Date;
}
