/**
 * The browsers of the in-app benchmark (bench/inbox.ts), in a process of their own so that the
 * gateway's memory per connection is the gateway's alone. Driven over IPC: `{ open: url[] }`
 * opens one WebSocket per address and answers `{ ready }` once each said `ready`; every
 * `item.created` is timed on arrival (`performance.timeOrigin + performance.now()`, the same
 * clock as the parent's); `{ report: true }` answers `{ received: [title, ms][] }`; `{ close }`
 * closes them and exits.
 */
import { WebSocket } from 'ws';

const sockets: WebSocket[] = [];
const received: Array<[string, number]> = [];
const now = () => performance.timeOrigin + performance.now();

function open(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; item?: { title: string } };
      if (message.type === 'ready') resolve();
      else if (message.type === 'item.created' && message.item) received.push([message.item.title, now()]);
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed before ready (${code})`)));
  });
}

process.on('message', async (message: { open?: string[]; report?: boolean; close?: boolean }) => {
  if (message.open) {
    const urls = message.open;
    // 50 handshakes at a time: a browser fleet arriving, not a SYN flood.
    for (let i = 0; i < urls.length; i += 50) await Promise.all(urls.slice(i, i + 50).map(open));
    process.send!({ ready: sockets.length });
  } else if (message.report) {
    process.send!({ received });
  } else if (message.close) {
    for (const ws of sockets) ws.close();
    process.exit(0);
  }
});
