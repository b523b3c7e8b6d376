import { expect } from 'chai';
import { loadConfig } from '../../core/config.ts';
import { DEFAULT_RETRY_SCHEDULES, nextStep, parseFallbackAfter, retryDelay, retrySpanMs, whileDown, type DeliveryState, type RetryPolicy } from '../../core/delivery/policy.ts';
import { parseSchedule } from '../../core/kernel/durations.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The defaults, with no spread (random 0.5) unless a test says otherwise. */
function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const config = loadConfig({});
  return { schedules: config.retrySchedules, scale: 1, maxDelayMs: config.retryMaxMs, fallbackAfterMs: config.fallbackAfterMs, random: () => 0.5, ...overrides };
}

const now = new Date('2026-12-01T10:00:00Z');
const state = (overrides: Partial<DeliveryState> = {}): DeliveryState => ({
  priority: 'normal', providerAttempts: 0, failingSince: null, now, remainingProviders: 0, hasFallback: false, retryOriginal: false, ...overrides,
});
const transient = { errorClass: 'transient' as const, scope: 'provider' as const };

describe('delivery next-step policy (pure)', () => {
  describe('retry schedules span real outages', () => {
    it('normal retries for about an hour, high for hours, critical for a day, low for an hour with few attempts', () => {
      const p = policy();
      expect(retrySpanMs(p, 'normal')).to.be.within(1 * HOUR, 1.5 * HOUR);
      expect(retrySpanMs(p, 'high')).to.be.within(5 * HOUR, 7 * HOUR);
      expect(retrySpanMs(p, 'critical')).to.be.within(22 * HOUR, 26 * HOUR);
      expect(retrySpanMs(p, 'low')).to.be.within(1 * HOUR, 1.5 * HOUR);
      expect(p.schedules.normal.length + 1).to.equal(7);
      expect(p.schedules.critical.length + 1).to.equal(13);
      for (const [priority, text] of Object.entries(DEFAULT_RETRY_SCHEDULES)) expect(p.schedules[priority as 'low']).to.deep.equal(parseSchedule(text));
    });

    it('spreads each delay by at most 20 % either way, honours Retry-After and caps every wait', () => {
      expect(retryDelay(policy({ random: () => 0 }), 'normal', 1)).to.equal(8000);
      expect(retryDelay(policy({ random: () => 0.999999 }), 'normal', 1)).to.equal(12000);
      expect(retryDelay(policy(), 'normal', 2)).to.equal(MIN);
      expect(retryDelay(policy(), 'normal', 1, 90_000), 'Retry-After lengthens').to.equal(90_000);
      expect(retryDelay(policy(), 'normal', 3, 1000), 'never shortens').to.equal(5 * MIN);
      expect(retryDelay(policy({ maxDelayMs: 2 * HOUR }), 'normal', 1, 48 * HOUR)).to.equal(2 * HOUR);
      expect(retryDelay(policy({ scale: 0.001 }), 'normal', 1)).to.equal(10);
      expect(retryDelay(policy(), 'normal', 7), 'spent').to.equal(undefined);
    });

    it('reads schedules and fallback waits from the environment, naming a bad one', () => {
      const config = loadConfig({ CLARION_RETRY_SCHEDULE_LOW: '1m,2m', CLARION_FALLBACK_AFTER: 'low=1h,normal=10m,high=2m,critical=5s' });
      expect(config.retrySchedules.low).to.deep.equal([MIN, 2 * MIN]);
      expect(config.fallbackAfterMs).to.deep.equal({ low: HOUR, normal: 10 * MIN, high: 2 * MIN, critical: 5000 });
      expect(() => loadConfig({ CLARION_RETRY_SCHEDULE_HIGH: 'soon' })).to.throw(/CLARION_RETRY_SCHEDULE_HIGH="soon" is invalid/);
      expect(() => loadConfig({ CLARION_FALLBACK_AFTER: 'normal=5m' })).to.throw(/CLARION_FALLBACK_AFTER="normal=5m" is invalid/);
      expect(parseFallbackAfter('low=1m,normal=1m,high=1m,critical=1m,low=2m')).to.equal(undefined);
    });
  });

  describe('after a failed attempt', () => {
    it('a failure about the recipient goes to the fallback at once, never to another provider', () => {
      const step = nextStep(policy(), { errorClass: 'permanent', scope: 'recipient' }, state({ remainingProviders: 2, hasFallback: true }));
      expect(step).to.deep.equal({ step: 'stop', status: 'failed', fallback: true, reason: 'permanent' });
    });

    it('a failure about the provider, or its configuration, moves to the next provider, then the fallback', () => {
      for (const failure of [{ errorClass: 'permanent' as const, scope: 'provider' as const }, { errorClass: 'config' as const, scope: 'provider' as const }]) {
        expect(nextStep(policy(), failure, state({ remainingProviders: 1, hasFallback: true })).step).to.equal('next_provider');
        expect(nextStep(policy(), failure, state({ remainingProviders: 0, hasFallback: true }))).to.deep.include({ step: 'stop', status: 'failed', fallback: true });
        expect(nextStep(policy(), failure, state({ remainingProviders: 0, hasFallback: false }))).to.deep.include({ step: 'stop', fallback: false });
      }
    });

    it('a transient failure retries on the schedule, counting attempts and when the failures began', () => {
      const first = nextStep(policy(), transient, state());
      expect(first).to.deep.equal({ step: 'retry', at: new Date(now.getTime() + 10_000), providerAttempts: 1, failingSince: now, fallback: false });
      const since = new Date(now.getTime() - MIN);
      expect(nextStep(policy(), transient, state({ providerAttempts: 2, failingSince: since }))).to.deep.include({ providerAttempts: 3, failingSince: since, at: new Date(now.getTime() + 5 * MIN) });
    });

    it('spent attempts move to the next provider with a schedule of its own, else a dead letter and the fallback', () => {
      expect(nextStep(policy(), transient, state({ providerAttempts: 6, remainingProviders: 1 })).step).to.equal('next_provider');
      expect(nextStep(policy(), transient, state({ providerAttempts: 6, hasFallback: true }))).to.deep.equal({ step: 'stop', status: 'dead', fallback: true, reason: 'exhausted' });
    });

    it('a channel with a fallback falls back once its failures lasted the priority\'s wait, keeping the original only when asked', () => {
      const since = new Date(now.getTime() - 5 * MIN);
      expect(nextStep(policy(), transient, state({ providerAttempts: 3, failingSince: since, hasFallback: true }))).to.deep.equal({ step: 'stop', status: 'failed', fallback: true, reason: 'fallback_engaged' });
      expect(nextStep(policy(), transient, state({ providerAttempts: 3, failingSince: since, hasFallback: true, retryOriginal: true }))).to.deep.include({ step: 'retry', fallback: true });
      expect(nextStep(policy(), transient, state({ providerAttempts: 3, failingSince: new Date(now.getTime() - 4 * MIN), hasFallback: true }))).to.deep.include({ step: 'retry', fallback: false });
      expect(nextStep(policy(), transient, state({ providerAttempts: 3, failingSince: since, hasFallback: false }))).to.deep.include({ step: 'retry', fallback: false });
      // Critical falls back at the first transient failure.
      expect(nextStep(policy(), transient, state({ priority: 'critical', hasFallback: true }))).to.deep.include({ step: 'stop', reason: 'fallback_engaged' });
    });

    it('a failed probe spends no attempt, but the retries end once the outage outlasted the schedule', () => {
      const probe = { ...transient, probe: true };
      expect(nextStep(policy(), probe, state({ providerAttempts: 3, failingSince: new Date(now.getTime() - 10 * MIN) }))).to.deep.include({ step: 'retry', providerAttempts: 3 });
      expect(nextStep(policy(), probe, state({ providerAttempts: 3, failingSince: new Date(now.getTime() - 2 * HOUR) }))).to.deep.include({ step: 'stop', status: 'dead' });
    });
  });

  describe('while every provider of the channel is down', () => {
    const probeAt = new Date(now.getTime() + 30_000);
    it('falls back at once when there is a fallback, waiting too only when the workflow keeps retrying', () => {
      expect(whileDown(policy(), { hasFallback: true, retryOriginal: false, priority: 'high', failingSince: null, now }, probeAt)).to.deep.equal({ step: 'fallback', wait: undefined });
      expect(whileDown(policy(), { hasFallback: true, retryOriginal: true, priority: 'high', failingSince: null, now }, probeAt)).to.deep.equal({ step: 'fallback', wait: probeAt });
    });

    it('waits for the probe without a fallback, for as long as the schedule lasts', () => {
      expect(whileDown(policy(), { hasFallback: false, retryOriginal: false, priority: 'normal', failingSince: now, now }, probeAt)).to.deep.equal({ step: 'wait', at: probeAt });
      expect(whileDown(policy(), { hasFallback: false, retryOriginal: false, priority: 'normal', failingSince: new Date(now.getTime() - 2 * HOUR), now }, probeAt)).to.deep.equal({ step: 'dead' });
    });
  });
});
