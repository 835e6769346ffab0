/** isoTime (src/time/iso.ts) writes what Date's toISOString writes, for every kind of time value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../src/time/iso.js';

const same = (ms: number) => {
  let want: string;
  try {
    want = new Date(ms).toISOString();
  } catch (e) {
    assert.throws(() => isoTime(ms), (e as Error).constructor as new () => Error, String(ms));
    return;
  }
  assert.equal(isoTime(ms), want, String(ms));
};

test('edges: the epoch, leap days, century rules, the end of 9999, fractions, before 1970 and invalid', () => {
  const edges = [
    0, 0.4, 0.999, 1, 999, 1000, 59_999, 60_000, 3_599_999, 86_399_999, 86_400_000,
    Date.UTC(1972, 1, 29), Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 2, 1), Date.UTC(2100, 1, 28, 12), Date.UTC(2100, 2, 1),
    Date.UTC(2400, 1, 29), Date.UTC(2038, 0, 19, 3, 14, 7), Date.UTC(2026, 11, 2, 5, 14, 57, 359) + 0.043,
    Date.UTC(9999, 11, 31, 23, 59, 59, 999), 253402300799999.9, 253402300800000, 8.64e15, -1, -0.5, -86_400_001, -8.64e15,
    NaN, Infinity, -Infinity, 8.64e15 + 1,
  ];
  for (const ms of edges) same(ms);
});

test('200,000 random times from 1970 to 9999, and every day boundary of 1999-2101', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < 200_000; i++) same(Math.floor(rnd() * 253402300800000) + (i % 3 === 0 ? rnd() : 0));
  for (let d = Date.UTC(1999, 0, 1); d < Date.UTC(2101, 0, 1); d += 86_400_000) {
    same(d);
    same(d - 1);
  }
});
