import { expect } from 'chai';
import { circuitState, configureMetrics, registry, webhookAttemptDuration, webhookAttempts, webhookMessagesFinished, webhookMessagesQueued } from '../../core/metrics.ts';

describe('metrics', () => {
  after(() => configureMetrics({ tenantLabels: false }));

  /** A sample for each metric that can carry a tenant's object id. */
  function touchAll(): void {
    webhookMessagesQueued.inc({ endpoint: 'ep-unit-1', trigger: 'event' });
    webhookAttempts.inc({ endpoint: 'ep-unit-1', outcome: 'success' });
    webhookAttemptDuration.observe({ endpoint: 'ep-unit-1' }, 0.2);
    webhookMessagesFinished.inc({ endpoint: 'ep-unit-1', status: 'delivered' });
    circuitState.set({ provider: 'prov-unit-1', adapter: 'unit-adapter' }, 1);
  }

  it('aggregate the series of tenant objects by default, without their ids', async () => {
    configureMetrics({ tenantLabels: false });
    touchAll();
    const text = await registry.metrics();
    expect(text).to.not.include('ep-unit-1');
    expect(text).to.not.include('prov-unit-1');
    expect(text).to.not.include('clarion_circuit_state');
    expect(text).to.match(/^clarion_webhook_attempts_total\{outcome="success"\} \d+$/m);
    expect(text).to.match(/^clarion_webhook_attempt_duration_seconds_count \d+$/m);
    expect(text).to.include('clarion_provider_circuits{adapter="unit-adapter",state="open"} 1');
    expect(text).to.include('clarion_provider_circuits{adapter="unit-adapter",state="closed"} 0');
  });

  it('label them with endpoint and provider ids when the operator opts in', async () => {
    configureMetrics({ tenantLabels: true });
    touchAll();
    const text = await registry.metrics();
    expect(text).to.match(/^clarion_webhook_attempts_total\{endpoint="ep-unit-1",outcome="success"\} \d+$/m);
    expect(text).to.match(/^clarion_webhook_attempt_duration_seconds_count\{endpoint="ep-unit-1"\} \d+$/m);
    expect(text).to.include('clarion_circuit_state{provider="prov-unit-1",adapter="unit-adapter"} 1');
    // The aggregate by adapter is there either way.
    expect(text).to.include('clarion_provider_circuits{adapter="unit-adapter",state="open"} 1');
  });
});
