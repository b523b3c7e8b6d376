import { Counter, registry } from '../metrics.ts';

/**
 * Template metrics, on the process registry of core/metrics.ts (kept here so the template area
 * owns its names; move them there if the registry file becomes the only place for metrics).
 */
export const templateRenders = new Counter({
  name: 'clarion_template_renders_total',
  help: 'Template renders for deliveries, by source (tenant, bundled, none) and outcome (rendered, failed, limit, no_template, unavailable)',
  labelNames: ['source', 'outcome'] as const,
  registers: [registry],
});
