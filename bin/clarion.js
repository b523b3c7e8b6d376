#!/usr/bin/env node
// Clarion runs its TypeScript on Node's own type stripping (Node >= 22.18). `npx clarion` and the
// npm scripts find the project's pinned Node 24 first on PATH (node_modules/.bin/node).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `clarion: Node ${process.versions.node} is too old; Clarion needs Node >= 22.18.\n` +
      'Run it through npm so the project\'s pinned Node 24 is used: `npx clarion ...` or `npm run clarion -- ...`.',
  );
  process.exit(1);
}
await import('../core/cli.ts');
