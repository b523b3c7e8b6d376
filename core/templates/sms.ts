/**
 * SMS length as carriers count it (3GPP TS 23.038 / 23.040). A message that fits the GSM 03.38
 * default alphabet is sent as GSM-7: 160 septets in one segment, 153 per segment once it is split
 * (the user data header takes 7); extension-table characters (`{ } [ ] \ ~ ^ | €` and form feed)
 * take two septets, and a segment never ends between the two. Any other character makes the whole
 * message UCS-2: 70 UTF-16 code units in one segment, 67 per segment once split, and a surrogate
 * pair (most emoji) is never split across segments.
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

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

/** Septets a character takes in GSM-7, or 0 when it is not in the alphabet. */
function septets(char: string): number {
  if (BASIC.has(char)) return 1;
  if (EXTENSION.has(char)) return 2;
  return 0;
}

export function smsInfo(text: string): SmsInfo {
  const chars = [...text];
  const nonGsm = chars.filter((c) => septets(c) === 0);
  if (nonGsm.length === 0) {
    const units = chars.reduce((sum, c) => sum + septets(c), 0);
    if (units <= 160) return { encoding: 'GSM-7', segments: units === 0 ? 0 : 1, units, characters: chars.length, perSegment: 160 };
    return { encoding: 'GSM-7', segments: split(chars.map(septets), 153), units, characters: chars.length, perSegment: 153 };
  }
  const sizes = chars.map((c) => c.length); // UTF-16 code units: 2 for a surrogate pair
  const units = sizes.reduce((sum, n) => sum + n, 0);
  const info = { encoding: 'UCS-2' as const, units, characters: chars.length, nonGsmCharacters: [...new Set(nonGsm)] };
  if (units <= 70) return { ...info, segments: 1, perSegment: 70 };
  return { ...info, segments: split(sizes, 67), perSegment: 67 };
}

/** Packs indivisible units into segments of `capacity`, as senders do. */
function split(sizes: number[], capacity: number): number {
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > capacity) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return segments;
}
