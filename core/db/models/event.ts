import { BaseModel } from './base.ts';

export class Event extends BaseModel {
  static override tableName = 'events';
  static override jsonAttributes = ['data', 'extensions'];
  declare id: string;
  declare tenant_id: string;
  declare ce_id: string;
  declare source: string;
  declare type: string;
  declare specversion: string;
  declare subject: string | null;
  declare time: string | null;
  declare datacontenttype: string | null;
  declare dataschema: string | null;
  declare data: unknown;
  declare data_base64: string | null;
  declare extensions: Record<string, unknown>;
  declare contract_version: number | null;
  declare status: string;
  declare error: string | null;
  declare notice: string | null;
  declare received_at: Date;
  declare processed_at: Date | null;
  declare cancel_key: string | null;
  /** From the `deliverafter` extension: fanned out no earlier. */
  declare deliver_after: Date | string | null;
  declare cancelled_at: Date | null;
  declare cancel_reason: string | null;
}
