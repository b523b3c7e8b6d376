import { describeConformance, sampleMessage } from '@clarion/adapter-kit/conformance';
import type { OutboundMessage } from '@clarion/adapter-kit';
import { expect } from 'chai';
import adapter from '../src/index.ts';

const recorded: OutboundMessage[] = [];
const outbox = {
  async record(_adapter: string, message: OutboundMessage) {
    recorded.push(message);
    return String(recorded.length);
  },
};

describeConformance(adapter, {
  validConfig: { rejectAddresses: ['bounce@example.com'] },
  invalidConfigs: [{ rejectAddresses: 'bounce@example.com' }, { unknown: true }],
  message: sampleMessage(),
  context: { host: { outbox } },
  noNetwork: true,
  success: () => {},
  checkSuccess: (result) => {
    expect(result.status).to.equal('delivered');
    expect(recorded.at(-1)!.content.subject).to.equal('Hello');
  },
  failures: [],
});

describe('sandbox adapter', () => {
  it('refuses configured addresses with a permanent error and records nothing for them', async () => {
    const sender = await adapter.create({ rejectAddresses: ['bounce@example.com'] }, { host: { outbox } } as never);
    const before = recorded.length;
    const err = await sender.send(sampleMessage({ to: { id: 'u', email: 'bounce@example.com' } }), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err.errorClass).to.equal('permanent');
    expect(recorded.length).to.equal(before);
  });

  it('is a config error without an outbox', async () => {
    const sender = await adapter.create({}, { host: {} } as never);
    const err = await sender.send(sampleMessage(), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err.errorClass).to.equal('config');
  });
});
