import nunjucks from 'nunjucks';

/**
 * Bundled channel files (`templates/<workflow>/email.njk`) hold their parts as top-level blocks:
 * `{% block subject %}...{% endblock %}`. This turns such a file into the same parts map tenants
 * save (`{subject, html, text}`), so bundled and tenant templates render through one path and a
 * tenant can start editing from the bundled parts. A file's `{% extends %}` goes with its `html`
 * part, which is the one rendered inside the layout.
 *
 * Positions are kept so errors name lines of the file, not of the extracted part.
 */

export interface SourcePart {
  source: string;
  /** Where the part's own text starts in its file (1-based). */
  line: number;
  column: number;
  /** Characters prepended on the first line of `source` that are not in the file (the extends tag). */
  prefix: number;
}

export class BlockSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'BlockSyntaxError';
    this.line = line;
    this.column = column;
  }
}

interface Token {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

interface Tag {
  start: number;
  end: number;
  words: Token[];
  trimBefore: boolean;
  trimAfter: boolean;
  lineno: number;
  colno: number;
}

const lexer = (nunjucks as unknown as { lexer: { lex(src: string, opts: object): { nextToken(): Token | null; index: number } } }).lexer;

export function extractParts(file: string): { extendsName: string | undefined; parts: Record<string, SourcePart> } {
  const tokens = lexer.lex(file, {});
  const parts: Record<string, SourcePart> = {};
  let extendsName: string | undefined;
  let depth = 0;
  let raw: string | undefined;
  let open: { name: string; bodyStart: number; trim: boolean } | undefined;

  for (;;) {
    const before = tokens.index;
    const token = tokens.nextToken();
    if (!token) break;
    if (token.type === 'block-start') {
      const tag = readTag(tokens, before, token);
      const word = tag.words[0]?.value;
      if (raw) {
        if (word === `end${raw}`) raw = undefined;
        continue;
      }
      if (word === 'raw' || word === 'verbatim') {
        raw = word;
        if (depth === 0) throw new BlockSyntaxError(`{% ${word} %} must be inside a block`, tag.lineno + 1, tag.colno + 1);
        continue;
      }
      if (depth === 0) {
        if (word === 'extends') {
          if (Object.keys(parts).length > 0 || extendsName) throw new BlockSyntaxError('{% extends %} must come first, once', tag.lineno + 1, tag.colno + 1);
          const name = tag.words[1];
          if (!name || name.type !== 'string' || tag.words.length !== 2) throw new BlockSyntaxError('{% extends %} takes one quoted layout name', tag.lineno + 1, tag.colno + 1);
          extendsName = name.value;
        } else if (word === 'block') {
          const name = tag.words[1]?.value;
          if (!name) throw new BlockSyntaxError('{% block %} needs a name', tag.lineno + 1, tag.colno + 1);
          if (Object.hasOwn(parts, name)) throw new BlockSyntaxError(`block "${name}" is defined twice`, tag.lineno + 1, tag.colno + 1);
          open = { name, bodyStart: tag.end, trim: tag.trimAfter };
          depth = 1;
        } else {
          throw new BlockSyntaxError(`only {% extends %} and {% block %} may appear outside blocks (found {% ${word ?? ''} %})`, tag.lineno + 1, tag.colno + 1);
        }
        continue;
      }
      if (word === 'block') depth++;
      else if (word === 'endblock') {
        depth--;
        if (depth === 0 && open) {
          let start = open.bodyStart;
          let end = tag.start;
          if (open.trim) while (start < end && /\s/.test(file[start])) start++;
          if (tag.trimBefore) while (end > start && /\s/.test(file[end - 1])) end--;
          const { line, column } = position(file, start);
          parts[open.name] = { source: file.slice(start, end), line, column, prefix: 0 };
          open = undefined;
        }
      }
      continue;
    }
    if (depth === 0 && !raw) {
      if (token.type === 'data' && token.value.trim() !== '') {
        // Report the text itself, not the whitespace before it.
        const lead = /^\s*/.exec(token.value)![0];
        const breaks = lead.split('\n').length - 1;
        const line = token.lineno + 1 + breaks;
        const column = breaks === 0 ? token.colno + 1 + lead.length : lead.length - lead.lastIndexOf('\n');
        throw new BlockSyntaxError('text outside blocks is never rendered: put it in a block', line, column);
      }
      if (token.type === 'variable-start') throw new BlockSyntaxError('{{ }} outside blocks is never rendered: put it in a block', token.lineno + 1, token.colno + 1);
    }
  }
  if (depth !== 0 || open) {
    const { line, column } = position(file, file.length);
    throw new BlockSyntaxError(`block "${open?.name}" is not closed with {% endblock %}`, line, column);
  }
  if (extendsName !== undefined) {
    const html = parts.html;
    if (!html) throw new BlockSyntaxError('a file that extends a layout needs an html block', 1, 1);
    const prefix = `{% extends ${JSON.stringify(extendsName)} %}{% block html %}`;
    parts.html = { source: `${prefix}${html.source}{% endblock %}`, line: html.line, column: html.column, prefix: prefix.length };
  }
  return { extendsName, parts };
}

function readTag(tokens: { nextToken(): Token | null; index: number }, start: number, first: Token): Tag {
  const words: Token[] = [];
  for (;;) {
    const token = tokens.nextToken();
    if (!token) throw new BlockSyntaxError('a {% tag is not closed', first.lineno + 1, first.colno + 1);
    if (token.type === 'block-end') {
      return { start, end: tokens.index, words, trimBefore: first.value.endsWith('-'), trimAfter: token.value.startsWith('-'), lineno: first.lineno, colno: first.colno };
    }
    if (token.type !== 'whitespace') words.push(token);
  }
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < offset; i++) {
    if (text[i] === '\n') {
      line++;
      lastBreak = i;
    }
  }
  return { line, column: offset - lastBreak };
}

/** Maps a (1-based) position inside a part back to its file. */
export function filePosition(part: Pick<SourcePart, 'line' | 'column' | 'prefix'>, line: number, column: number): { line: number; column: number } {
  if (line <= 1) return { line: part.line, column: part.column + Math.max(0, column - 1 - part.prefix) };
  return { line: part.line + line - 1, column };
}
