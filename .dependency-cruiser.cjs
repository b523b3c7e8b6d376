/**
 * The boundaries of the house (docs/architecture.md), checked by `npm run lint`: a forbidden
 * import fails CI. Every rule says why; `npm run lint:deps` shows the violations alone.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle means a helper sits in the wrong module: move it down (core/kernel, a repository, the status module).',
      severity: 'error',
      from: { path: '^(core|plugins|adapters|admin)/' },
      to: { circular: true },
    },
    {
      name: 'core-loads-plugins-and-adapters-by-name',
      comment: 'core never imports a plugin or an adapter: they are found and loaded by name (pipeline/runner.ts, delivery/registry.ts).',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: ['^plugins/', '^adapters/(?!kit/)'] },
    },
    {
      name: 'adapters-import-only-the-kit',
      comment: 'An adapter imports the kit and its own SDKs; the Twilio adapters share twilio-shared.',
      severity: 'error',
      from: { path: '^adapters/([^/]+)/', pathNot: '^adapters/kit/' },
      to: { path: ['^core/', '^plugins/', '^adapters/'], pathNot: ['^adapters/kit/', '^adapters/$1/', '^adapters/twilio-shared/'] },
    },
    {
      name: 'the-kit-imports-nothing-of-clarion',
      comment: 'The kit is the contract: it depends on no part of Clarion.',
      severity: 'error',
      from: { path: '^adapters/kit/' },
      to: { path: ['^core/', '^plugins/', '^adapters/(?!kit/)'] },
    },
    {
      name: 'plugins-import-only-the-pipeline-contract-and-host-api',
      comment: 'A plugin imports the pipeline contract (core/pipeline/types.ts), the plugin host API (core/pipeline/host.ts) and the kit, nothing else of core nor another plugin: it reaches the engine through the host it is handed.',
      severity: 'error',
      from: { path: '^plugins/([^/]+)/' },
      to: { path: ['^core/', '^plugins/', '^adapters/'], pathNot: ['^core/pipeline/(types|host)\\.ts$', '^adapters/kit/', '^plugins/$1/'] },
    },
    {
      name: 'the-plugin-contract-imports-nothing-of-core',
      comment: 'What plugins import (the contract and the host API) is types on their own: it imports the kit and itself, so a plugin never reaches the engine through it.',
      severity: 'error',
      from: { path: '^core/pipeline/(types|host)\\.ts$' },
      to: { path: ['^core/', '^plugins/', '^adapters/'], pathNot: ['^core/pipeline/(types|host)\\.ts$', '^adapters/kit/'] },
    },
    {
      name: 'stages-meet-in-the-status-module',
      comment: 'core/notifications and core/delivery depend on each other only through core/notifications/status.ts.',
      severity: 'error',
      from: { path: '^core/delivery/' },
      to: { path: '^core/notifications/', pathNot: '^core/notifications/status\\.ts$' },
    },
    {
      name: 'notifications-do-not-reach-into-delivery',
      comment: 'The notification stage creates deliveries through the repository, never the delivery stage.',
      severity: 'error',
      from: { path: '^core/notifications/' },
      to: { path: '^core/delivery/' },
    },
    {
      name: 'routes-call-services',
      comment: 'Routes (and the console) call services, never tables: no knex, no repository, no database module.',
      severity: 'error',
      from: { path: '^(core/gateway/routes|admin)/' },
      to: { path: ['^core/db/', 'node_modules/knex/'] },
    },
    {
      name: 'nothing-imports-the-gateway',
      comment: 'The gateway sits on top: only the composition (runtime, cli) and the gateway itself import it.',
      severity: 'error',
      from: { path: '^(core|plugins|adapters|admin)/', pathNot: ['^core/gateway/', '^core/runtime\\.ts$', '^core/cli\\.ts$'] },
      to: { path: '^core/gateway/' },
    },
    {
      name: 'only-the-gateway-mounts-the-console',
      comment: 'The console (admin/) sits beside the REST routes: the gateway mounts it, nothing else of core knows it.',
      severity: 'error',
      from: { path: '^core/', pathNot: '^core/gateway/app\\.ts$' },
      to: { path: '^admin/' },
    },
    {
      name: 'the-kernel-imports-nothing-of-core',
      comment: 'core/kernel (clock, ids, validation errors) is importable by everything because it imports nothing above it.',
      severity: 'error',
      from: { path: '^core/kernel/' },
      to: { path: '^core/', pathNot: ['^core/kernel/', '^core/errors\\.ts$'] },
    },
    {
      name: 'the-client-imports-nothing-of-clarion',
      comment: '@clarion/client ships on its own to other systems: its source imports its own files and its npm dependencies (its generator script reads the document from core).',
      severity: 'error',
      from: { path: '^clients/([^/]+)/src/' },
      to: { path: ['^core/', '^plugins/', '^adapters/', '^clients/'], pathNot: ['^clients/$1/src/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '^test/', '^bench/', '\\.test\\.ts$', '^adapters/[^/]+/test/', '^clients/[^/]+/(test|scripts)/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
