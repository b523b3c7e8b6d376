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
  failures: [
    { name: 'an empty rendering', errorClass: 'permanent', scope: 'recipient', message: sampleMessage({ channel: 'in_app', content: {} }), arrange: () => {} },
  ],
});

describe('in-app adapter', () => {
  it('refuses an empty message as permanent, about the recipient (the template: the fallback channel has its own)', async () => {
    const sender = await adapter.create({}, { host } as never);
    const before = inbox.length;
    const err = await sender.send(sampleMessage({ channel: 'in_app', content: {} }), { idempotencyKey: 'k', signal: new AbortController().signal }).catch((e) => e);
    expect(err).to.include({ errorClass: 'permanent', code: 'empty_message', scope: 'recipient' });
    expect(inbox.length).to.equal(before);
  });
});
