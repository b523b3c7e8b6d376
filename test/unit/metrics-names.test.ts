import { expect } from 'chai';
import { circuitState, configureMetrics, registry, webhookAttemptDuration, webhookAttempts, webhookMessagesFinished, webhookMessagesQueued } from '../../core/metrics.ts';
import '../../core/services.ts'; // every area's metrics, registered as in a running process
import { lintExposition } from '../support/promlint.ts';

describe('metric names', () => {
  after(() => configureMetrics({ tenantLabels: false }));

  /** Gives every labelled metric a sample, so labels are linted too. */
  function touchAll(): void {
    webhookMessagesQueued.inc({ endpoint: 'ep-lint', trigger: 'event' });
    webhookAttempts.inc({ endpoint: 'ep-lint', outcome: 'success' });
    webhookAttemptDuration.observe({ endpoint: 'ep-lint' }, 0.2);
    webhookMessagesFinished.inc({ endpoint: 'ep-lint', status: 'delivered' });
    circuitState.set({ provider: 'prov-lint', adapter: 'lint-adapter' }, 1);
  }

  for (const tenantLabels of [false, true]) {
    it(`pass promtool's naming lint${tenantLabels ? ' with tenant labels' : ''}`, async () => {
      configureMetrics({ tenantLabels });
      touchAll();
      const text = await registry.metrics();
      expect(lintExposition(text)).to.deep.equal([]);
      expect(text).to.not.include('_process_process_');
      expect(text).to.include('# TYPE clarion_process_cpu_seconds_total counter');
      expect(text).to.include('# TYPE clarion_nodejs_eventloop_lag_seconds gauge');
    });
  }

  it('are checked by a lint that reports what promtool would', () => {
    const bad = [
      '# HELP clarion_things Things',
      '# TYPE clarion_things counter',
      'clarion_things 1',
      '# TYPE clarion_queue_total gauge',
      'clarion_queue_total{camelLabel="x"} 1',
      '# HELP clarion_latency_milliseconds Latency',
      '# TYPE clarion_latency_milliseconds histogram',
      'clarion_latency_milliseconds_count 1',
      '# HELP clarion_process_process_cpu_ms x',
      '# TYPE clarion_process_process_cpu_ms gauge',
      '# HELP clarion_reqCount x',
      '# TYPE clarion_reqCount gauge',
      '# HELP clarion_jobs_count x',
      '# TYPE clarion_jobs_count gauge',
      'clarion_jobs_count{le="1"} 1',
      '# HELP clarion_hits_counter x',
      '# TYPE clarion_hits_counter gauge',
      '',
    ].join('\n');
    expect(lintExposition(bad)).to.deep.equal([
      'clarion_things: counter metrics should have "_total" suffix',
      'clarion_queue_total: no help text',
      'clarion_queue_total: non-counter metrics should not have "_total" suffix',
      "clarion_queue_total: label names should be written in 'snake_case' not 'camelCase'",
      'clarion_latency_milliseconds: use base unit "seconds" instead of "milliseconds"',
      'clarion_process_process_cpu_ms: metric names should not contain abbreviated units',
      'clarion_process_process_cpu_ms: doubled prefix "_process_process_"',
      "clarion_reqCount: metric names should be written in 'snake_case' not 'camelCase'",
      'clarion_jobs_count: non-histogram and non-summary metrics should not have "_count" suffix',
      'clarion_jobs_count: non-histogram metrics should not have "le" label',
      "clarion_hits_counter: metric name should not include type 'counter'",
    ]);
  });
});
