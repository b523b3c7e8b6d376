import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger, graphileLogger } from '../../core/log.ts';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { log: createLogger(level, destination), lines };
}

describe('logging', () => {
  it("keeps graphile-worker's per-job success lines out of info, and its problems in", () => {
    const { log, lines } = capture('info');
    const worker = graphileLogger(log);
    worker.info('Completed task 7 (send_delivery, 3.10ms) with success');
    worker.info('Worker connected and looking for jobs...');
    worker.warn('Failed task 8 (send_delivery, 2.00ms) with error: boom');
    worker.error('Worker failed to get a job');
    expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([
      [30, 'Worker connected and looking for jobs...'],
      [40, 'Failed task 8 (send_delivery, 2.00ms) with error: boom'],
      [50, 'Worker failed to get a job'],
    ]);
    expect(lines.every((l) => l.component === 'worker')).to.equal(true);
  });

  it('shows them at debug', () => {
    const { log, lines } = capture('debug');
    graphileLogger(log).info('Completed task 7 (send_delivery, 3.10ms) with success');
    expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([[20, 'Completed task 7 (send_delivery, 3.10ms) with success']]);
  });

  it('redacts secrets', () => {
    const { log, lines } = capture('info');
    log.info({ apiKey: 'clk_live_secret', provider: { config: { password: 'hunter2' } } }, 'configured');
    expect(JSON.stringify(lines[0])).to.not.match(/clk_live_secret|hunter2/);
  });
});
