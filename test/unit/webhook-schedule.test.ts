import { expect } from 'chai';
import { loadConfig } from '../../core/config.ts';
import { ClarionError } from '../../core/errors.ts';
import { messageBody } from '../../core/webhooks/delivery.ts';
import { checkFilter, matchesFilter } from '../../core/webhooks/event-types.ts';
import { DEFAULT_RETRY_SCHEDULE, MAX_RETRY_AFTER_MS, delayBeforeAttempt, parseSchedule } from '../../core/webhooks/schedule.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('webhook retry schedule', () => {
  it('parses the default schedule: 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(parseSchedule(DEFAULT_RETRY_SCHEDULE)).to.deep.equal([0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
    expect(parseSchedule(' 250ms , 1.5s,1d ')).to.deep.equal([250, 1500, 86_400_000]);
  });

  it('refuses unreadable schedules', () => {
    for (const text of ['', '5', '5x', '1s,,2s', '8d', Array(26).fill('1s').join(',')]) expect(parseSchedule(text), text).to.equal(undefined);
  });

  const plan = (random: number, scale = 1) => ({ schedule: parseSchedule(DEFAULT_RETRY_SCHEDULE)!, scale, random: () => random });

  it('gives each attempt its delay, spread by at most 10 % either way', () => {
    expect(delayBeforeAttempt(plan(0.5), 1)).to.equal(0);
    expect(delayBeforeAttempt(plan(0.5), 2)).to.equal(5 * S);
    expect(delayBeforeAttempt(plan(0), 3)).to.equal(Math.round(5 * M * 0.9));
    expect(delayBeforeAttempt(plan(0.999999), 8)).to.be.closeTo(11 * H, 100);
    expect(delayBeforeAttempt(plan(0.5), 9), 'no 9th attempt').to.equal(undefined);
    expect(delayBeforeAttempt(plan(0.5), 0)).to.equal(undefined);
  });

  it('shrinks every delay by the retry scale', () => {
    expect(delayBeforeAttempt(plan(0.5, 0.001), 2)).to.equal(5);
    expect(delayBeforeAttempt(plan(0.5, 0.001), 7)).to.equal(36_000);
  });

  it('lets Retry-After lengthen a wait, never shorten it, and caps it at a day', () => {
    expect(delayBeforeAttempt(plan(0.5), 2, 120 * S)).to.equal(120 * S);
    expect(delayBeforeAttempt(plan(0.5), 3, 1 * S)).to.equal(5 * M);
    expect(delayBeforeAttempt(plan(0.5), 2, 30 * 24 * H)).to.equal(MAX_RETRY_AFTER_MS);
    expect(delayBeforeAttempt(plan(0.5, 0.01), 2, 120 * S)).to.equal(1200);
  });
});

describe('webhook event-type filters', () => {
  it('matches everything without a filter, exact types, prefix wildcards and *', () => {
    expect(matchesFilter(null, 'io.clarion.notification.sent')).to.equal(true);
    expect(matchesFilter(['io.clarion.notification.sent'], 'io.clarion.notification.sent')).to.equal(true);
    expect(matchesFilter(['io.clarion.notification.sent'], 'io.clarion.notification.delivered')).to.equal(false);
    expect(matchesFilter(['io.clarion.notification.*'], 'io.clarion.notification.delivered')).to.equal(true);
    expect(matchesFilter(['io.clarion.notification.*'], 'io.clarion.delivery.attempt_failed')).to.equal(false);
    expect(matchesFilter(['io.clarion.notif.*'], 'io.clarion.notification.sent'), 'wildcards end at a dot').to.equal(false);
    expect(matchesFilter(['*'], 'io.clarion.escalation.step')).to.equal(true);
  });

  it('refuses unknown types, wildcards matching nothing, bad syntax and duplicates', () => {
    expect(checkFilter(['io.clarion.notification.*', 'io.clarion.webhook.endpoint_disabled'])).to.deep.equal([]);
    const errors = checkFilter(['io.clarion.notification.deliverd', 'com.acme.*', 'io.clarion.*.sent', 'io.clarion.escalation.step', 'io.clarion.escalation.step']);
    expect(errors.map((e) => e.pointer)).to.deep.equal(['/eventTypes/0', '/eventTypes/1', '/eventTypes/2', '/eventTypes/4']);
    expect(errors[0].message).to.match(/matches no event type; known types: io\.clarion\.notification\.sent/);
    expect(errors[3].message).to.equal('is listed twice');
  });
});

describe('webhook message body', () => {
  it('puts the CloudEvent attributes in spec order and data last', () => {
    const body = messageBody({ data: { b: 1 }, type: 't.x', id: 'msg_1', time: '2026-11-21T00:00:00.000Z', source: 'clarion://tenants/x', specversion: '1.0', datacontenttype: 'application/json' });
    expect(body).to.equal('{"specversion":"1.0","id":"msg_1","source":"clarion://tenants/x","type":"t.x","time":"2026-11-21T00:00:00.000Z","datacontenttype":"application/json","data":{"b":1}}');
  });
});

describe('webhook configuration', () => {
  it('allows private targets by default in embedded mode only', () => {
    expect(loadConfig({}).outboundAllowPrivate).to.equal(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/clarion' }).outboundAllowPrivate).to.equal(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/clarion', CLARION_OUTBOUND_ALLOW_PRIVATE: 'true' }).outboundAllowPrivate).to.equal(true);
    expect(loadConfig({ CLARION_OUTBOUND_ALLOW_PRIVATE: 'false' }).outboundAllowPrivate).to.equal(false);
  });

  it('has the documented schedule, scale and an empty allow-list by default', () => {
    const config = loadConfig({});
    expect(config.webhookRetrySchedule).to.deep.equal(parseSchedule(DEFAULT_RETRY_SCHEDULE));
    expect(config.webhookRetryScale).to.equal(1);
    expect(config.outboundAllowList).to.deep.equal([]);
  });

  it('reads the schedule, scale and allow-list', () => {
    const config = loadConfig({ CLARION_WEBHOOK_RETRY_SCHEDULE: '0s,1m', CLARION_WEBHOOK_RETRY_SCALE: '0.001', CLARION_OUTBOUND_ALLOWLIST: 'hooks.internal, 10.0.0.0/8' });
    expect(config).to.deep.include({ webhookRetrySchedule: [0, 60_000], webhookRetryScale: 0.001, outboundAllowList: ['hooks.internal', '10.0.0.0/8'] });
  });

  it('names bad webhook settings', () => {
    expect(() => loadConfig({ CLARION_WEBHOOK_RETRY_SCALE: '0' })).to.throw(ClarionError, /CLARION_WEBHOOK_RETRY_SCALE="0" is invalid: expected a number greater than 0/);
    expect(() => loadConfig({ CLARION_WEBHOOK_RETRY_SCHEDULE: '5 minutes' })).to.throw(ClarionError, /CLARION_WEBHOOK_RETRY_SCHEDULE="5 minutes" is invalid/);
    expect(() => loadConfig({ CLARION_WEBHOOK_RETRY_SCHEDULE: '9d' })).to.throw(ClarionError, /CLARION_WEBHOOK_RETRY_SCHEDULE="9d" is invalid/);
    expect(() => loadConfig({ CLARION_OUTBOUND_ALLOW_PRIVATE: 'yes' })).to.throw(ClarionError, /CLARION_OUTBOUND_ALLOW_PRIVATE="yes" is invalid: expected true or false/);
    expect(() => loadConfig({ CLARION_OUTBOUND_ALLOWLIST: '10.0.0.0/40' })).to.throw(ClarionError, /CLARION_OUTBOUND_ALLOWLIST="10\.0\.0\.0\/40" is invalid: allow-list entry "10\.0\.0\.0\/40" is not a valid CIDR range/);
    expect(() => loadConfig({ CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1,169.254.169.254' })).to.throw(ClarionError, /cloud metadata address, which is never reachable/);
  });

  it('still reads the webhook-only names of the outbound settings, with a deprecation warning; the new names win', () => {
    const old = loadConfig({ DATABASE_URL: 'postgres://db/clarion', CLARION_WEBHOOK_ALLOW_PRIVATE: 'true', CLARION_WEBHOOK_ALLOWLIST: 'hooks.internal' });
    expect(old).to.deep.include({ outboundAllowPrivate: true, outboundAllowList: ['hooks.internal'] });
    expect(old.deprecations).to.deep.equal([
      'CLARION_WEBHOOK_ALLOW_PRIVATE is deprecated: use CLARION_OUTBOUND_ALLOW_PRIVATE (it applies to every outbound connection now)',
      'CLARION_WEBHOOK_ALLOWLIST is deprecated: use CLARION_OUTBOUND_ALLOWLIST (it applies to every outbound connection now)',
    ]);
    const both = loadConfig({ DATABASE_URL: 'postgres://db/clarion', CLARION_WEBHOOK_ALLOW_PRIVATE: 'true', CLARION_OUTBOUND_ALLOW_PRIVATE: 'false' });
    expect(both.outboundAllowPrivate).to.equal(false);
    expect(loadConfig({}).deprecations).to.deep.equal([]);
  });
});

describe('secret reference patterns (CLARION_SECRET_REFS)', () => {
  it('are empty by default: no references at all', () => {
    expect(loadConfig({}).secretRefs).to.deep.equal([]);
  });

  it('are read as a comma-separated list', () => {
    expect(loadConfig({ CLARION_SECRET_REFS: 'env:SMTP_*, file:/run/secrets/{tenant}/*' }).secretRefs).to.deep.equal(['env:SMTP_*', 'file:/run/secrets/{tenant}/*']);
  });

  it('refuse patterns that are not env: or absolute file: paths, with the fix', () => {
    expect(() => loadConfig({ CLARION_SECRET_REFS: 'SMTP_*' })).to.throw(ClarionError, /"SMTP_\*" must start with env: or file:/);
    expect(() => loadConfig({ CLARION_SECRET_REFS: 'file:run/*' })).to.throw(ClarionError, /absolute path without \. or \.\. segments/);
    expect(() => loadConfig({ CLARION_SECRET_REFS: 'file:/run/../etc/*' })).to.throw(ClarionError, /absolute path/);
    expect(() => loadConfig({ CLARION_SECRET_REFS: 'env:A-B' })).to.throw(ClarionError, /letters, digits, _, \* and \{tenant\}/);
    expect(() => loadConfig({ CLARION_SECRET_REFS: 'env:{user}_*' })).to.throw(ClarionError, /the only placeholder is \{tenant\}/);
  });
});
