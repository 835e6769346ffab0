/**
 * uint32 -> int32 hash map in two typed arrays (open addressing, linear probing). For per-address
 * state on a /16: a JS Map of 65,536 entries is ~3 MB of GC-managed objects (and heap numbers for
 * keys above 2^30); this is 512 KiB outside the heap that the collector never walks. No deletes.
 */
export class U32Map {
  private keys: Uint32Array;
  /** value + 1; 0 = empty slot. */
  private vals: Int32Array;
  private mask: number;
  private shift: number;
  size = 0;

  /** Keys base .. base + dense.length - 1 (a sweep's CIDR block): value + 1 at key - base, no hashing. */
  private readonly dense: Int32Array;
  private readonly base: number;

  /**
   * `expected`: how many keys the hash part should hold without growing. `range`: keys known to lie
   * mostly in one block (a sweep's targets in one ascending run) live in a dense array of its length
   * (4 bytes a key, not 16 at the hash's load factor: 256 KiB for a /16 instead of 1 MiB); keys
   * outside it go to the hash part.
   */
  constructor(expected = 16, range?: { base: number; len: number }) {
    this.base = range?.base ?? 0;
    this.dense = new Int32Array(range?.len ?? 0);
    let bits = 4;
    while (1 << bits < (range ? 16 : expected) * 2) bits++;
    this.keys = new Uint32Array(1 << bits);
    this.vals = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  private slot(key: number): number {
    let s = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (this.vals[s] !== 0 && this.keys[s] !== key) s = (s + 1) & this.mask;
    return s;
  }

  /** The value, or -1 when absent. */
  private denseAt(key: number): number {
    const d = key - this.base;
    return d >= 0 && d < this.dense.length ? d : -1;
  }

  get(key: number): number {
    const d = this.denseAt(key);
    if (d >= 0) return this.dense[d]! - 1;
    return this.vals[this.slot(key)]! - 1;
  }

  has(key: number): boolean {
    const d = this.denseAt(key);
    if (d >= 0) return this.dense[d] !== 0;
    return this.vals[this.slot(key)] !== 0;
  }

  /** Values must be 0 .. 2^31-2. (Off the hot paths: an insert, then an overwrite if it was there.) */
  set(key: number, value: number): void {
    if (this.setIfAbsent(key, value) < 0) return;
    const d = this.denseAt(key);
    if (d >= 0) this.dense[d] = value + 1;
    else this.vals[this.slot(key)] = value + 1;
  }

  /** set() unless the key is there already (its value is kept): one lookup. Returns the value it had, or -1 when it was absent. */
  setIfAbsent(key: number, value: number): number {
    const d = this.denseAt(key);
    if (d >= 0) {
      const had = this.dense[d]!;
      if (had !== 0) return had - 1;
      this.size++;
      this.dense[d] = value + 1;
      return -1;
    }
    let s = this.slot(key);
    if (this.vals[s] !== 0) return this.vals[s]! - 1;
    if ((this.size + 1) * 2 > this.keys.length) {
      this.grow();
      s = this.slot(key);
    }
    this.size++;
    this.keys[s] = key;
    this.vals[s] = value + 1;
    return -1;
  }

  /** How many keys have each value: into[value]++ for every entry (values below into.length). */
  countValues(into: Int32Array): void {
    const { dense, vals } = this;
    for (let d = 0; d < dense.length; d++) if (dense[d] !== 0) into[dense[d]! - 1]!++;
    for (let s = 0; s < vals.length; s++) if (vals[s] !== 0) into[vals[s]! - 1]!++;
  }

  /**
   * Every key into `out`, grouped by value: the keys of value v go to out[at[v]], out[at[v] + 1], ...
   * (`at`: where each value's group starts, advanced as keys are written). One pass, for any number of values.
   */
  groupKeys(at: Int32Array, out: Uint32Array): void {
    const { dense, base, keys, vals } = this;
    for (let d = 0; d < dense.length; d++) if (dense[d] !== 0) out[at[dense[d]! - 1]!++] = (base + d) >>> 0;
    for (let s = 0; s < vals.length; s++) if (vals[s] !== 0) out[at[vals[s]! - 1]!++] = keys[s]!;
  }

  /** Every key and value: the dense block's in key order, then the hash part's. */
  forEach(fn: (key: number, value: number) => void): void {
    const { dense, base } = this;
    for (let d = 0; d < dense.length; d++) if (dense[d] !== 0) fn((base + d) >>> 0, dense[d]! - 1);
    const { keys, vals } = this;
    for (let s = 0; s < vals.length; s++) if (vals[s] !== 0) fn(keys[s]!, vals[s]! - 1);
  }

  private grow(): void {
    const { keys, vals } = this;
    const bits = 32 - this.shift + 1;
    this.keys = new Uint32Array(1 << bits);
    this.vals = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    for (let s = 0; s < vals.length; s++) {
      if (vals[s] === 0) continue;
      const t = this.slot(keys[s]!);
      this.keys[t] = keys[s]!;
      this.vals[t] = vals[s]!;
    }
  }
}
