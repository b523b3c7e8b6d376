import type { Channel } from '@clarion/adapter-kit';
import { BaseModel } from './base.ts';

export class Digest extends BaseModel {
  static override tableName = 'digests';
  static override jsonAttributes = ['channels', 'item_ids'];
  declare id: string;
  declare tenant_id: string;
  declare subscriber_id: string;
  declare key: string;
  declare template: string;
  declare channels: Channel[];
  declare status: 'open' | 'sent' | 'empty';
  /** Fixed items (the daily summary); otherwise the notifications that point to the digest. */
  declare item_ids: string[] | null;
  declare notification_id: string | null;
  declare send_at: Date;
  declare sent_at: Date | null;
}
