import { expect } from 'chai';
import { CallbackRejected, assertFreshSignature, callbackHeader, safeEqual } from '@clarion/adapter-kit';

describe('adapter-kit: callback helpers', () => {
  it('reads a header whatever the case of its name', () => {
    const request = { headers: { 'x-twilio-email-event-webhook-signature': 'sig', 'Content-Type': 'application/json' } };
    expect(callbackHeader(request, 'X-Twilio-Email-Event-Webhook-Signature')).to.equal('sig');
    expect(callbackHeader(request, 'content-type')).to.equal('application/json');
    expect(callbackHeader(request, 'x-missing')).to.equal(undefined);
  });

  it('compares signatures: equal only when identical and not empty', () => {
    expect(safeEqual('abc123', 'abc123')).to.equal(true);
    expect(safeEqual('abc123', 'abc124')).to.equal(false);
    expect(safeEqual('abc', 'abc123')).to.equal(false);
    expect(safeEqual('', '')).to.equal(false);
    expect(safeEqual(Buffer.from('ff', 'hex'), Buffer.from([255]))).to.equal(true);
  });

  it('refuses stale, future and unreadable signing times with 403', () => {
    const now = Date.UTC(2026, 0, 10, 12, 0, 0);
    const at = (secondsAgo: number) => String(now / 1000 - secondsAgo);
    expect(() => assertFreshSignature(at(60), { maxAgeSeconds: 300, now })).to.not.throw();
    expect(() => assertFreshSignature(at(-200), { maxAgeSeconds: 300, now }), 'small clock skew').to.not.throw();
    for (const signedAt of [at(301), at(-301), 'yesterday', '', undefined]) {
      let caught: unknown;
      try {
        assertFreshSignature(signedAt, { maxAgeSeconds: 300, now });
      } catch (err) {
        caught = err;
      }
      expect(caught, String(signedAt)).to.be.instanceOf(CallbackRejected).with.property('status', 403);
    }
    expect(() => assertFreshSignature(at(10 * 86_400), { maxAgeSeconds: 0, now }), '0 accepts any age').to.not.throw();
  });
});
