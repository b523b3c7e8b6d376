import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

/** A figure of the run, beside the ceiling measured in the same run when it has one. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Extra numbers shown beside the value (latencies). */
  detail?: string;
  ceiling?: { name: string; value: number; unit?: string };
  goal?: { text: string; met: boolean };
}

/** Progress on stderr: one line rewritten in place on a terminal, plain lines otherwise. */
export class Progress {
  readonly #tty = process.stderr.isTTY;
  #step = 0;
  readonly #steps: number;

  constructor(steps: number) {
    this.#steps = steps;
  }

  step(what: string): void {
    this.#step++;
    this.#line(`[${this.#step}/${this.#steps}] ${what}`, true);
  }

  update(what: string): void {
    if (this.#tty) this.#line(`[${this.#step}/${this.#steps}] ${what}`, false);
  }

  #line(text: string, final: boolean): void {
    if (this.#tty) process.stderr.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else if (final) process.stderr.write(`${text}\n`);
  }
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));

export function table(figures: Figure[]): string {
  const rows = [['figure', 'Clarion', 'ceiling (same run)', 'share', 'goal', 'met']];
  for (const f of figures) {
    const share = f.ceiling && f.ceiling.value > 0 ? `${((f.value / f.ceiling.value) * 100).toFixed(0)}%` : '';
    rows.push([
      f.name,
      `${fmt(f.value)} ${f.unit}${f.detail ? `, ${f.detail}` : ''}`,
      f.ceiling ? `${f.ceiling.name}: ${fmt(f.ceiling.value)} ${f.ceiling.unit ?? f.unit}` : '',
      share,
      f.goal?.text ?? '',
      f.goal ? (f.goal.met ? 'yes' : 'NO') : '',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export async function writeJson(file: string, figures: Figure[], settings: Record<string, unknown>): Promise<void> {
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version, platform: process.platform };
  const body = {
    at: new Date().toISOString(),
    machine,
    settings,
    figures: figures.map((f) => ({ ...f, share: f.ceiling && f.ceiling.value > 0 ? f.value / f.ceiling.value : undefined })),
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
}
