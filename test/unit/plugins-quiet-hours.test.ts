import { expect } from 'chai';
import type { NotificationContext, PreferenceLayer } from '../../core/pipeline/types.ts';
import { resolve } from '../../core/preferences/model.ts';
import quietHours, { nextWindowStart, windowEnd } from '../../plugins/quiet-hours/index.ts';

const at = (iso: string) => new Date(iso);

function ctx(now: string, layers: PreferenceLayer[], options: { timezone?: string; priority?: 'normal' | 'critical' } = {}): NotificationContext {
  return {
    tenantId: 't', notificationId: 'n',
    workflow: { key: 'w', priority: options.priority ?? 'normal', required: options.priority === 'critical', trigger: 'x' },
    event: { id: 'e', ceId: 'c', source: '/s', type: 'x', data: {} },
    subscriber: { id: 's', externalId: 'ada', locale: null, timezone: options.timezone ?? 'Europe/Paris', teams: [], projects: [] },
    channels: ['email'], decisions: [], now: at(now), db: undefined as never,
    preferences: async () => resolve(layers),
  };
}

describe('quiet hours', () => {
  const night = { start: '22:00', end: '07:00' };

  it('a window crossing midnight holds on both sides of it and ends the next morning', () => {
    // Paris is UTC+1 in November.
    expect(windowEnd(at('2026-11-20T22:30:00Z'), night, 'Europe/Paris')?.toISOString()).to.equal('2026-11-21T06:00:00.000Z');
    expect(windowEnd(at('2026-11-21T03:00:00Z'), night, 'Europe/Paris')?.toISOString()).to.equal('2026-11-21T06:00:00.000Z');
    expect(windowEnd(at('2026-11-21T06:00:00Z'), night, 'Europe/Paris')).to.equal(undefined);
    expect(windowEnd(at('2026-11-21T20:59:00Z'), night, 'Europe/Paris')).to.equal(undefined);
    expect(windowEnd(at('2026-11-21T21:00:00Z'), night, 'Europe/Paris')?.toISOString()).to.equal('2026-11-22T06:00:00.000Z');
  });

  it('is DST-correct: the night the clocks go back lasts an hour longer in UTC', () => {
    // Europe/Paris leaves summer time on 2026-10-25 at 03:00 local (01:00 UTC).
    // 22:00 local on the 24th is 20:00 UTC (UTC+2); 07:00 local on the 25th is 06:00 UTC (UTC+1).
    expect(windowEnd(at('2026-10-24T20:30:00Z'), night, 'Europe/Paris')?.toISOString()).to.equal('2026-10-25T06:00:00.000Z');
    expect(windowEnd(at('2026-10-24T19:59:00Z'), night, 'Europe/Paris')).to.equal(undefined);
    // The spring change (2026-03-29, 02:00 -> 03:00 local): 22:00 on the 28th is 21:00 UTC, 07:00 on the 29th is 05:00 UTC.
    expect(windowEnd(at('2026-03-28T21:00:00Z'), night, 'Europe/Paris')?.toISOString()).to.equal('2026-03-29T05:00:00.000Z');
    expect(windowEnd(at('2026-03-29T05:00:00Z'), night, 'Europe/Paris')).to.equal(undefined);
  });

  it('days name the weekday a window starts on', () => {
    const weeknights = { ...night, days: [1, 2, 3, 4, 5] };
    // Friday 2026-11-20 23:00 Paris: Friday's window. Saturday 23:00: none.
    expect(windowEnd(at('2026-11-20T22:00:00Z'), weeknights, 'Europe/Paris')).to.not.equal(undefined);
    expect(windowEnd(at('2026-11-21T22:00:00Z'), weeknights, 'Europe/Paris')).to.equal(undefined);
  });

  it('send windows: the next opening skips closed days', () => {
    const business = { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5], timezone: 'America/New_York' };
    // Saturday 2026-11-21 noon in New York: next opening Monday 09:00 EST (14:00 UTC).
    expect(nextWindowStart(at('2026-11-21T17:00:00Z'), business, 'America/New_York')?.toISOString()).to.equal('2026-11-23T14:00:00.000Z');
  });

  it('the plugin defers to the end, drops on request, inherits from the tenant, and critical bypasses', async () => {
    const tenant = { scope: 'tenant' as const, scopeId: 't', settings: { quietHours: night } };
    const deferred = await quietHours.run(ctx('2026-11-20T23:00:00Z', [tenant]), { action: 'defer' });
    expect(deferred.decision).to.equal('defer');
    expect(deferred.decision === 'defer' && deferred.until.toISOString()).to.equal('2026-11-21T06:00:00.000Z');
    expect(deferred.details?.source).to.deep.include({ scope: 'tenant' });
    expect(await quietHours.run(ctx('2026-11-20T23:00:00Z', [tenant]), { action: 'drop' })).to.deep.include({ decision: 'suppress', reason: 'quiet_hours' });
    expect((await quietHours.run(ctx('2026-11-20T23:00:00Z', [tenant], { priority: 'critical' }), { action: 'defer' })).decision).to.equal('continue');
    // In Tokyo it is already 08:00 on the 21st: outside the window.
    expect((await quietHours.run(ctx('2026-11-20T23:00:00Z', [tenant], { timezone: 'Asia/Tokyo' }), { action: 'defer' })).decision).to.equal('continue');
  });

  it('a workflow send window defers what falls outside business hours', async () => {
    const decision = await quietHours.run(ctx('2026-11-21T17:00:00Z', []), { action: 'defer', sendWindow: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5], timezone: 'America/New_York' } });
    expect(decision).to.deep.include({ decision: 'defer', reason: 'outside_send_window' });
  });
});
