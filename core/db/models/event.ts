import { BaseModel } from './base.ts';

export class Event extends BaseModel {
  static override tableName = 'events';
  static override jsonAttributes = ['data', 'extensions'];
  declare id: string;
  declare tenantId: string;
  declare ceId: string;
  declare source: string;
  declare type: string;
  declare specversion: string;
  declare subject: string | null;
  declare time: string | null;
  declare datacontenttype: string | null;
  declare dataschema: string | null;
  declare data: unknown;
  declare dataBase64: string | null;
  declare extensions: Record<string, unknown>;
  declare contractVersion: number | null;
  declare status: 'received' | 'processing' | 'processed' | 'failed';
  declare error: string | null;
  declare receivedAt: Date;
  declare processedAt: Date | null;
}
