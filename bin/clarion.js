#!/usr/bin/env -S node --max-semi-space-size=16
// V8 flags (the package.json scripts repeat them): --max-semi-space-size=16 caps the young
// generation at 2 x 16 MiB. Node 24's V8 grows it to 2 x 64 MiB under allocation pressure, and
// what it grew to stays resident: 40-60 MB more per process, idle or busy, for no throughput the
// bench could measure (docs/performance.md, "Memory").
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
