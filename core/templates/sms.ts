import { isGsm7Character, smsSegments } from '@clarion/adapter-kit';
import type { Static } from '../kernel/schema.ts';
import type { smsInfoSchema } from './schemas.ts';

/**
 * SMS length as carriers count it (3GPP TS 23.038 / 23.040), for the preview: the counting itself
 * is the adapter kit's `smsSegments` (the one the SMS adapters record), plus what an editor wants
 * to see: characters, the segment size in force, and which characters forced UCS-2.
 */

/** What the preview says of an SMS (schemas.ts `smsInfoSchema`). */
export type SmsInfo = Static<typeof smsInfoSchema>;
export type SmsEncoding = SmsInfo['encoding'];

export function smsInfo(text: string): SmsInfo {
  const { encoding, units, segments } = smsSegments(text);
  const chars = [...text];
  if (encoding === 'GSM-7') return { encoding, segments, units, characters: chars.length, perSegment: units <= 160 ? 160 : 153 };
  return { encoding, segments, units, characters: chars.length, perSegment: units <= 70 ? 70 : 67, nonGsmCharacters: [...new Set(chars.filter((c) => !isGsm7Character(c)))] };
}
