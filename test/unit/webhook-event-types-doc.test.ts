import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { WEBHOOK_EVENT_TYPES } from '../../core/webhooks/event-types.ts';

describe('docs/webhooks.md event types', () => {
  it('lists exactly the event types of core/webhooks/event-types.ts', () => {
    const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Event types'), doc.indexOf('## What a delivery looks like'));
    const listed = [...section.matchAll(/^\| `(io\.clarion\.[a-z_.]+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).to.deep.equal(WEBHOOK_EVENT_TYPES.map((t) => t.type).sort());
  });
});
