import nunjucks from 'nunjucks';

/**
 * Where a nunjucks syntax error is, always as a 1-based line and column. nunjucks gives a position
 * for most errors, but none when the template ends inside something (`{{ data.orderId `, an
 * unclosed string, `{% if x %}` without `{% endif %}`): it only sees the end of the file. For
 * those, the source is scanned with nunjucks' own lexer for what was left open, and the error is
 * reported where that was opened, which is what the author has to fix; failing that, at the end of
 * the source.
 */

export interface Located {
  line: number;
  column: number;
  message: string;
  /** The tag or delimiter the error is about, when there is one (`nosuchtag`, `endif`, `{{`). */
  name?: string;
}

interface Token {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

interface Tokens {
  nextToken(): Token | null;
  index: number;
}

const lexer = (nunjucks as unknown as { lexer: { lex(src: string, opts: object): Tokens } }).lexer;
const LEX_OPTIONS = { trimBlocks: true, lstripBlocks: true };

/** Block tags and the tag that closes each. `set` opens a block only without `=` (`{% set x %}...{% endset %}`). */
const CLOSERS: Record<string, string> = {
  if: 'endif', ifAsync: 'endif', for: 'endfor', asyncEach: 'endeach', asyncAll: 'endall', macro: 'endmacro', call: 'endcall',
  filter: 'endfilter', block: 'endblock', switch: 'endswitch', set: 'endset', raw: 'endraw', verbatim: 'endverbatim',
};
const OPENERS: Record<string, string[]> = {};
for (const [open, close] of Object.entries(CLOSERS)) (OPENERS[close] ??= []).push(open);

/** Tags that only make sense inside another one. */
const INNER: Record<string, string> = { elif: 'if', elseif: 'if', else: 'if or for', case: 'switch', default: 'switch' };

/** The tags templates can use, for messages. */
export const KNOWN_TAGS = ['if', 'elif', 'else', 'for', 'set', 'macro', 'call', 'filter', 'block', 'extends', 'include', 'import', 'from', 'raw', 'verbatim', 'switch'];

interface Opened {
  name: string;
  line: number;
  column: number;
}

export interface Scan {
  /** A `{{` or `{%` the source ends inside, with the tag name for `{%`. */
  delimiter?: Opened & { kind: 'variable' | 'block'; unclosedString: boolean };
  /** Block tags never closed, outermost first. */
  tags: Opened[];
  /** A comment the source ends inside (`{#` without `#}`). */
  comment?: Opened;
}

/** What the source leaves open at its end. */
export function scan(src: string): Scan {
  const result: Scan = { tags: [] };
  const at = (token: Token) => ({ line: token.lineno + 1, column: token.colno + 1 });
  let tokens: Tokens;
  try {
    tokens = lexer.lex(src, LEX_OPTIONS);
    let raw: string | undefined;
    for (;;) {
      const token = tokens.nextToken();
      if (!token) break;
      if (token.type !== 'block-start' && token.type !== 'variable-start') continue;
      const kind = token.type === 'block-start' ? 'block' : 'variable';
      const words: Token[] = [];
      let closed = false;
      let unclosedString = false;
      for (;;) {
        const before = tokens.index;
        const next = tokens.nextToken();
        if (!next) break;
        if (next.type === 'block-end' || next.type === 'variable-end') {
          closed = true;
          break;
        }
        if (next.type === 'string') {
          const text = src.slice(before, tokens.index);
          unclosedString = text.length < 2 || text[text.length - 1] !== text[0];
        }
        if (next.type !== 'whitespace') words.push(next);
      }
      const name = kind === 'block' && words[0]?.type === 'symbol' ? words[0].value : kind === 'variable' ? '{{' : '';
      if (!closed) {
        result.delimiter = { kind, name, ...at(token), unclosedString };
        break;
      }
      if (kind !== 'block') continue;
      if (raw) {
        if (name === CLOSERS[raw]) {
          raw = undefined;
          result.tags.pop();
        }
        continue;
      }
      if (name === 'raw' || name === 'verbatim') raw = name;
      const isOpener = Object.hasOwn(CLOSERS, name) && (name !== 'set' || !words.some((w) => w.type === 'operator' && w.value === '='));
      if (isOpener) result.tags.push({ name, ...at(token) });
      else if (Object.hasOwn(OPENERS, name) && OPENERS[name].includes(result.tags.at(-1)?.name ?? '')) result.tags.pop();
    }
  } catch {
    // The lexer stops at an unclosed comment (or a stray `#}`): find it by hand.
    const comment = unclosedComment(src);
    if (comment) result.comment = comment;
  }
  return result;
}

/** Where a compile error of this source is, and a message a template author understands. */
export function locate(src: string, err: unknown): Located {
  const e = err as { lineno?: unknown; colno?: unknown; message?: unknown };
  const raw = String(e?.message ?? err).replace(/\s+/g, ' ').trim();
  const message = raw.replace(/^(parse[A-Za-z]*|advanceAfterBlockEnd): /, '');
  const given = typeof e?.lineno === 'number' && e.lineno > 0 ? { line: e.lineno, column: typeof e.colno === 'number' && e.colno > 0 ? e.colno : 1 } : undefined;
  const atEnd = /end of file|got EOF|reading '|Cannot read|end of comment/i.test(raw);

  // A source that ends inside `{{` or `{%` makes nunjucks fail somewhere after it, on whatever
  // follows: the opening delimiter is what to fix.
  const found = scan(src);
  const unknown = /^unknown block tag: (\S+)/.exec(raw);
  if (unknown && given && !found.delimiter) return { ...given, ...unknownTag(unknown[1]) };

  if (!given || atEnd || found.delimiter) {
    if (found.comment) return { ...position(found.comment), message: 'this comment is never closed with #}', name: '{#' };
    if (/unexpected end of comment/.test(raw)) {
      const stray = strayCommentEnd(src);
      if (stray) return { ...stray, message: 'this #} closes no comment ({# ... #})', name: '#}' };
    }
    const d = found.delimiter;
    if (d?.kind === 'variable') {
      return { ...position(d), message: `this {{ is never closed with }}${d.unclosedString ? ' (a quoted string in it is not closed either)' : ''}`, name: '{{' };
    }
    if (d?.kind === 'block') {
      return { ...position(d), message: `this {% ${d.name} tag is never closed with %}${d.unclosedString ? ' (a quoted string in it is not closed either)' : ''}`, name: d.name || '{%' };
    }
    const innermost = found.tags.at(-1);
    if (innermost && atEnd) return { ...position(innermost), message: `this {% ${innermost.name} %} is never closed with {% ${CLOSERS[innermost.name]} %}`, name: innermost.name };
  }
  if (given) return { ...given, message: /Cannot read/.test(message) ? 'unexpected end of the template' : message };
  return { ...endOf(src), message: /Cannot read/.test(message) ? 'unexpected end of the template' : message };
}

function unknownTag(name: string): { message: string; name: string } {
  const opens = OPENERS[name];
  if (opens) return { message: `{% ${name} %} closes nothing: there is no open {% ${opens[0]} %}`, name };
  if (Object.hasOwn(INNER, name)) return { message: `{% ${name} %} belongs inside {% ${INNER[name]} %}`, name };
  return { message: `unknown tag {% ${name} %} (the tags are ${KNOWN_TAGS.join(', ')})`, name };
}

function position(opened: { line: number; column: number }): { line: number; column: number } {
  return { line: opened.line, column: opened.column };
}

function offsetPosition(src: string, offset: number): { line: number; column: number } {
  const before = src.slice(0, offset);
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

function endOf(src: string): { line: number; column: number } {
  return offsetPosition(src, src.length);
}

/** The first `{#` without a `#}` after it. */
function unclosedComment(src: string): Opened | undefined {
  let from = 0;
  for (;;) {
    const start = src.indexOf('{#', from);
    if (start < 0) return undefined;
    const end = src.indexOf('#}', start + 2);
    if (end < 0) return { name: '{#', ...offsetPosition(src, start) };
    from = end + 2;
  }
}

/** The first `#}` outside a comment. */
function strayCommentEnd(src: string): { line: number; column: number } | undefined {
  let from = 0;
  for (;;) {
    const start = src.indexOf('{#', from);
    const end = src.indexOf('#}', from);
    if (end < 0) return undefined;
    if (start < 0 || end < start) return offsetPosition(src, end);
    const close = src.indexOf('#}', start + 2);
    if (close < 0) return undefined;
    from = close + 2;
  }
}
