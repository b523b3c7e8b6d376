import { expect } from 'chai';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateSecret, secretKey, sign, signatureHeaders } from '../../core/webhooks/signing.ts';

describe('webhook signing (Standard Webhooks)', () => {
  it('matches the test vector of the Standard Webhooks specification', () => {
    expect(sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).to.equal(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).to.have.length(32);
    expect(a).to.not.equal(b);
  });

  it('accepts secrets of 24 to 64 bytes only, in whsec_ form', () => {
    expect(secretKey(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).to.have.length(24);
    expect(secretKey(`whsec_${Buffer.alloc(16, 1).toString('base64')}`)).to.equal(undefined);
    expect(secretKey(`whsec_${Buffer.alloc(65, 1).toString('base64')}`)).to.equal(undefined);
    expect(secretKey(Buffer.alloc(32, 1).toString('base64'))).to.equal(undefined);
    expect(secretKey('whsec_not base64!')).to.equal(undefined);
  });

  it('produces headers the standardwebhooks library verifies', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ specversion: '1.0', id: 'msg_1', data: { ok: true, text: 'héllo ✓' } });
    const headers = signatureHeaders([secret], 'msg_1', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-id']).to.equal('msg_1');
    expect(headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).to.deep.equal(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).to.throw(WebhookVerificationError);
    expect(() => new Webhook(generateSecret()).verify(body, headers)).to.throw(WebhookVerificationError);
  });

  it('signs with every secret during a rotation, each verifiable on its own', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const body = '{"a":1}';
    const headers = signatureHeaders([current, previous], 'msg_2', Math.floor(Date.now() / 1000), body);
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).to.have.length(2);
    expect(new Webhook(current).verify(body, headers)).to.deep.equal({ a: 1 });
    expect(new Webhook(previous).verify(body, headers)).to.deep.equal({ a: 1 });
  });

  it('refuses to sign without a secret', () => {
    expect(() => signatureHeaders([], 'msg_3', 1, '{}')).to.throw(TypeError);
    expect(() => sign('nope', 'msg_3', 1, '{}')).to.throw(TypeError);
  });
});
