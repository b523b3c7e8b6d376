import { BaseModel } from './base.ts';

export class Template extends BaseModel {
  static override tableName = 'templates';
  static override jsonAttributes = ['parts'];
  declare id: string;
  declare tenantId: string;
  declare workflowKey: string;
  declare channel: string;
  declare locale: string;
  declare version: number;
  declare parts: Record<string, unknown>;
  declare status: 'draft' | 'published' | 'archived';
  declare publishedAt: Date | null;
  declare createdBy: string | null;
  declare basedOnVersion: number | null;
  declare createdAt: Date;
}
