/**
 * A ceiling of `npm run bench`: the least an HTTP ingest can do on this machine and database.
 * node's `http` and `pg`, nothing else: read the body, parse it, one INSERT (a committed
 * transaction, `synchronous_commit` on, as for Clarion), answer 202. Run as a process of its own
 * (`node bench/lib/http-insert.ts <database url>`); prints `listening <port>` when ready.
 */
import http from 'node:http';
import pg from 'pg';

const url = process.argv[2];
if (!url) throw new Error('usage: node bench/lib/http-insert.ts <database url>');
const pool = new pg.Pool({ connectionString: url, max: 10 });
await pool.query('create table if not exists bench_ceiling_events (id text primary key, body jsonb not null)');

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let event: { id?: unknown };
    try {
      event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown };
    } catch {
      res.writeHead(400).end();
      return;
    }
    pool.query('insert into bench_ceiling_events (id, body) values ($1, $2) on conflict do nothing', [String(event.id), event]).then(
      () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}'),
      () => res.writeHead(500).end(),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
