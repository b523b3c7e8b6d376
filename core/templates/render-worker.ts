import { Renderer, RenderFailure } from './renderer.ts';
import type { RenderJob, RenderReply } from './types.ts';

/**
 * A render process: the sandbox is installed here and nowhere else. The pool (pool.ts) forks it
 * with no environment variables, a heap cap and, where Node has it, the permission model (it can
 * read only its own code, node_modules, the locales and the bundled layouts; it cannot write
 * files, start processes or threads). The pool kills it when a render runs past its time limit
 * (an endless loop, a catastrophic regular expression), and a render that exhausts its memory
 * takes down only this process.
 */

if (typeof process.send !== 'function') throw new Error('render-worker.ts runs as a child process of the render pool (see core/templates/pool.ts)');

const options = JSON.parse(process.argv[2] ?? '{}') as { localesDir: string; layoutsDir: string };
const renderer = new Renderer(options);
const send = (message: unknown) => process.send!(message);

process.on('message', (message: { id: number; job: RenderJob }) => {
  let reply: RenderReply;
  try {
    reply = { id: message.id, ok: true, content: renderer.render(message.job) };
  } catch (err) {
    const info =
      err instanceof RenderFailure
        ? err.info
        : { message: err instanceof Error ? err.message : String(err), part: null, template: null, line: null, column: null, kind: 'render' as const };
    reply = { id: message.id, ok: false, error: info };
  }
  send(reply);
});

// The pool is gone: nothing more will come.
process.on('disconnect', () => process.exit(0));

send({ ready: true });
