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

  constructor(expected = 16) {
    let bits = 4;
    while (1 << bits < expected * 2) bits++;
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
  get(key: number): number {
    return this.vals[this.slot(key)]! - 1;
  }

  has(key: number): boolean {
    return this.vals[this.slot(key)] !== 0;
  }

  /** Values must be 0 .. 2^31-2. */
  set(key: number, value: number): void {
    let s = this.slot(key);
    if (this.vals[s] === 0) {
      if ((this.size + 1) * 2 > this.keys.length) {
        this.grow();
        s = this.slot(key);
      }
      this.size++;
      this.keys[s] = key;
    }
    this.vals[s] = value + 1;
  }

  /** set() unless the key is there already (its value is kept): one lookup. Returns the value it had, or -1 when it was absent. */
  setIfAbsent(key: number, value: number): number {
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

  forEach(fn: (key: number, value: number) => void): void {
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
