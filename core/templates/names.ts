import nunjucks from 'nunjucks';
import { templateFilters, type FilterState } from './filters.ts';
import { scan, type Located } from './locate.ts';

/**
 * Names nunjucks only resolves at render time: filters (`{{ x | upper }}`, `{% filter upper %}`)
 * and tests (`x is odd`). A misspelt one compiles and then fails every render, so saving refuses
 * it, with its position. Also refused: a `{% raw %}` never closed, which nunjucks ignores.
 */

const STATE: FilterState = { locale: 'en', timeZone: 'UTC', now: new Date(0), mode: 'html' };

/** The filters templates may use (nunjucks' own and Clarion's: see docs/templates.md). */
export const FILTER_NAMES: readonly string[] = Object.keys(templateFilters(() => STATE)).sort();
/** The tests of `x is <test>`. */
export const TEST_NAMES: readonly string[] = Object.keys((new nunjucks.Environment() as unknown as { tests: Record<string, unknown> }).tests).sort();

const FILTERS = new Set(FILTER_NAMES);
const TESTS = new Set(TEST_NAMES);

interface Node {
  typename: string;
  lineno: number;
  colno: number;
  fields?: string[];
  value?: unknown;
  [field: string]: unknown;
}

/** The first unknown filter or test of a parsed template (in source order), or an unclosed raw block. */
export function nameProblem(src: string, ast: Node): Located | undefined {
  const found: Located[] = [];
  const at = (node: Node) => ({ line: node.lineno + 1, column: node.colno + 1 });
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as Node;
    if (n.typename === 'Filter' || n.typename === 'FilterAsync') {
      const name = n.name as Node | undefined;
      const value = String(name?.value);
      if (name && !FILTERS.has(value)) found.push({ ...at(name), name: value, message: `unknown filter "${value}" (the filters are ${FILTER_NAMES.join(', ')})` });
    }
    if (n.typename === 'Is') {
      const right = n.right as Node | undefined;
      const test = right?.typename === 'FunCall' ? (right.name as Node | undefined) : right;
      const value = String(test?.value);
      if (test?.typename === 'Symbol' && !TESTS.has(value)) found.push({ ...at(test), name: value, message: `unknown test "${value}" (the tests are ${TEST_NAMES.join(', ')})` });
    }
    for (const field of n.fields ?? []) visit(n[field]);
  };
  visit(ast);
  const open = scan(src).tags.at(-1);
  if (open && (open.name === 'raw' || open.name === 'verbatim')) {
    found.push({ line: open.line, column: open.column, name: open.name, message: `this {% ${open.name} %} is never closed with {% end${open.name} %}` });
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column)[0];
}
