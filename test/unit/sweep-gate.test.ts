import { expect } from 'chai';
import { SweepGate } from '../../core/jobs/liveness.ts';
import { TEST_EPOCH } from '../support/clock.ts';

/**
 * A worker judges others dead only once its own heartbeats have gone through without a break for
 * a whole dead-after period: after a database outage, every live worker's last beat is old, and
 * each needs that long to be heard again.
 */
describe('SweepGate', () => {
  const at = (ms: number) => new Date(TEST_EPOCH.getTime() + ms);

  it('lets a process sweep only after beating for a whole dead-after period', () => {
    const gate = new SweepGate(60_000);
    expect(gate.beat(true, at(0))).to.equal(false);
    expect(gate.beat(true, at(20_000))).to.equal(false);
    expect(gate.beat(true, at(59_999))).to.equal(false);
    expect(gate.beat(true, at(60_000))).to.equal(true);
    expect(gate.beat(true, at(80_000))).to.equal(true);
  });

  it('starts counting again after a beat that failed (the database was away)', () => {
    const gate = new SweepGate(60_000);
    gate.beat(true, at(0));
    expect(gate.beat(true, at(70_000))).to.equal(true);
    expect(gate.beat(false, at(90_000))).to.equal(false);
    // Back after the outage: the others' beats are as old as the outage; wait for them.
    expect(gate.beat(true, at(130_000))).to.equal(false);
    expect(gate.beat(true, at(150_000))).to.equal(false);
    expect(gate.beat(true, at(190_000))).to.equal(true);
  });
});
