import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process, served at `/metrics`. Areas add their own metrics here so
 * names stay unique and documented in one place.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'clarion_process_' });

export const eventsReceived = new Counter({
  name: 'clarion_events_received_total',
  help: 'CloudEvents accepted at ingest, by outcome (accepted, duplicate)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export { Counter, Gauge, Histogram };
