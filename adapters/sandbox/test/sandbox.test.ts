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
  invalidConfigs: [{ rejectAddresses: 'bounce@example.com' }, { unknown: true }, { rejectScope: 'channel' }],
  message: sampleMessage(),
  context: { host: { outbox } },
  noNetwork: true,
  success: () => {},
  checkSuccess: (result) => {
    expect(result.status).to.equal('delivered');
    expect(recorded.at(-1)!.content.subject).to.equal('Hello');
  },
  failures: [
    { name: 'a rejected address', errorClass: 'permanent', scope: 'recipient', message: sampleMessage({ to: { id: 'u', email: 'bounce@example.com' } }), arrange: () => {} },
  ],
});

describe('sandbox adapter', () => {
  it('refuses configured addresses with a permanent error and records nothing for them', async () => {
    const sender = await adapter.create({ rejectAddresses: ['bounce@example.com'] }, { host: { outbox } } as never);
    const before = recorded.length;
    const err = await sender.send(sampleMessage({ to: { id: 'u', email: 'bounce@example.com' } }), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err).to.include({ errorClass: 'permanent', code: 'sandbox_rejected', scope: 'recipient' });
    expect(recorded.length).to.equal(before);
  });

  it('rehearses a provider refusing the message (next provider) with rejectScope: provider', async () => {
    const sender = await adapter.create({ rejectAddresses: ['+14155550199'], rejectScope: 'provider' }, { host: { outbox } } as never);
    const err = await sender.send(sampleMessage({ channel: 'sms', to: { id: 'u', phone: '+14155550199' } }), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err).to.include({ errorClass: 'permanent', code: 'sandbox_rejected', scope: 'provider' });
  });

  it('is a config error without an outbox', async () => {
    const sender = await adapter.create({}, { host: {} } as never);
    const err = await sender.send(sampleMessage(), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err.errorClass).to.equal('config');
  });
});
