import nunjucks from 'nunjucks';
import type { EscapeMode } from './filters.ts';

/**
 * The nunjucks sandbox. Tenant templates are untrusted code: nunjucks compiles them to JavaScript
 * whose every variable read, attribute read, call and output goes through its `runtime` module.
 * `installSandbox()` replaces those runtime functions with guarded ones:
 *
 * - attribute reads (`a.b`, `a["b"]`) see own data properties only, never prototypes, never
 *   getters, never anything of a function; `constructor`, `__proto__` and friends are refused
 *   outright, whatever spelling of the key (string, computed, SafeString) reaches them;
 * - strings, arrays and numbers expose a fixed list of harmless methods;
 * - variable reads see the render's own context and the sandbox globals only;
 * - `Function`, `eval` and the other code-making functions can never be called;
 * - output is escaped per part (HTML, JSON, Slack mrkdwn or none) and counted against a budget.
 *
 * It also makes the compiled code record the line and column of every lookup and filter, so an
 * error names the line it happened on, and names the template (part or layout) it happened in.
 *
 * This patches the nunjucks module of the process that calls it, so it is called only inside the
 * render processes (core/templates/render-worker.ts), which render nothing else. The process is
 * the second wall: it has no environment variables, a memory cap, runs under Node's permission
 * model (reads only its code and translations; no writes, processes or threads), and is killed when
 * a render exceeds its time limit.
 */

export class SandboxViolation extends Error {
  override name = 'SandboxViolation';
}

export class LimitExceeded extends Error {
  override name = 'LimitExceeded';
}

export interface ErrorPosition {
  line: number;
  column: number;
  /** The compiled template's name: `part:<name>` or a layout path such as `_layouts/email.njk`. */
  template: string | undefined;
}

/** Members never readable, even as own properties: the ways out of the data. */
export const FORBIDDEN_MEMBERS = new Set([
  'constructor', 'prototype', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);

/** Variable names refused with a clear error rather than read as undefined. */
export const FORBIDDEN_NAMES = new Set([
  ...FORBIDDEN_MEMBERS, 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'toString', 'valueOf',
  'process', 'require', 'module', 'exports', 'global', 'globalThis', 'Function', 'eval', 'import',
]);

const STRING_METHODS = new Set([
  'at', 'charAt', 'endsWith', 'includes', 'indexOf', 'lastIndexOf', 'normalize', 'replace', 'replaceAll', 'slice', 'split', 'startsWith',
  'substring', 'toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase', 'trim', 'trimEnd', 'trimStart',
]);
const ARRAY_METHODS = new Set(['at', 'concat', 'includes', 'indexOf', 'join', 'lastIndexOf', 'slice']);
const NUMBER_METHODS = new Set(['toFixed', 'toPrecision']);

/** `range()` beyond this many items is refused: loops over data are far shorter. */
export const MAX_RANGE = 10_000;

const AsyncFunction = (async function () {}).constructor;
const GeneratorFunction = (function* () {}).constructor;
const AsyncGeneratorFunction = (async function* () {}).constructor;
const FORBIDDEN_CALLEES = new Set<unknown>([
  Function, AsyncFunction, GeneratorFunction, AsyncGeneratorFunction, Object, eval, Reflect.apply, Reflect.construct, Reflect.get,
  Reflect.getPrototypeOf, Reflect.defineProperty, Reflect.setPrototypeOf, Proxy, setTimeout, setInterval, setImmediate, queueMicrotask,
  Object.getPrototypeOf, Object.setPrototypeOf, Object.defineProperty, Object.getOwnPropertyDescriptor,
]);

type AnyFunction = (...args: unknown[]) => unknown;

interface SafeStringInstance {
  val: string;
  length: number;
}

interface Runtime {
  SafeString: new (value: string) => SafeStringInstance;
  Frame: new (parent?: unknown, isolateWrites?: boolean) => RuntimeFrame;
  memberLookup(obj: unknown, val: unknown): unknown;
  contextOrFrameLookup(context: ContextLike, frame: RuntimeFrame, name: string): unknown;
  callWrap(obj: unknown, name: string, context: unknown, args: unknown[]): unknown;
  suppressValue(val: unknown, autoescape: unknown): unknown;
  handleError(error: unknown, lineno: number, colno: number, template?: string): unknown;
}

export interface RuntimeFrame {
  topLevel: boolean;
  lookup(name: string): unknown;
}

interface ContextLike {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

interface PositionedNode {
  lineno: number;
  colno: number;
  value?: unknown;
  [field: string]: unknown;
}

interface CompilerPrototype {
  _emit(code: string): void;
  _compileExpression(node: unknown, frame: unknown): void;
  _compileAggregate(node: unknown, frame: unknown, start?: string, end?: string): void;
  _getNodeName(node: unknown): string;
  assertType(node: unknown, ...types: unknown[]): void;
  _emitLine(code: string): void;
  _closeScopeLevels(): void;
  buffer: string | null;
  templateName: string;
  [method: string]: unknown;
}

const runtime = nunjucks.runtime as unknown as Runtime;
const lib = (nunjucks as unknown as { lib: { escape(value: string): string } }).lib;
const compilerModule = (nunjucks as unknown as { compiler: unknown }).compiler as {
  Compiler: { prototype: CompilerPrototype };
  compile(src: string, asyncFilters: string[], extensions: unknown[], name: string, opts: object): string;
};

export const SafeString = runtime.SafeString;
export const Frame = runtime.Frame;

export const COMPILE_OPTIONS = { trimBlocks: true, lstripBlocks: true, autoescape: true, throwOnUndefined: false };

const positions = new WeakMap<object, ErrorPosition>();
let outputBudget = Number.POSITIVE_INFINITY;
let installed = false;

/** Records where an error happened (used for errors raised outside compiled code, e.g. compiling a layout). */
export function markPosition(err: unknown, position: ErrorPosition): void {
  if (err && typeof err === 'object' && !positions.has(err)) positions.set(err, position);
}

/** Where an error thrown by a render happened, when the compiled code knew. */
export function errorPosition(err: unknown): ErrorPosition | undefined {
  if (err && typeof err === 'object') {
    const known = positions.get(err);
    if (known) return known;
    const parse = err as { lineno?: unknown; colno?: unknown };
    // Parse errors carry 1-based positions of their own.
    if (typeof parse.lineno === 'number' && parse.lineno > 0) {
      return { line: parse.lineno, column: typeof parse.colno === 'number' && parse.colno > 0 ? parse.colno : 1, template: undefined };
    }
  }
  return undefined;
}

/** Characters the next render may output through `{{ }}` before it is stopped. */
export function setOutputBudget(chars: number): void {
  outputBudget = chars;
}

export function installSandbox(): void {
  if (installed) return;
  installed = true;

  runtime.memberLookup = function memberLookup(obj: unknown, val: unknown): unknown {
    if (obj === undefined || obj === null) return undefined;
    const key = propertyKey(val);
    if (key === undefined) return undefined;
    if (typeof key === 'string' && FORBIDDEN_MEMBERS.has(key)) throw new SandboxViolation(`"${key}" cannot be read in templates`);
    if (typeof obj === 'function') throw new SandboxViolation(`functions have no readable attributes (tried "${String(key)}")`);
    if (typeof obj === 'string' || obj instanceof SafeString) {
      const text = typeof obj === 'string' ? obj : (obj as SafeStringInstance).val;
      if (key === 'length') return text.length;
      if (isIndex(key)) return text[Number(key)];
      if (typeof key === 'string' && STRING_METHODS.has(key)) return method(text, (String.prototype as unknown as Record<string, AnyFunction>)[key]);
      return undefined;
    }
    if (Array.isArray(obj)) {
      if (key === 'length') return obj.length;
      if (isIndex(key)) return obj[Number(key)];
      if (typeof key === 'string' && ARRAY_METHODS.has(key)) return method(obj, (Array.prototype as unknown as Record<string, AnyFunction>)[key]);
      return undefined;
    }
    if (typeof obj === 'number') {
      return typeof key === 'string' && NUMBER_METHODS.has(key) ? method(obj, (Number.prototype as unknown as Record<string, AnyFunction>)[key]) : undefined;
    }
    if (typeof obj !== 'object') return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(obj, key);
    // Own data properties only: no prototype chain, no getters.
    if (!descriptor || !('value' in descriptor)) return undefined;
    const value = descriptor.value;
    return typeof value === 'function' ? method(obj, value) : value;
  };

  runtime.contextOrFrameLookup = function contextOrFrameLookup(context: ContextLike, frame: RuntimeFrame, name: string): unknown {
    if (FORBIDDEN_NAMES.has(name)) throw new SandboxViolation(`"${name}" is not available in templates`);
    const local = frame.lookup(name);
    if (local !== undefined) return local;
    const ctx = context.ctx;
    if (ctx && Object.hasOwn(ctx, name)) return ctx[name];
    const globals = context.env.globals;
    return Object.hasOwn(globals, name) ? globals[name] : undefined;
  };

  runtime.callWrap = function callWrap(obj: unknown, name: string, context: unknown, args: unknown[]): unknown {
    if (!obj) throw new Error(`Unable to call \`${name}\`, which is undefined or falsey`);
    if (typeof obj !== 'function') throw new Error(`Unable to call \`${name}\`, which is not a function`);
    if (FORBIDDEN_CALLEES.has(obj)) throw new SandboxViolation(`\`${name}\` cannot be called in templates`);
    return (obj as AnyFunction).apply(context, args);
  };

  runtime.suppressValue = function suppressValue(val: unknown, autoescape: unknown): unknown {
    let out: unknown = val !== undefined && val !== null ? val : '';
    if (!(out instanceof SafeString)) {
      const text = printable(out);
      if (autoescape === 'json') out = JSON.stringify(text).slice(1, -1);
      else if (autoescape === 'mrkdwn') out = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      else if (autoescape) out = lib.escape(text);
      else out = text;
    }
    outputBudget -= (out as { length: number }).length;
    if (outputBudget < 0) throw new LimitExceeded('exceeded the output size limit');
    return out;
  };

  runtime.handleError = function handleError(error: unknown, lineno: number, colno: number, template?: string): unknown {
    const err = error instanceof Error ? error : new Error(String(error));
    if (!positions.has(err) && !(typeof (err as unknown as { lineno?: unknown }).lineno === 'number' && (err as unknown as { lineno: number }).lineno > 0)) {
      positions.set(err, { line: (Number(lineno) || 0) + 1, column: (Number(colno) || 0) + 1, template });
    }
    return err;
  };

  // Positions: the compiled code keeps `lineno`/`colno` up to date only at calls. These make it
  // record the position of every variable, attribute, filter and call right before it runs, so
  // an error names the operation that failed.
  const proto = compilerModule.Compiler.prototype;
  const at = (node: PositionedNode) => `lineno = ${Math.trunc(Number(node.lineno)) || 0}, colno = ${Math.trunc(Number(node.colno)) || 0}`;
  const compileSymbol = proto.compileSymbol as (this: CompilerPrototype, node: PositionedNode, frame: unknown) => void;
  proto.compileSymbol = function positionedSymbol(this: CompilerPrototype, node: PositionedNode, frame: unknown) {
    this._emit(`(${at(node)}, `);
    compileSymbol.call(this, node, frame);
    this._emit(')');
  };
  proto.compileLookupVal = function positionedLookup(this: CompilerPrototype, node: PositionedNode, frame: unknown) {
    this._emit('runtime.memberLookup((');
    this._compileExpression(node.target, frame);
    this._emit(`), (${at(node)}, `);
    this._compileExpression(node.val, frame);
    this._emit('))');
  };
  proto.compileFilter = function positionedFilter(this: CompilerPrototype, node: PositionedNode, frame: unknown) {
    const name = node.name as PositionedNode;
    this.assertType(name, (nunjucks as unknown as { nodes: { Symbol: unknown } }).nodes.Symbol);
    this._emit(`((args) => (${at(name)}, env.getFilter(${JSON.stringify(String(name.value))}).apply(context, args)))(`);
    this._compileAggregate(node.args, frame, '[', ']');
    this._emit(')');
  };
  proto.compileFunCall = function positionedCall(this: CompilerPrototype, node: PositionedNode, frame: unknown) {
    const callee = JSON.stringify(this._getNodeName(node.name)).replace(/\u2028|\u2029/g, '');
    this._emit(`((callee, args) => (${at(node)}, runtime.callWrap(callee, ${callee}, context, args)))(`);
    this._compileExpression(node.name, frame);
    this._emit(', ');
    this._compileAggregate(node.args, frame, '[', ']');
    this._emit(')');
  };
  // Same as nunjucks' own, plus the template's name, so an error in a layout is reported as such.
  proto._emitFuncEnd = function emitFuncEnd(this: CompilerPrototype, noReturn?: boolean) {
    if (!noReturn) this._emitLine(`cb(null, ${this.buffer});`);
    this._closeScopeLevels();
    this._emitLine('} catch (e) {');
    this._emitLine(`  cb(runtime.handleError(e, lineno, colno, ${JSON.stringify(String(this.templateName ?? '')).replace(/\u2028|\u2029/g, '')}));`);
    this._emitLine('}');
    this._emitLine('}');
    this.buffer = null;
  };
}

/** Compiled template code: `root` and one `b_<name>` function per block. */
export type TemplateProps = Record<string, RenderFunction>;
export type RenderFunction = (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: (err: unknown, out?: string) => void) => void;

export function compileTemplate(source: string, name: string): TemplateProps {
  const code = compilerModule.compile(source, [], [], name, COMPILE_OPTIONS);
  // The code is what nunjucks generated from the template; every access it makes goes through the guarded runtime.
  return new Function(code)() as TemplateProps;
}

export function blocksOf(props: TemplateProps): Record<string, RenderFunction> {
  const blocks: Record<string, RenderFunction> = Object.create(null);
  for (const key of Object.keys(props)) if (key.startsWith('b_')) blocks[key.slice(2)] = props[key];
  return blocks;
}

/**
 * The render context the compiled code talks to (nunjucks' own is not exported and copies the
 * variables into an ordinary object): variables live in a prototype-less object.
 */
export class SandboxContext {
  readonly env: { globals: Record<string, unknown> };
  readonly ctx: Record<string, unknown>;
  readonly blocks: Record<string, RenderFunction[]> = Object.create(null);
  readonly exported: string[] = [];

  constructor(variables: Record<string, unknown>, blocks: Array<[string, RenderFunction]>, env: { globals: Record<string, unknown> }) {
    this.env = env;
    this.ctx = Object.assign(Object.create(null), variables);
    for (const [name, block] of blocks) this.addBlock(name, block);
  }

  lookup(name: string): unknown {
    if (Object.hasOwn(this.ctx, name)) return this.ctx[name];
    return Object.hasOwn(this.env.globals, name) ? this.env.globals[name] : undefined;
  }

  setVariable(name: string, value: unknown): void {
    this.ctx[name] = value;
  }

  getVariables(): Record<string, unknown> {
    return this.ctx;
  }

  addBlock(name: string, block: RenderFunction): this {
    (this.blocks[name] ??= []).push(block);
    return this;
  }

  getBlock(name: string): RenderFunction {
    const list = this.blocks[name];
    if (!list) throw new Error(`unknown block "${name}"`);
    return list[0];
  }

  getSuper(env: unknown, name: string, block: RenderFunction, frame: unknown, rt: unknown, cb: (err: unknown, out?: string) => void): void {
    const list = this.blocks[name] ?? [];
    const next = list[list.indexOf(block) + 1];
    if (list.indexOf(block) === -1 || !next) throw new Error(`no super block available for "${name}"`);
    next(env, this, frame, rt, cb);
  }

  addExport(name: string): void {
    this.exported.push(name);
  }

  getExported(): Record<string, unknown> {
    const exported: Record<string, unknown> = Object.create(null);
    for (const name of this.exported) exported[name] = this.ctx[name];
    return exported;
  }
}

/** The sandbox globals: nunjucks' `cycler` and `joiner`, and a bounded `range`. */
export function sandboxGlobals(): Record<string, unknown> {
  const original = (nunjucks as unknown as { Environment: new () => { globals: Record<string, unknown> } }).Environment;
  const builtins = new original().globals;
  const globals: Record<string, unknown> = Object.create(null);
  globals.cycler = builtins.cycler;
  globals.joiner = builtins.joiner;
  globals.range = function range(start: unknown, stop?: unknown, step?: unknown): number[] {
    let from = Number(start);
    let to = Number(stop);
    const by = step === undefined || step === null ? 1 : Number(step);
    if (stop === undefined || stop === null) {
      to = from;
      from = 0;
    }
    if (!Number.isFinite(from) || !Number.isFinite(to) || !Number.isFinite(by) || by === 0) throw new TypeError('range() needs finite numbers and a non-zero step');
    const count = Math.max(0, Math.ceil((to - from) / by));
    if (count > MAX_RANGE) throw new LimitExceeded(`range() is limited to ${MAX_RANGE} items (asked for ${count})`);
    const items: number[] = [];
    for (let i = 0; i < count; i++) items.push(from + i * by);
    return items;
  };
  return globals;
}

export type { EscapeMode };

function propertyKey(val: unknown): string | number | undefined {
  if (typeof val === 'string' || typeof val === 'number') return val;
  if (val instanceof SafeString) return (val as SafeStringInstance).val;
  if (val === undefined || val === null) return undefined;
  // Anything else would be turned into a key by its own toString: a way to smuggle "constructor".
  throw new SandboxViolation('attribute names must be strings or numbers');
}

function isIndex(key: string | number): boolean {
  return typeof key === 'number' ? Number.isInteger(key) : /^(0|[1-9]\d*)$/.test(key);
}

function method(target: unknown, fn: AnyFunction): (...args: unknown[]) => unknown {
  return function bound(...args: unknown[]) {
    return fn.apply(target, args);
  };
}

function printable(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return '[function]';
  if (value !== null && typeof value === 'object' && typeof (value as { toString?: unknown }).toString !== 'function') return '[object Object]';
  return String(value);
}
