import { expect } from 'chai';
import { ConfigError, PermanentError, TransientError, combineOutcomes, deviceScope } from '@clarion/adapter-kit';

const dead = (token: string) => new PermanentError('unregistered', { code: 'UNREGISTERED', invalidDestination: { kind: 'device', value: token } });

describe('adapter-kit: combineOutcomes', () => {
  it('succeeds when one device accepted, listing every device and the dead ones', () => {
    const result = combineOutcomes([
      { hint: '…aaaa', error: dead('token-a') },
      { hint: '…bbbb', providerMessageId: 'msg-b' },
    ]);
    expect(result).to.deep.equal({
      providerMessageId: 'msg-b',
      status: 'sent',
      details: { sent: 1, failed: 1, devices: [{ device: '…aaaa', errorClass: 'permanent', errorCode: 'UNREGISTERED' }, { device: '…bbbb', messageId: 'msg-b' }] },
      invalidDestinations: [{ kind: 'device', value: 'token-a' }],
    });
  });

  it('throws the single error of a single device as it is', () => {
    const only = dead('token-a');
    expect(() => combineOutcomes([{ hint: '…', error: only }])).to.throw(PermanentError).that.equals(only);
  });

  it('throws the most actionable class when no device accepted, carrying every dead device', () => {
    const run = (errors: Error[]) => {
      try {
        combineOutcomes(errors.map((error) => ({ hint: '…', error: error as PermanentError })));
      } catch (err) {
        return err as PermanentError;
      }
      throw new Error('should throw');
    };
    const transient = run([dead('a'), new TransientError('unavailable'), dead('b')]);
    expect(transient).to.be.instanceOf(TransientError);
    expect(transient.invalidDestinations).to.deep.equal([{ kind: 'device', value: 'a' }, { kind: 'device', value: 'b' }]);
    expect(transient.invalidDestination).to.deep.equal({ kind: 'device', value: 'a' });
    expect(run([new TransientError('x'), new ConfigError('bad key')])).to.be.instanceOf(ConfigError);
    expect(run([dead('a'), dead('b')])).to.be.instanceOf(PermanentError);
  });

  it('refuses an empty list as permanent (nothing to send to)', () => {
    expect(() => combineOutcomes([], 'subscription')).to.throw(PermanentError).with.property('code', 'NO_DEVICE');
  });

  const thrown = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      return err as PermanentError;
    }
    throw new Error('should throw');
  };

  it('is about the recipient only when every device failed for the recipient', () => {
    const tooBig = new PermanentError('payload too large', { code: '413', scope: 'provider' });
    const all = thrown(() => combineOutcomes([{ hint: '…a', error: dead('a') }, { hint: '…b', error: dead('b') }]));
    expect(all).to.include({ errorClass: 'permanent', scope: 'recipient', code: 'UNREGISTERED' });
    const mixed = thrown(() => combineOutcomes([{ hint: '…a', error: dead('a') }, { hint: '…b', error: tooBig }]));
    expect(mixed).to.include({ errorClass: 'permanent', scope: 'provider', code: '413' });
    expect(mixed.invalidDestinations).to.deep.equal([{ kind: 'device', value: 'a' }]);
  });

  it('hands a recipient failure to the next provider when the subscriber has devices it does not serve', () => {
    const only = thrown(() => combineOutcomes([{ hint: '…a', error: dead('a') }], 'device', { recipientScope: 'provider' }));
    expect(only).to.include({ errorClass: 'permanent', scope: 'provider', code: 'UNREGISTERED', message: 'unregistered' });
    expect(only.invalidDestinations).to.deep.equal([{ kind: 'device', value: 'a' }]);
    expect(thrown(() => combineOutcomes([], 'device', { recipientScope: 'provider' }))).to.include({ code: 'NO_DEVICE', scope: 'provider' });
    expect(thrown(() => combineOutcomes([], 'device'))).to.include({ code: 'NO_DEVICE', scope: 'recipient' });
  });

  it('scopes device failures by the platforms of the subscriber\'s other devices', () => {
    const fcm = { platform: 'fcm' as const, token: 't' };
    const browser = { platform: 'webpush' as const, subscription: { endpoint: 'https://fcm.googleapis.com/fcm/send/x', keys: { p256dh: 'k', auth: 'a' } } };
    expect(deviceScope({ id: 'u', devices: [fcm, fcm] }, 'fcm')).to.equal('recipient');
    expect(deviceScope({ id: 'u' }, 'fcm')).to.equal('recipient');
    expect(deviceScope({ id: 'u', devices: [fcm, browser] }, 'fcm')).to.equal('provider');
    expect(deviceScope({ id: 'u', devices: [browser] }, 'fcm')).to.equal('provider');
    expect(deviceScope({ id: 'u', devices: [fcm, browser] }, 'webpush')).to.equal('provider');
  });
});
