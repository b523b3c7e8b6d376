import { isGsm7Character, smsSegments } from '@clarion/adapter-kit';

/**
 * SMS length as carriers count it (3GPP TS 23.038 / 23.040), for the preview: the counting itself
 * is the adapter kit's `smsSegments` (the one the SMS adapters record), plus what an editor wants
 * to see: characters, the segment size in force, and which characters forced UCS-2.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsInfo {
  encoding: SmsEncoding;
  /** Segments the message is sent as (each billed as one SMS). */
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
  /** Characters as a person counts them. */
  characters: number;
  /** Units per segment for this message: 160/153 (GSM-7) or 70/67 (UCS-2). */
  perSegment: number;
  /** For UCS-2 messages: the characters that are not in the GSM-7 alphabet. */
  nonGsmCharacters?: string[];
}

export function smsInfo(text: string): SmsInfo {
  const { encoding, units, segments } = smsSegments(text);
  const chars = [...text];
  if (encoding === 'GSM-7') return { encoding, segments, units, characters: chars.length, perSegment: units <= 160 ? 160 : 153 };
  return { encoding, segments, units, characters: chars.length, perSegment: units <= 70 ? 70 : 67, nonGsmCharacters: [...new Set(chars.filter((c) => !isGsm7Character(c)))] };
}
