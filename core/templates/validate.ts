import nunjucks from 'nunjucks';
import { filePosition } from './blocks.ts';
import { locate, type Located } from './locate.ts';
import { nameProblem } from './names.ts';
import { hasTranslation, type Resources } from './i18n.ts';
import type { PartSource, TemplateWarning } from './types.ts';

/**
 * Checks made when a template is saved or previewed, without running it: syntax (refused with
 * line and column) and warnings: variables the workflow's contract does not declare, unknown
 * variables, translation keys missing in a locale, layouts that do not exist.
 */

export interface SyntaxProblem {
  part: string;
  /** 1-based, in the file for bundled parts. */
  line: number;
  column: number;
  message: string;
  /** The unknown filter, test or tag (or the delimiter left open) the problem is about. */
  name?: string;
}

const COMPILE_OPTIONS = { trimBlocks: true, lstripBlocks: true, autoescape: true };

const compiler = (nunjucks as unknown as { compiler: unknown }).compiler as { compile(src: string, asyncFilters: string[], extensions: unknown[], name: string, opts: object): string };
const parser = (nunjucks as unknown as { parser: { parse(src: string, extensions: unknown[], opts: object): AstNode } }).parser;

/**
 * The syntax error of a nunjucks source, or undefined: what does not compile (always with a line
 * and column, see locate.ts), then unknown filters and tests, which would fail every render.
 * Compiles to code but never runs it.
 */
export function syntaxProblem(part: string, source: string | PartSource): SyntaxProblem | undefined {
  const src = typeof source === 'string' ? source : source.source;
  let located: Located | undefined;
  try {
    compiler.compile(src, [], [], `part:${part}`, COMPILE_OPTIONS);
    located = nameProblem(src, parser.parse(src, [], COMPILE_OPTIONS));
  } catch (err) {
    located = locate(src, err);
  }
  if (!located) return undefined;
  let { line, column } = located;
  if (typeof source !== 'string') ({ line, column } = filePosition(source, line, column));
  return { part, line, column, message: located.message, ...(located.name !== undefined ? { name: located.name } : {}) };
}

export interface AnalysisOptions {
  workflow: string;
  /** The JSON Schema of the event data (the contract), when there is one. */
  schema: unknown;
  /** Where the schema comes from, for messages: `the contract of com.acme.quote` or `templates/x/schema.json`. */
  schemaName: string;
  resources: Resources;
  locales: string[];
  /** Layout names that exist (bundled and the tenant's). */
  layouts: Set<string>;
}

const SUBSCRIBER_FIELDS = new Set(['id', 'externalId', 'name', 'email', 'phone', 'locale', 'timezone', 'data']);
const TENANT_FIELDS: Record<string, Set<string> | null> = { name: null, brand: new Set(['name', 'color', 'logoUrl']) };
const NOTIFICATION_FIELDS = new Set(['id', 'priority', 'ackUrl', 'unsubscribeUrl', 'workflow', 'createdAt']);
const BUILTIN_NAMES = new Set(['t', 'locale', 'timezone', 'event', 'items', 'range', 'cycler', 'joiner', 'loop', 'caller', 'super']);
const TRAILING_METHODS = new Set([
  'length', 'at', 'charAt', 'endsWith', 'includes', 'indexOf', 'lastIndexOf', 'normalize', 'replace', 'replaceAll', 'slice', 'split',
  'startsWith', 'substring', 'toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase', 'trim', 'trimEnd', 'trimStart', 'concat',
  'join', 'toFixed', 'toPrecision', 'next', 'reset', 'current',
]);

export function analyseParts(parts: Record<string, string | PartSource>, options: AnalysisOptions): TemplateWarning[] {
  const warnings: TemplateWarning[] = [];
  const seen = new Set<string>();
  const add = (warning: TemplateWarning) => {
    const key = `${warning.part}|${warning.variable ?? ''}|${warning.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      warnings.push(warning);
    }
  };
  if (options.schema === undefined) {
    add({ message: `No contract is registered for the data of ${options.workflow}: variables under data are not checked` });
  }
  for (const [part, value] of Object.entries(parts)) {
    const source = typeof value === 'string' ? { source: value, line: 1, column: 1, prefix: 0 } : value;
    let ast: AstNode;
    try {
      ast = parser.parse(source.source, [], COMPILE_OPTIONS);
    } catch {
      continue; // syntax errors are reported by syntaxProblem
    }
    const facts = collect(ast);
    const at = (node: { lineno: number; colno: number }) => filePosition(source, node.lineno + 1, node.colno + 1);
    for (const ref of facts.refs) {
      const resolved = resolveAlias(ref, facts, 0);
      if (!resolved) continue;
      const problem = checkPath(resolved.root, trimMethods(resolved.segs), options);
      if (problem) add({ part, ...at(ref.node), variable: problem.variable, message: problem.message });
    }
    for (const call of facts.translations) {
      const missing = options.locales.filter((locale) => !hasTranslation(options.resources, locale, call.key));
      if (missing.length > 0) add({ part, ...at(call.node), message: `The translation "${call.key}" is missing in locales/${missing.join(', locales/')}` });
    }
    for (const ref of facts.templates) {
      const match = /^_layouts\/([a-z0-9][a-z0-9_-]{0,63})\.njk$/.exec(ref.name);
      if (!match) add({ part, ...at(ref.node), message: `"${ref.name}" cannot be loaded: templates may only extend, include or import layouts, named "_layouts/<name>.njk"` });
      else if (!options.layouts.has(match[1])) add({ part, ...at(ref.node), message: `The layout "${ref.name}" does not exist (yet)` });
    }
  }
  return warnings;
}

export interface AstNode {
  typename: string;
  lineno: number;
  colno: number;
  fields?: string[];
  children?: AstNode[];
  value?: unknown;
  [field: string]: unknown;
}

interface Ref {
  root: string;
  segs: string[];
  node: AstNode;
}

interface Facts {
  refs: Ref[];
  defs: Set<string>;
  aliases: Map<string, Ref>;
  translations: Array<{ key: string; node: AstNode }>;
  templates: Array<{ name: string; node: AstNode }>;
}

function collect(root: AstNode): Facts {
  const facts: Facts = { refs: [], defs: new Set(), aliases: new Map(), translations: [], templates: [] };
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as AstNode;
    switch (n.typename) {
      case 'Symbol':
        facts.refs.push({ root: String(n.value), segs: [], node: n });
        return;
      case 'LookupVal': {
        const p = pathOf(n);
        if (p) {
          // Warnings point at the start of the expression (its variable), not at the last dot.
          facts.refs.push({ root: p.root, segs: p.segs, node: p.node });
          p.dynamic.forEach(visit);
        } else {
          visit(n.target);
          visit(n.val);
        }
        return;
      }
      case 'Filter':
      case 'FilterAsync':
        visit(n.args);
        return;
      case 'FunCall': {
        const name = n.name as AstNode;
        const args = (n.args as AstNode | undefined)?.children ?? [];
        if (name?.typename === 'Symbol' && name.value === 't' && args[0]?.typename === 'Literal' && typeof args[0].value === 'string') {
          facts.translations.push({ key: args[0].value, node: n });
        }
        visit(name);
        visit(n.args);
        return;
      }
      case 'Is': {
        visit(n.left);
        const test = n.right as AstNode;
        if (test?.typename === 'FunCall') visit(test.args);
        return;
      }
      case 'Pair':
        // In a dict or keyword arguments the key is a name, not a variable.
        if ((n.key as AstNode)?.typename !== 'Symbol') visit(n.key);
        visit(n.value);
        return;
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll': {
        visit(n.arr);
        const name = n.name as AstNode;
        const names = name?.typename === 'Symbol' ? [name] : (name?.children ?? []);
        for (const s of names) facts.defs.add(String(s.value));
        const source = pathOf(n.arr as AstNode);
        if (name?.typename === 'Symbol' && source && source.dynamic.length === 0) {
          facts.aliases.set(String(name.value), { root: source.root, segs: [...source.segs, '[]'], node: n });
        }
        visit(n.body);
        visit(n.else_);
        return;
      }
      case 'Set': {
        const targets = (n.targets as AstNode[]) ?? [];
        for (const t of targets) facts.defs.add(String(t.value));
        const source = n.value ? pathOf(n.value as AstNode) : undefined;
        if (targets.length === 1 && source && source.dynamic.length === 0) facts.aliases.set(String(targets[0].value), { root: source.root, segs: source.segs, node: n });
        visit(n.value);
        visit(n.body);
        return;
      }
      case 'Macro':
      case 'Caller': {
        if ((n.name as AstNode)?.typename === 'Symbol') facts.defs.add(String((n.name as AstNode).value));
        for (const arg of (n.args as AstNode | undefined)?.children ?? []) {
          if (arg.typename === 'Symbol') facts.defs.add(String(arg.value));
          else if (arg.typename === 'KeywordArgs') {
            for (const pair of arg.children ?? []) {
              facts.defs.add(String((pair.key as AstNode).value));
              visit(pair.value);
            }
          }
        }
        visit(n.body);
        return;
      }
      case 'Import':
        templateRef(n.template as AstNode, facts);
        facts.defs.add(String((n.target as AstNode)?.value));
        return;
      case 'FromImport':
        templateRef(n.template as AstNode, facts);
        for (const item of (n.names as AstNode | undefined)?.children ?? []) {
          if (item.typename === 'Pair') facts.defs.add(String((item.value as AstNode).value));
          else facts.defs.add(String(item.value));
        }
        return;
      case 'Extends':
      case 'Include':
        templateRef(n.template as AstNode, facts);
        return;
      case 'Block':
        visit(n.body);
        return;
      case 'Super':
        return;
      default:
        if (Array.isArray(n.children)) n.children.forEach(visit);
        for (const field of n.fields ?? []) visit(n[field]);
    }
  };
  visit(root);
  return facts;
}

function templateRef(node: AstNode, facts: Facts): void {
  if (node?.typename === 'Literal' && typeof node.value === 'string') facts.templates.push({ name: node.value, node });
}

/** `data.a[0].b` -> {root: data, segs: [a, [], b]}; a computed key ends the static path. */
function pathOf(node: AstNode): { root: string; segs: string[]; dynamic: AstNode[]; node: AstNode } | undefined {
  if (!node) return undefined;
  if (node.typename === 'Symbol') return { root: String(node.value), segs: [], dynamic: [], node };
  if (node.typename !== 'LookupVal') return undefined;
  const base = pathOf(node.target as AstNode);
  if (!base) return undefined;
  const val = node.val as AstNode;
  if (base.dynamic.length > 0) return { ...base, dynamic: [...base.dynamic, val] };
  if (val?.typename === 'Literal' && typeof val.value === 'number') return { ...base, segs: [...base.segs, '[]'] };
  if (val?.typename === 'Literal' && typeof val.value === 'string') return { ...base, segs: [...base.segs, val.value] };
  return { ...base, dynamic: [val] };
}

function resolveAlias(ref: Ref, facts: Facts, depth: number): { root: string; segs: string[] } | undefined {
  if (!facts.defs.has(ref.root)) return { root: ref.root, segs: ref.segs };
  const alias = facts.aliases.get(ref.root);
  if (!alias || depth > 10 || alias.root === ref.root) return undefined;
  return resolveAlias({ root: alias.root, segs: [...alias.segs, ...ref.segs], node: ref.node }, facts, depth + 1);
}

function trimMethods(segs: string[]): string[] {
  const out = [...segs];
  while (out.length > 0 && TRAILING_METHODS.has(out[out.length - 1])) out.pop();
  return out;
}

function checkPath(root: string, segs: string[], options: AnalysisOptions): { variable: string; message: string } | undefined {
  const name = (n: number) => [root, ...segs.slice(0, n)].join('.').replace(/\.\[\]/g, '[]');
  switch (root) {
    case 'data': {
      if (options.schema === undefined || segs.length === 0) return undefined;
      const depth = declaredDepth(options.schema, segs);
      if (depth < segs.length) {
        return { variable: name(depth + 1), message: `${name(depth + 1)} is not declared in ${options.schemaName}` };
      }
      return undefined;
    }
    case 'subscriber':
      if (segs.length > 0 && !SUBSCRIBER_FIELDS.has(segs[0])) {
        return { variable: name(1), message: `subscriber has no field "${segs[0]}" (custom fields are under subscriber.data)` };
      }
      return undefined;
    case 'tenant': {
      if (segs.length === 0) return undefined;
      if (!Object.hasOwn(TENANT_FIELDS, segs[0])) return { variable: name(1), message: `tenant has no field "${segs[0]}" (it has name and brand)` };
      const sub = TENANT_FIELDS[segs[0]];
      if (sub && segs.length > 1 && !sub.has(segs[1])) return { variable: name(2), message: `${name(1)} has no field "${segs[1]}" (it has ${[...sub].join(', ')})` };
      return undefined;
    }
    case 'notification':
      if (segs.length > 0 && !NOTIFICATION_FIELDS.has(segs[0])) {
        return { variable: name(1), message: `notification has no field "${segs[0]}" (it has ${[...NOTIFICATION_FIELDS].join(', ')})` };
      }
      return undefined;
    default:
      if (BUILTIN_NAMES.has(root)) return undefined;
      return { variable: root, message: `"${root}" is not defined: templates see event, data, subscriber, tenant, notification, items, t, locale and timezone` };
  }
}

/** How many leading segments of the path the schema declares. */
export function declaredDepth(schema: unknown, segs: string[]): number {
  let current: unknown[] = [schema];
  for (let i = 0; i < segs.length; i++) {
    const next: unknown[] = [];
    for (const s of current) next.push(...step(schema, s, segs[i], 0));
    if (next.length === 0) return i;
    // `true` (or an untyped schema reached through additionalProperties: true) declares everything below.
    if (next.some((s) => s === true)) return segs.length;
    current = next;
  }
  return segs.length;
}

function step(root: unknown, schema: unknown, seg: string, depth: number): unknown[] {
  if (depth > 20) return [];
  if (schema === true) return [true];
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as Record<string, unknown>;
  const out: unknown[] = [];
  if (typeof s.$ref === 'string') {
    const target = resolveRef(root, s.$ref);
    if (target !== undefined) out.push(...step(root, target, seg, depth + 1));
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(s[key])) for (const sub of s[key] as unknown[]) out.push(...step(root, sub, seg, depth + 1));
  }
  for (const key of ['then', 'else']) if (s[key] !== undefined) out.push(...step(root, s[key], seg, depth + 1));
  if (seg === '[]') {
    if (s.items !== undefined) out.push(s.items);
    if (Array.isArray(s.prefixItems)) out.push(...(s.prefixItems as unknown[]));
    return out;
  }
  const properties = s.properties as Record<string, unknown> | undefined;
  if (properties && typeof properties === 'object' && Object.hasOwn(properties, seg)) out.push(properties[seg]);
  const patterns = s.patternProperties as Record<string, unknown> | undefined;
  if (patterns && typeof patterns === 'object') {
    for (const [pattern, sub] of Object.entries(patterns)) {
      try {
        if (new RegExp(pattern, 'u').test(seg)) out.push(sub);
      } catch {
        // an invalid pattern declares nothing
      }
    }
  }
  if (s.additionalProperties !== undefined && s.additionalProperties !== false && out.length === 0) out.push(s.additionalProperties);
  return out;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
