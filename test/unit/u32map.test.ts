/** U32Map, hashed and with a dense block (a sweep's CIDR): the same answers as a Map over random operations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { U32Map } from '../../src/detect/u32map.js';

for (const range of [undefined, { base: 0x0a630000, len: 65536 }, { base: 0xffffff00, len: 256 }, { base: 0, len: 16 }])
  test(`U32Map ${range ? `with a dense block of ${range.len} at ${range.base.toString(16)}` : 'hashed'} agrees with a Map`, () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const m = new U32Map(64, range);
    const ref = new Map<number, number>();
    const key = () => (range && rnd(4) > 0 ? (range.base + rnd(range.len + 2) - 1) >>> 0 : rnd(2) === 0 ? rnd(1 << 20) : (rnd(65536) * 65536 + rnd(65536)) >>> 0);
    for (let i = 0; i < 20_000; i++) {
      const k = key();
      const v = rnd(1000);
      switch (rnd(3)) {
        case 0:
          m.set(k, v);
          ref.set(k, v);
          break;
        case 1: {
          const had = ref.has(k) ? ref.get(k)! : -1;
          assert.equal(m.setIfAbsent(k, v), had);
          if (had < 0) ref.set(k, v);
          break;
        }
        default:
          assert.equal(m.get(k), ref.has(k) ? ref.get(k)! : -1);
          assert.equal(m.has(k), ref.has(k));
      }
    }
    assert.equal(m.size, ref.size);
    const seen = new Map<number, number>();
    m.forEach((k, v) => seen.set(k, v));
    assert.deepEqual([...seen].sort((a, b) => a[0] - b[0]), [...ref].sort((a, b) => a[0] - b[0]));
    // countValues and groupKeys: what the Map says.
    const count = new Int32Array(1000);
    m.countValues(count);
    const want = new Int32Array(1000);
    for (const v of ref.values()) want[v]!++;
    assert.deepEqual(count, want);
    // groupKeys: every key once, in its value's group.
    const at = new Int32Array(1000);
    for (let v = 1; v < 1000; v++) at[v] = at[v - 1]! + want[v - 1]!;
    const starts = at.slice();
    const grouped = new Uint32Array(ref.size);
    m.groupKeys(at, grouped);
    for (const v of [0, 1, 500, 999])
      assert.deepEqual([...grouped.subarray(starts[v]!, starts[v]! + want[v]!)].sort((a, b) => a - b), [...ref].filter(([, x]) => x === v).map(([k]) => k).sort((a, b) => a - b));
  });
