import { BaseModel } from './base.ts';

export class Notification extends BaseModel {
  static override tableName = 'notifications';
  static override jsonAttributes = ['decisions', 'channels', 'content'];
  declare id: string;
  declare tenantId: string;
  declare eventId: string;
  declare subscriberId: string | null;
  declare workflowKey: string;
  declare priority: 'low' | 'normal' | 'high' | 'critical';
  declare status: string;
  declare decisions: unknown[];
  declare channels: unknown[];
  declare content: unknown;
  declare scheduledFor: Date | null;
  declare seenAt: Date | null;
  declare readAt: Date | null;
  declare acknowledgedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}
