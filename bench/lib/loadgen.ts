/**
 * The load generator of `npm run bench`, run as a process of its own (autocannon), so that making
 * requests never shares an event loop with the server being measured. Started by `load()` below
 * with its settings as a JSON argument; prints one JSON line with the results.
 *
 * Each request is a CloudEvent with a unique id (ingest is idempotent: a repeated id would be
 * answered without being stored) and `data.sentAt`, the wall-clock millisecond it was built, so
 * the receiving end can measure event-to-delivery latency across processes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface LoadSettings {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** Concurrent connections (closed loop: each sends its next request when answered). */
  connections: number;
  /** Seconds to run. */
  duration: number;
  /** Requests per second across all connections (open loop at that rate); absent: as fast as answered. */
  rate?: number;
  /** The event's type and the rest of its `data` (recipients...). */
  type: string;
  data: Record<string, unknown>;
  /** A prefix making the ids of this run unique. */
  idPrefix: string;
}

export interface LoadResult {
  requests: number;
  /** Answers other than 202. */
  refused: number;
  /** Connection errors and timeouts. */
  errors: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

async function generate(settings: LoadSettings): Promise<LoadResult> {
  let n = 0;
  const instance = autocannon({
    url: settings.url,
    connections: settings.connections,
    duration: settings.duration,
    ...(settings.rate ? { overallRate: settings.rate } : {}),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: settings.path,
        headers: { ...settings.headers, 'content-type': 'application/cloudevents+json' },
        setupRequest: (request) => {
          n++;
          request.body = JSON.stringify({
            specversion: '1.0',
            id: `${settings.idPrefix}-${n}`,
            source: '/bench',
            type: settings.type,
            data: { ...settings.data, n, sentAt: Date.now() },
          });
          return request;
        },
      },
    ],
  });
  const result = await instance;
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    refused: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
    perSecond: ok / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  };
}

/** Runs the generator in its own process and waits for its results. */
export function load(settings: LoadSettings): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await generate(JSON.parse(process.argv[2]!) as LoadSettings);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
