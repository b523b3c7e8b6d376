import { isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js';
import { PermanentError } from './errors.ts';

/**
 * Shared SMS-style helpers: phone numbers, segment counting and reply keywords. Every SMS and
 * WhatsApp adapter needs them, and they must agree (an opt-out means the same on every provider).
 */

/**
 * The recipient's phone number in E.164, or a PermanentError before any provider is called: an
 * invalid number fails the same way on every provider, so trying the next one is pointless.
 * Accepts the usual formatting (spaces, dashes, dots, brackets) around a `+`-prefixed number.
 */
export function toE164(raw: string | undefined | null, what = 'recipient phone number'): string {
  if (raw === undefined || raw === null || raw.trim() === '') {
    throw new PermanentError(`the ${what} is missing`, { code: 'missing_phone_number', scope: 'recipient' });
  }
  const trimmed = raw.trim();
  if (!/^\+[\d\s().-]+$/.test(trimmed) || !isValidPhoneNumber(trimmed)) {
    throw new PermanentError(`the ${what} "${trimmed}" is not a valid international (E.164) number`, { code: 'invalid_phone_number', scope: 'recipient' });
  }
  return parsePhoneNumberFromString(trimmed)!.number;
}

// GSM 03.38 basic character set (one septet each) and its extension table (escape + septet: two).
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

/** The character is in the GSM 03.38 alphabet (basic or extension table). */
export function isGsm7Character(char: string): boolean {
  return GSM7_BASIC.has(char) || GSM7_EXTENSION.has(char);
}

export interface SmsSegments {
  /** `GSM-7` when every character is in the GSM 03.38 alphabet, `UCS-2` otherwise. */
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7, extension characters count twice) or UTF-16 code units (UCS-2). */
  units: number;
  /** SMS parts the text is sent as: 160/153 septets or 70/67 code units per part. */
  segments: number;
}

/**
 * How many SMS parts a text needs, the way carriers split it: a single part holds 160 GSM-7
 * septets or 70 UCS-2 units, a concatenated part 153 or 67 (the rest is the concatenation
 * header), and an escape sequence or a surrogate pair is never split across two parts.
 */
export function smsSegments(text: string): SmsSegments {
  const characters = [...text];
  const gsm = characters.every(isGsm7Character);
  const sizes = gsm ? characters.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1)) : characters.map((c) => c.length);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  const units = sizes.reduce((sum, n) => sum + n, 0);
  let segments = units === 0 ? 0 : 1;
  if (units > single) {
    let used = 0;
    for (const size of sizes) {
      if (used + size > part) {
        segments += 1;
        used = 0;
      }
      used += size;
    }
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments };
}

const KEYWORDS: Record<string, 'stop' | 'start' | 'ack'> = {
  STOP: 'stop',
  STOPALL: 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  START: 'start',
  UNSTOP: 'start',
  ACK: 'ack',
  '1': 'ack',
};

/**
 * What an inbound reply means when it is a keyword: STOP/STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT opt
 * out, START/UNSTOP opt back in, ACK or 1 acknowledges. Like the carriers' own handling, the
 * whole reply must be the keyword (any case, surrounding blanks and a final `.` or `!` ignored),
 * so "please stop by later" is ordinary text.
 */
export function smsKeyword(text: string | undefined | null): 'stop' | 'start' | 'ack' | undefined {
  if (!text) return undefined;
  const word = text.trim().replace(/[.!]+$/, '').trim().toUpperCase();
  return Object.hasOwn(KEYWORDS, word) ? KEYWORDS[word] : undefined;
}
