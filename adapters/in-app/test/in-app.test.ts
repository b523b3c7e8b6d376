import { describeConformance, sampleMessage } from '@clarion/adapter-kit/conformance';
import type { OutboundMessage } from '@clarion/adapter-kit';
import { expect } from 'chai';
import adapter from '../src/index.ts';

const inbox: OutboundMessage[] = [];
const host = {
  inbox: {
    async put(message: OutboundMessage) {
      inbox.push(message);
      return `item-${inbox.length}`;
    },
  },
};

describeConformance(adapter, {
  validConfig: {},
  invalidConfigs: [{ anything: 1 }],
  message: sampleMessage({ channel: 'in_app', content: { title: 'Quote Q-1 approved', body: 'Acme approved it', url: 'https://crm.example.com/q/1' } }),
  context: { host },
  noNetwork: true,
  success: () => {},
  checkSuccess: (result) => {
    expect(result.providerMessageId).to.equal(`item-${inbox.length}`);
    expect(inbox.at(-1)!.content).to.deep.include({ title: 'Quote Q-1 approved', url: 'https://crm.example.com/q/1' });
  },
  failures: [],
});

describe('in-app adapter', () => {
  it('refuses an empty message as permanent', async () => {
    const sender = await adapter.create({}, { host } as never);
    const err = await sender.send(sampleMessage({ channel: 'in_app', content: {} }), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err.errorClass).to.equal('permanent');
  });
});
