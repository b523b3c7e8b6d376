import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { cruise } from 'dependency-cruiser';
import { ESLint } from 'eslint';

const require = createRequire(import.meta.url);
const ruleSet = require('../../.dependency-cruiser.cjs');
const fixture = fileURLToPath(new URL('../fixtures/boundaries/', import.meta.url));

/** The house's import rules (`npm run lint:deps`) catch what they are written for. */
describe('module boundaries (dependency-cruiser rules)', () => {
  it('refuses each forbidden import of a small tree built to break them, and nothing else', async () => {
    const result = await cruise(['core', 'plugins'], { ruleSet, baseDir: fixture, validate: true, tsPreCompilationDeps: true, exclude: { path: 'node_modules' } });
    const output = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
    const violations = (output.summary.violations as Array<{ from: string; to: string; rule: { name: string } }>).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(violations).to.deep.equal([
      'core-loads-plugins-and-adapters-by-name: core/runner.ts -> plugins/noisy/index.ts',
      'notifications-do-not-reach-into-delivery: core/notifications/fan-out.ts -> core/delivery/send.ts',
      'plugins-import-only-the-pipeline-contract-and-host-api: plugins/noisy/index.ts -> core/config.ts',
      // The host API and the contract are allowed; another plugin is not.
      'plugins-import-only-the-pipeline-contract-and-host-api: plugins/stateful/index.ts -> plugins/noisy/index.ts',
      'routes-call-services: core/gateway/routes/events.ts -> core/db/database.ts',
      // What plugins import must not hand them the rest of core.
      'the-plugin-contract-imports-nothing-of-core: core/pipeline/host.ts -> core/config.ts',
    ]);
  });

  it('refuses a route reaching the database through the services object (eslint)', async () => {
    const eslint = new ESLint({ cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    const source = "import type { Services } from '../../services.ts';\nexport const rows = (services: Services) => services.knex('events');\n";
    const [route] = await eslint.lintText(source, { filePath: 'core/gateway/routes/leaky.ts' });
    expect(route.messages.map((m) => m.ruleId)).to.deep.equal(['no-restricted-syntax']);
    // The same code in a service is fine.
    const [service] = await eslint.lintText(source, { filePath: 'core/events/leaky.ts' });
    expect(service.messages).to.deep.equal([]);
  });
});
