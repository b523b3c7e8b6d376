import type { Channel } from '@clarion/adapter-kit';
import { expect } from 'chai';
import type { NotificationContext, PreferenceLayer, PreferenceSettings } from '../../core/pipeline/types.ts';
import { checkSettings, mergeSettings, resolve } from '../../core/preferences/model.ts';
import { signLink, verifyLink } from '../../core/preferences/links.ts';
import preferences from '../../plugins/preferences/index.ts';
import { ClarionError } from '../../core/errors.ts';

const workflow = { key: 'order.shipped', category: 'orders' };
const layer = (scope: PreferenceLayer['scope'], scopeId: string, settings: PreferenceSettings): PreferenceLayer => ({ scope, scopeId, settings });

function ctx(layers: PreferenceLayer[], options: { required?: boolean; channels?: Channel[] } = {}): NotificationContext {
  return {
    tenantId: 't', notificationId: 'n',
    workflow: { ...workflow, priority: options.required ? 'critical' : 'normal', required: options.required ?? false, trigger: 'com.acme.order.shipped' },
    event: { id: 'e', ceId: 'c', source: '/s', type: 'com.acme.order.shipped', data: {} },
    subscriber: { id: 's', externalId: 'ada', locale: null, timezone: null, teams: ['ops'], projects: ['apollo'] },
    channels: options.channels ?? ['email', 'sms'],
    decisions: [], now: new Date('2026-11-21T10:00:00Z'), db: undefined as never,
    preferences: async () => resolve(layers),
  };
}

describe('preferences: precedence matrix', () => {
  const scopes: Array<[PreferenceLayer['scope'], string]> = [['tenant', 't'], ['team', 'ops'], ['project', 'apollo'], ['subscriber', 'ada']];

  // Each scope says the opposite of the one above it: the most specific one that speaks wins.
  for (let i = 0; i < scopes.length; i++) {
    it(`${scopes[i][0]} wins over every scope above it (${i} above)`, () => {
      const layers = scopes.slice(0, i + 1).map(([scope, id], j) => layer(scope, id, { categories: { orders: { email: j % 2 === 1 } } }));
      const got = resolve(layers).channel('email', workflow);
      expect(got.enabled).to.equal(i % 2 === 1);
      expect(got.source).to.deep.include({ scope: scopes[i][0], scopeId: scopes[i][1] });
    });
  }

  it('a less specific scope still applies where the more specific one is silent', () => {
    const got = resolve([layer('tenant', 't', { channels: { sms: false } }), layer('subscriber', 'ada', { categories: { orders: { email: true } } })]);
    expect(got.channel('sms', workflow)).to.deep.include({ enabled: false });
    expect(got.channel('email', workflow)).to.deep.include({ enabled: true });
  });

  it('inside one scope: workflow beats category beats channel; a channel value beats enabled', () => {
    const settings: PreferenceSettings = { channels: { email: true }, categories: { orders: { enabled: false } }, workflows: { 'order.shipped': { enabled: false, email: true } } };
    const got = resolve([layer('subscriber', 'ada', settings)]);
    expect(got.channel('email', workflow)).to.deep.include({ enabled: true, source: { scope: 'subscriber', scopeId: 'ada', rule: 'workflows.order.shipped.email' } });
    expect(got.channel('sms', workflow)).to.deep.include({ enabled: false, source: { scope: 'subscriber', scopeId: 'ada', rule: 'workflows.order.shipped.enabled' } });
    expect(got.channel('push', { key: 'other', category: 'orders' }).source?.rule).to.equal('categories.orders.enabled');
    expect(got.channel('email', { key: 'other' }).enabled).to.equal(true);
  });

  it('two teams that disagree: the opt-out wins', () => {
    const got = resolve([layer('team', 'a', { channels: { sms: true } }), layer('team', 'b', { channels: { sms: false } })]);
    expect(got.channel('sms', workflow)).to.deep.include({ enabled: false, source: { scope: 'team', scopeId: 'b', rule: 'channels.sms' } });
  });

  it('quiet hours come from the most specific scope that sets them; null switches inherited ones off', () => {
    const tenant = layer('tenant', 't', { quietHours: { start: '22:00', end: '07:00' } });
    expect(resolve([tenant]).quietHours()?.source.scope).to.equal('tenant');
    expect(resolve([tenant, layer('team', 'ops', { quietHours: { start: '20:00', end: '06:00' } })]).quietHours()?.rule.start).to.equal('20:00');
    expect(resolve([tenant, layer('subscriber', 'ada', { quietHours: null })]).quietHours()).to.equal(undefined);
  });

  it('the plugin narrows the plan, suppresses when nothing is left, and lists blocked channels', async () => {
    const narrowed = await preferences.run(ctx([layer('subscriber', 'ada', { channels: { sms: false } })]), { defaults: {} });
    expect(narrowed).to.deep.include({ decision: 'continue', channels: ['email'] });
    expect(narrowed.details?.blocked).to.deep.equal(['sms']);
    const none = await preferences.run(ctx([layer('tenant', 't', { categories: { orders: { enabled: false } } })]), { defaults: {} });
    expect(none).to.deep.include({ decision: 'suppress', reason: 'opted_out' });
  });

  it('critical (required) workflows bypass opt-outs at every scope, and say so', async () => {
    const all = scopes.map(([scope, id]) => layer(scope, id, { channels: { email: false, sms: false } }));
    const decision = await preferences.run(ctx(all, { required: true }), { defaults: {} });
    expect(decision.decision).to.equal('continue');
    expect(decision).to.not.have.property('channels');
    expect(decision.reason).to.match(/required workflow: opt-outs of email, sms ignored/);
  });

  it("workflow defaults apply only where no scope says anything", async () => {
    const off = await preferences.run(ctx([]), { defaults: { sms: false } });
    expect(off).to.deep.include({ decision: 'continue', channels: ['email'] });
    const optedIn = await preferences.run(ctx([layer('subscriber', 'ada', { channels: { sms: true } })]), { defaults: { sms: false } });
    expect(optedIn.decision).to.equal('continue');
    expect(optedIn).to.not.have.property('channels');
  });

  it('validates settings with pointers, and merges nested rules', () => {
    expect(() => checkSettings({ channels: { fax: false } })).to.throw(ClarionError);
    const err = (() => {
      try {
        checkSettings({ quietHours: { start: '25:00', end: '07:00' } }, '/settings');
      } catch (e) {
        return e as ClarionError;
      }
    })();
    expect(err?.code).to.equal('CLARION_ERR_PREFERENCE_INVALID');
    expect(err!.errors.map((e) => e.pointer).join()).to.include('/settings/quietHours');
    expect(() => checkSettings({ quietHours: { start: '22:00', end: '07:00', timezone: 'Mars/Base' } })).to.throw(/Invalid preference/);
    const merged = mergeSettings({ categories: { orders: { email: false } } }, { categories: { orders: { sms: false } } });
    expect(merged).to.deep.equal({ categories: { orders: { email: false, sms: false } } });
  });
});

describe('signed links', () => {
  const secret = Buffer.alloc(32, 7);
  const now = new Date('2026-11-21T10:00:00Z');

  it('verifies its own tokens and refuses tampered, foreign-purpose and expired ones', () => {
    const token = signLink(secret, { p: 'unsubscribe', t: 'tenant', s: 'ada', k: 'category', v: 'orders', c: 'email' });
    expect(verifyLink(secret, 'unsubscribe', token, now)).to.include({ s: 'ada', v: 'orders' });

    const [body, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, s: 'bob' })).toString('base64url')}.${mac}`;
    expect(() => verifyLink(secret, 'unsubscribe', forged, now)).to.throw(ClarionError).with.property('code', 'CLARION_ERR_LINK_INVALID');
    expect(() => verifyLink(Buffer.alloc(32, 8), 'unsubscribe', token, now)).to.throw(/not valid/);
    expect(() => verifyLink(secret, 'ack', token, now)).to.throw(/not valid/);

    const ack = signLink(secret, { p: 'ack', t: 'tenant', s: 'ada', n: 'n1', e: Math.floor(now.getTime() / 1000) + 60 });
    expect(verifyLink(secret, 'ack', ack, now).n).to.equal('n1');
    expect(() => verifyLink(secret, 'ack', ack, new Date(now.getTime() + 61_000))).to.throw(ClarionError).with.property('code', 'CLARION_ERR_LINK_EXPIRED');
  });
});
