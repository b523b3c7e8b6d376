import { createReadStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { ClarionError } from '../errors.ts';
import type { BulkResult } from './schemas.ts';

/**
 * `clarion subscribers import FILE`: reads subscribers from a CSV file (a header row naming the
 * columns) or JSON lines (one object a line), maps columns to subscriber fields, and sends them in
 * batches to `POST /v1/subscribers:bulk`, where each is judged exactly as the API judges one.
 * Refused rows are reported with their line numbers; the import is resumable: after each batch
 * the line reached is written to a state file beside the input, and a later run with the same
 * file carries on from there (a batch sent twice is harmless: an upsert).
 */

export type ImportFormat = 'csv' | 'jsonl';

/** Subscriber fields a column may be mapped to (`data.<key>` too). */
export const IMPORT_FIELDS = ['id', 'name', 'email', 'phone', 'locale', 'timezone', 'teams', 'projects', 'devices', 'chat', 'data'] as const;

/** One record of the file: the subscriber it holds, or why it cannot be one; where it is. */
export interface ImportRow {
  line: number;
  item?: Record<string, unknown>;
  /** Refused before sending (unparseable), with the reason. */
  problem?: string;
  /** Subscriber field to the column it came from, for messages that name the column. */
  columns: Record<string, string>;
}

export interface Refusal {
  line: number;
  id: string | null;
  code: string;
  errors: Array<{ field: string; column?: string; message: string }>;
}

export interface ImportSummary {
  file: string;
  created: number;
  updated: number;
  refused: number;
  /** Records skipped because an earlier run had sent them. */
  resumedAfterLine: number;
  lines: number;
}

/** What `POST /v1/subscribers:bulk` answers. */
export type BulkAnswer = BulkResult;

/** `--map COLUMN=FIELD` options, as column name to field; a bad one is a usage error. */
export function parseMapping(specs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const spec of specs) {
    const at = spec.lastIndexOf('=');
    const column = spec.slice(0, at).trim();
    const field = spec.slice(at + 1).trim();
    if (at <= 0 || !column || !isField(field)) {
      throw new ClarionError('CLARION_ERR_CLI_USAGE', `--map ${spec}: expected COLUMN=FIELD, FIELD one of ${IMPORT_FIELDS.join(', ')} or data.<key> (e.g. --map "E-mail=email" --map "Plan=data.plan")`);
    }
    map.set(column, field);
  }
  return map;
}

function isField(field: string): boolean {
  return (IMPORT_FIELDS as readonly string[]).includes(field) || /^data\.[A-Za-z0-9_-]{1,100}$/.test(field);
}

export function formatOf(file: string, given: string | undefined): ImportFormat {
  if (given === 'csv' || given === 'jsonl') return given;
  if (given !== undefined) throw new ClarionError('CLARION_ERR_CLI_USAGE', `--format ${given}: expected csv or jsonl`);
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return 'jsonl';
  throw new ClarionError('CLARION_ERR_CLI_USAGE', `Cannot tell the format of ${file} from its name: pass --format csv or --format jsonl`);
}

/** The records of the file, in order, each with its line number. */
export async function* readRows(file: string, format: ImportFormat, mapping: Map<string, string>, warn: (message: string) => void = () => {}): AsyncGenerator<ImportRow> {
  if (format === 'jsonl') {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        yield { line, problem: `is not valid JSON: ${(err as Error).message}`, columns: {} };
        continue;
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        yield { line, problem: 'must be a JSON object holding one subscriber', columns: {} };
        continue;
      }
      const item: Record<string, unknown> = {};
      const columns: Record<string, string> = {};
      for (const [key, v] of Object.entries(value)) {
        const field = mapping.get(key) ?? key;
        setField(item, field, v);
        if (field !== key) columns[field] = key;
      }
      yield { line, item, columns };
    }
    return;
  }
  const skipped: ImportRow[] = [];
  const parser = createReadStream(file).pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        if (err) skipped.push({ line: (err as { lines?: number }).lines ?? 0, problem: `cannot be read as CSV: ${err.message}`, columns: {} });
        return undefined;
      },
    }),
  );
  let warned = false;
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    if (!warned) {
      warned = true;
      const unknown = Object.keys(record).filter((c) => !mapping.has(c) && !isField(c));
      if (unknown.length > 0) warn(`columns ignored (map them with --map COLUMN=FIELD): ${unknown.join(', ')}`);
      if (![...Object.keys(record)].some((c) => (mapping.get(c) ?? c) === 'id')) warn('no column is the subscriber id: name one id, or map one with --map COLUMN=id');
    }
    const item: Record<string, unknown> = {};
    const columns: Record<string, string> = {};
    let problem: string | undefined;
    for (const [column, cell] of Object.entries(record)) {
      const field = mapping.get(column) ?? (isField(column) ? column : undefined);
      if (!field || cell === '') continue;
      columns[field.split('.')[0]] = column;
      try {
        setField(item, field, cellValue(field, cell));
      } catch (err) {
        problem = `column "${column}" ${(err as Error).message}`;
      }
    }
    yield problem ? { line: info.lines, problem, columns } : { line: info.lines, item, columns };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

/** A CSV cell as the field's value: lists separated by `;`, devices and chat as JSON. */
function cellValue(field: string, cell: string): unknown {
  if (field === 'teams' || field === 'projects') return cell.split(';').map((v) => v.trim()).filter(Boolean);
  if (field === 'devices' || field === 'chat' || field === 'data') {
    try {
      return JSON.parse(cell);
    } catch {
      throw new Error(`must hold JSON for ${field}`);
    }
  }
  return cell;
}

function setField(item: Record<string, unknown>, field: string, value: unknown): void {
  if (field.startsWith('data.')) {
    const data = (item.data && typeof item.data === 'object' ? item.data : (item.data = {})) as Record<string, unknown>;
    data[field.slice(5)] = value;
  } else item[field] = value;
}

/** Where an import stands, beside its file (`FILE.clarion-import.json`). */
export interface ImportState {
  file: string;
  size: number;
  mtimeMs: number;
  /** Every record up to this line was sent and answered. */
  line: number;
  created: number;
  updated: number;
  refused: number;
}

export function stateFileOf(file: string): string {
  return `${file}.clarion-import.json`;
}

/** The state of an earlier, unfinished run of the same file; undefined for none. A changed file is not resumed. */
export async function loadState(file: string, stateFile: string): Promise<ImportState | undefined> {
  let state: ImportState;
  try {
    state = JSON.parse(await readFile(stateFile, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClarionError('CLARION_ERR_CLI_USAGE', `The import state ${stateFile} cannot be read (${(err as Error).message}): delete it or pass --restart`);
  }
  const info = await stat(file);
  if (state.size !== info.size || state.mtimeMs !== info.mtimeMs) {
    throw new ClarionError('CLARION_ERR_CLI_USAGE', `${file} changed since the unfinished import recorded in ${stateFile} (line ${state.line}): pass --restart to import it from the start`);
  }
  return state;
}

export async function saveState(stateFile: string, state: ImportState): Promise<void> {
  await writeFile(stateFile, `${JSON.stringify(state)}\n`);
}

export async function removeState(stateFile: string): Promise<void> {
  await rm(stateFile, { force: true });
}

/** A refusal of the API, in the file's terms: its line, the fields and the columns they came from. */
export function refusalOf(row: ImportRow, refused: BulkAnswer['refused'][number]): Refusal {
  return {
    line: row.line,
    id: refused.id,
    code: refused.code,
    errors: refused.errors.map((e) => {
      const field = e.pointer.split('/').slice(3).join('/') || '(subscriber)';
      const column = row.columns[field.split('/')[0]];
      return column ? { field, column, message: e.message } : { field, message: e.message };
    }),
  };
}

export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(file)) {
    for (const byte of chunk as Buffer) if (byte === 10) lines++;
    last = (chunk as Buffer).at(-1) ?? last;
  }
  return last === 10 ? lines : lines + 1;
}
