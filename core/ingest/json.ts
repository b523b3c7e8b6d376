import { ClarionError, type FieldError } from '../errors.ts';
import { MAX_JSON_DEPTH, MAX_REPORTED_PROBLEMS } from './limits.ts';

/**
 * The one way request bodies become JSON values. `JSON.parse` accepts what PostgreSQL and the
 * rest of Clarion cannot keep as sent: NUL characters (text and jsonb refuse them: a 500),
 * unpaired UTF-16 surrogates (the driver's UTF-8 encoding turns them into U+FFFD: a changed
 * value), numbers a double cannot hold (1e400 becomes Infinity, then null; 12345678901234567890
 * becomes 12345678901234567000), and nesting deep enough to overflow the stack of whatever walks
 * the value next (ajv, JSON.stringify, the driver). So before `JSON.parse`, one iterative pass over
 * the text finds all of these and names each place with a JSON Pointer.
 *
 * `JSON.parse` itself stays: it is native, fast, and in V8 iterative (it parses a million levels
 * without overflowing). No parser from the registry fits: the safe-parse packages guard only
 * against prototype keys, and lossless-json (a recursive parser) calls every double of 2^53 or
 * more unsafe, even 6.02e23, which reads back exactly.
 */

export interface ParsedJson {
  value: unknown;
  /** What the text holds that Clarion does not store, with pointers from the root (at most MAX_REPORTED_PROBLEMS). */
  problems: FieldError[];
  /** The first reference token of every problem's pointer (a batch's index, an event's attribute), even past the cap. */
  roots: Set<string>;
  /** Some value nests deeper than allowed: nothing recursive may walk `value`. */
  tooDeep: boolean;
}

export const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';
export const SURROGATE_MESSAGE = 'must not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff)';

/**
 * Parses JSON text; throws CLARION_ERR_HTTP_MALFORMED_JSON when it is not JSON, and otherwise
 * reports (does not throw) what it holds that cannot be stored. `maxDepth` counts the levels the
 * caller allows; `envelope` adds the levels of its own wrapping (a batch's array, an event's
 * object) so messages speak of the caller's limit.
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH, envelope = 0): ParsedJson {
  const scan = scanJson(text, maxDepth + envelope, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', `The body is not valid JSON: ${(err as Error).message}`, {
      errors: [{ pointer: '', message: 'must be valid JSON' }],
    });
  }
  return { value, ...scan };
}

/** Parses a JSON request body, refusing (400) anything `parseJson` reports. */
export function parseJsonBody(text: string): unknown {
  const parsed = parseJson(text);
  if (parsed.tooDeep) {
    throw new ClarionError('CLARION_ERR_HTTP_JSON_TOO_DEEP', `The body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`, { errors: parsed.problems });
  }
  if (parsed.problems.length > 0) {
    throw new ClarionError('CLARION_ERR_HTTP_JSON_UNSTORABLE', `The body holds values that cannot be stored as sent: ${summary(parsed.problems)}`, { errors: parsed.problems });
  }
  return parsed.value;
}

/** Decodes a body strictly: bytes that are not valid text in the charset are refused, not replaced. */
export function decodeText(body: Buffer, charset: string | undefined, pointer = ''): string {
  try {
    return new TextDecoder(charset ?? 'utf-8', { fatal: true }).decode(body);
  } catch (err) {
    if (err instanceof RangeError && /encoding|label/i.test(err.message)) {
      throw new ClarionError('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', `charset=${charset} is not a known character encoding (use utf-8)`);
    }
    throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', `The body is not valid ${charset ?? 'utf-8'} text`, { errors: [{ pointer, message: 'must be valid text' }] });
  }
}

/** Why a decoded string cannot be stored as it is, or undefined when it can. */
export function stringProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return NUL_MESSAGE;
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) return SURROGATE_MESSAGE;
  return undefined;
}

/**
 * Why a JSON number token would not read back as sent, or undefined when it would. A number is
 * kept when the double it parses to prints as the same decimal value (`1.0` and `1e2` are kept:
 * they read back as 1 and 100; `-0` reads back as 0). Refused: beyond a double's range, below
 * its smallest magnitude, and more significant digits than survive (integers beyond 2^53 that
 * would round: send those as strings).
 */
export function numberProblem(token: string): string | undefined {
  const value = Number(token);
  const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
  if (!Number.isFinite(value)) return `is ${shown}, beyond the range of numbers that can be stored (about ±1.8e308): send it as a string`;
  if (decimal(token) === decimal(String(value))) return undefined;
  if (value === 0) return `is ${shown}, which would be stored as 0: send it as a string`;
  return `is ${shown}, which would be stored as ${String(value)} (a number keeps about 15 significant digits): send it as a string`;
}

/** A number's text as digits and exponent without sign noise or padding: `-12.50e1` -> `-125e0`. */
function decimal(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = whole + fraction;
  let exp = Number(exponent) - fraction.length;
  const lead = digits.search(/[1-9]/);
  if (lead === -1) return '0';
  digits = digits.slice(lead);
  const trail = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trail);
  exp += trail;
  return `${sign}${digits}e${exp}`;
}

interface Frame {
  array: boolean;
  /** Array: index of the current element. */
  index: number;
  /** Object: where the current member's key (with its quotes) starts and ends in the text. */
  keyStart: number;
  keyEnd: number;
  /** Object: the next string is a key. */
  expectKey: boolean;
}

/**
 * One pass over JSON text, without recursion: nesting beyond `maxDepth`, NUL characters and
 * unpaired surrogates in strings and keys (escaped or raw), and numbers that would change. Text
 * that is not JSON gets a partial answer; `JSON.parse` reports it.
 */
export function scanJson(text: string, maxDepth: number, depthLabel = maxDepth): Omit<ParsedJson, 'value'> {
  const problems: FieldError[] = [];
  const roots = new Set<string>();
  let tooDeep = false;
  const stack: Frame[] = [];
  /** Open containers inside a value that was already too deep: skipped, not reported again. */
  let skip = 0;

  const keyOf = (frame: Frame): string => {
    const raw = text.slice(frame.keyStart, frame.keyEnd);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw;
    }
  };
  const token = (frame: Frame) => (frame.array ? String(frame.index) : keyOf(frame));
  const report = (message: string) => {
    roots.add(stack.length > 0 ? token(stack[0]) : '');
    if (problems.length >= MAX_REPORTED_PROBLEMS) return;
    const pointer = stack.map((frame) => `/${token(frame).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
    problems.push({ pointer, message });
  };

  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      const isKey = top !== undefined && !top.array && top.expectKey;
      const start = i;
      let bad: string | undefined;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c /* \ */) {
          if (text.charCodeAt(i + 1) !== 0x75 /* u */) {
            i += 2;
            continue;
          }
          const code = hex4(text, i + 2);
          i += 6;
          if (code === 0) bad ??= NUL_MESSAGE;
          else if (code >= 0xd800 && code <= 0xdbff) {
            if (text.charCodeAt(i) === 0x5c && text.charCodeAt(i + 1) === 0x75) {
              const low = hex4(text, i + 2);
              if (low >= 0xdc00 && low <= 0xdfff) {
                i += 6;
                continue;
              }
            }
            bad ??= SURROGATE_MESSAGE;
          } else if (code >= 0xdc00 && code <= 0xdfff) bad ??= SURROGATE_MESSAGE;
          continue;
        }
        if (d >= 0xd800 && d <= 0xdfff) {
          const next = text.charCodeAt(i + 1);
          if (d <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            i += 2;
            continue;
          }
          bad ??= SURROGATE_MESSAGE;
        } else if (d === 0) bad ??= NUL_MESSAGE;
        i++;
      }
      i++;
      if (isKey) {
        top.keyStart = start;
        top.keyEnd = i;
        top.expectKey = false;
      }
      if (bad && skip === 0) report(isKey ? `name ${bad}` : bad);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      i++;
      if (skip > 0) skip++;
      else if (stack.length >= maxDepth) {
        tooDeep = true;
        report(`nests objects and arrays deeper than ${depthLabel} levels`);
        skip = 1;
      } else stack.push({ array: c === 0x5b, index: 0, keyStart: -1, keyEnd: -1, expectKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      i++;
      if (skip > 0) skip--;
      else if (stack.pop() === undefined) break; // unbalanced: not JSON, JSON.parse says so
    } else if (c === 0x2c /* , */) {
      i++;
      const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (skip === 0 && top) {
        if (top.array) top.index++;
        else top.expectKey = true;
      }
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let exponent = false;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) i++;
        else if (d === 0x2e || d === 0x2b || d === 0x2d) i++;
        else if (d === 0x65 || d === 0x45) {
          exponent = true;
          i++;
        } else break;
      }
      // Fifteen characters without an exponent hold at most fifteen significant digits, which a
      // double always keeps: the common case costs no string.
      if (skip === 0 && (exponent || i - start > 15)) {
        const message = numberProblem(text.slice(start, i));
        if (message) report(message);
      }
    } else i++;
  }
  return { problems, roots, tooDeep };
}

function hex4(text: string, at: number): number {
  const digits = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? Number.parseInt(digits, 16) : -1;
}

function summary(problems: FieldError[]): string {
  const shown = problems.slice(0, 3).map((p) => `${p.pointer || '(body)'} ${p.message}`);
  return shown.join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
}
