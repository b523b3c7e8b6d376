import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isLocalQueueReturnFailure } from '../../core/jobs/stray-rejections.ts';

const MODULE = fileURLToPath(new URL('../../core/jobs/stray-rejections.ts', import.meta.url));
const STRAY = 'Error occurred whilst returning jobs from local queue to database queue: Connection terminated unexpectedly';

/** Runs `body` in a process of its own (unhandled rejections end a process) with the guard on. */
function run(body: string) {
  const script = `
    import { ignoreStrayRejections } from ${JSON.stringify(MODULE)};
    const warnings = [];
    const heed = ignoreStrayRejections({ warn: (_o, msg) => warnings.push(msg) });
    ${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
}

/**
 * graphile-worker leaves a rejection unhandled when it cannot hand back its local queue while the
 * pool is released (the database went away): by default that ends the worker process. The guard
 * ignores that one rejection and no other.
 */
describe('stray graphile-worker rejections', () => {
  it('recognises only the local queue hand-back failure', () => {
    expect(isLocalQueueReturnFailure(new Error(STRAY))).to.equal(true);
    expect(isLocalQueueReturnFailure(new Error('Connection terminated unexpectedly'))).to.equal(false);
    expect(isLocalQueueReturnFailure(STRAY)).to.equal(false);
  });

  it('keeps the process alive through the stray rejection, with a warning', () => {
    const result = run(`
      Promise.reject(new Error(${JSON.stringify(STRAY)}));
      setImmediate(() => setImmediate(() => { console.log('alive', warnings.length); heed(); }));`);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal('alive 1');
  });

  it('still ends the process on any other unhandled rejection', () => {
    const result = run(`
      Promise.reject(new Error('a bug of ours'));
      setImmediate(() => setImmediate(() => console.log('alive')));`);
    expect(result.status).to.not.equal(0);
    expect(result.stdout).to.not.include('alive');
    expect(result.stderr).to.include('a bug of ours');
  });

  it('gives Node its default back once every worker stopped', () => {
    const result = run(`
      heed();
      process.on('exit', (code) => console.log('exit', code));
      Promise.reject(new Error(${JSON.stringify(STRAY)}));`);
    expect(result.status).to.not.equal(0);
  });
});
