import { AssertionError, expect } from 'chai';
import { ConfigError, PermanentError, TransientError, defineAdapter } from '@clarion/adapter-kit';
import type { OutboundMessage } from '@clarion/adapter-kit';
import { checkClassified, describeConformance, sampleMessage } from '@clarion/adapter-kit/conformance';
import type { FailureFixture } from '@clarion/adapter-kit/conformance';

/** A provider whose answer is whatever the message's recipient id asks for. */
const probe = defineAdapter<Record<string, never>>({
  name: 'scope-probe',
  channel: 'sms',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  create() {
    return {
      async send(message: OutboundMessage, { signal }) {
        if (signal.aborted) throw new TransientError('aborted', { code: 'ABORTED' });
        if (message.to.id === 'opted-out') throw new PermanentError('unsubscribed', { code: '21610', scope: 'recipient' });
        if (message.to.id === 'filtered') throw new PermanentError('refused by this provider', { code: '21612', scope: 'provider' });
        if (message.to.id === 'slow') throw new TransientError('busy', { code: '429' });
        return { providerMessageId: 'probe-1', status: 'sent' };
      },
    };
  },
});
const to = (id: string) => sampleMessage({ channel: 'sms', to: { id, phone: '+14155550100' } });

describe('adapter-kit: conformance suite', () => {
  describeConformance(probe, {
    validConfig: {},
    invalidConfigs: [{ extra: 1 }],
    message: to('ada'),
    noNetwork: true,
    success: () => {},
    failures: [
      { name: 'an opt-out', errorClass: 'permanent', scope: 'recipient', message: to('opted-out'), arrange: () => {} },
      { name: 'a provider refusal', errorClass: 'permanent', scope: 'provider', message: to('filtered'), arrange: () => {} },
      { name: 'a busy provider', errorClass: 'transient', message: to('slow'), arrange: () => {} },
    ],
  });

  const fixture = (f: FailureFixture) => f;
  const fails = (run: () => void) => {
    try {
      run();
    } catch (err) {
      expect(err).to.be.instanceOf(AssertionError);
      return (err as Error).message;
    }
    throw new Error('the check should have failed');
  };

  it('checks the scope of a permanent failure against the fixture', () => {
    const optOut = fixture({ name: 'an opt-out', errorClass: 'permanent', scope: 'recipient', arrange: () => {} });
    checkClassified(new PermanentError('unsubscribed', { scope: 'recipient' }), optOut);
    const message = fails(() => checkClassified(new PermanentError('unsubscribed', { scope: 'provider' }), optOut));
    expect(message).to.contain('the scope of an opt-out').and.contain("expected 'provider' to equal 'recipient'");
  });

  it('checks the class first, and needs no scope for transient and config failures', () => {
    checkClassified(new ConfigError('bad key'), fixture({ name: 'a bad key', errorClass: 'config', arrange: () => {} }));
    expect(fails(() => checkClassified(new TransientError('busy'), fixture({ name: 'a bad key', errorClass: 'config', arrange: () => {} })))).to.contain('the class of a bad key');
    expect(fails(() => checkClassified('a string', fixture({ name: 'x', errorClass: 'config', arrange: () => {} })))).to.contain('send must throw');
  });

  it('fails, saying why, on a permanent fixture without a scope', () => {
    const untyped = { name: 'an invalid number', errorClass: 'permanent', arrange: () => {} } as unknown as FailureFixture;
    const message = fails(() => checkClassified(new PermanentError('invalid', { scope: 'recipient' }), untyped));
    expect(message).to.contain('"an invalid number" is permanent but declares no scope').and.contain('fallback channel').and.contain('next provider');
  });

  it('makes the scope part of a permanent fixture\'s type', () => {
    // @ts-expect-error a permanent failure must say whose it is
    const missing: FailureFixture = { name: 'an invalid number', errorClass: 'permanent', arrange: () => {} };
    // @ts-expect-error transient and config failures are always about the provider: no scope to declare
    const superfluous: FailureFixture = { name: 'a busy provider', errorClass: 'transient', scope: 'provider', arrange: () => {} };
    expect([missing, superfluous]).to.have.length(2);
  });
});
