import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { FAST_DAD, RFC5227, announcePlan, dadPlan } from '../../src/probe/timing.js';

/** A deterministic [0,1) source cycling through the given values. */
const seq = (...v: number[]) => {
  let i = 0;
  return () => v[i++ % v.length]!;
};

describe('timing plans', () => {
  test('dad, RFC 5227: PROBE_WAIT random 0-1 s, 3 probes 1-2 s apart, ANNOUNCE_WAIT 2 s after the last', () => {
    assert.deepEqual(dadPlan(RFC5227, seq(0, 0, 0)), { sendAtMs: [0, 1000, 2000], endAtMs: 4000 });
    assert.deepEqual(dadPlan(RFC5227, seq(0.5, 1, 0.25)), { sendAtMs: [500, 2500, 3750], endAtMs: 5750 });
    // Bounds over many random draws: 6 s at least, 9 s at most, gaps within [1, 2] s.
    for (let i = 0; i < 200; i++) {
      const p = dadPlan(RFC5227);
      assert.equal(p.sendAtMs.length, 3);
      assert.ok(p.sendAtMs[0]! >= 0 && p.sendAtMs[0]! <= 1000);
      for (let k = 1; k < 3; k++) {
        const gap = p.sendAtMs[k]! - p.sendAtMs[k - 1]!;
        assert.ok(gap >= 1000 && gap <= 2000, `gap ${gap}`);
      }
      assert.equal(p.endAtMs, p.sendAtMs[2]! + 2000);
      assert.ok(p.endAtMs >= 4000 && p.endAtMs <= 7000);
    }
  });
  test('dad --fast and explicit timings; bad ones are UsageErrors', () => {
    assert.deepEqual(dadPlan(FAST_DAD, seq(1, 1, 1)), { sendAtMs: [100, 300, 500], endAtMs: 700 });
    assert.deepEqual(dadPlan({ ...RFC5227, probeNum: 1, probeWaitMs: 0, announceWaitMs: 50 }, seq(0.7)), { sendAtMs: [0], endAtMs: 50 });
    for (const bad of [{ probeNum: 0 }, { probeNum: 1.5 }, { probeMinMs: 3000 }, { announceWaitMs: -1 }, { probeWaitMs: Number.NaN }])
      assert.throws(() => dadPlan({ ...RFC5227, ...bad }), UsageError, JSON.stringify(bad));
  });
  test('announce: count frames interval apart, then the listen window', () => {
    assert.deepEqual(announcePlan({ count: 1, intervalMs: 1000, listenMs: 1000 }), { sendAtMs: [0], endAtMs: 1000 });
    assert.deepEqual(announcePlan({ count: 3, intervalMs: 200, listenMs: 0 }), { sendAtMs: [0, 200, 400], endAtMs: 400 });
  });
});
