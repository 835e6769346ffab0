/**
 * Bounded, O(1) state for a capture that must survive floods: an index of (hi, lo) uint32-pair keys
 * (an IP with its VLAN, a MAC as 16 + 32 bits) to stable slot numbers, with intrusive
 * least-recently-used lists over the slots. Callers keep their per-slot data in typed arrays of their
 * own, indexed by the slot.
 *
 * Why not a Map with delete + re-insert (the usual LRU idiom): in V8 every delete leaves a hole that
 * `map.keys().next()` walks until the next rehash, so evicting the oldest entry of a full 100k-entry
 * Map cost 14-120 µs per frame (measured, issue 13). Here a lookup is one hash probe sequence in two
 * typed arrays, a touch is four array writes, and an eviction is the list head: no allocation, no
 * garbage, nothing the collector walks.
 *
 * Several lists (segments) share one index: a slot is in exactly one list. The station table uses two
 * (probation and protected, a segmented LRU) so that a flood of new senders only churns probation.
 * The arrays start small and double up to `capacity`, so an idle watch costs a few KiB.
 */
const EMPTY = -1;

export class LruIndex {
  readonly capacity: number;
  size = 0;
  /** Slots handed out so far (a slot freed by remove() is reused before a new one). */
  private used = 0;
  private freeHead = EMPTY;
  keyHi: Uint32Array;
  keyLo: Uint32Array;
  private prev: Int32Array;
  private next: Int32Array;
  /** Which list a slot is on. */
  list: Uint8Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  /** Slots per list. */
  readonly counts: Int32Array;
  /** Open addressing, linear probing: slot + 1, 0 = empty; at most half full. */
  private table: Int32Array;
  private mask = 0;
  private shift = 0;
  /** Called when the arrays grow, so callers can grow theirs (new length given). */
  private readonly onGrow: ((length: number) => void) | undefined;

  constructor(capacity: number, opts: { lists?: number; initial?: number; onGrow?: (length: number) => void } = {}) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
    const lists = opts.lists ?? 1;
    this.heads = new Int32Array(lists).fill(EMPTY);
    this.tails = new Int32Array(lists).fill(EMPTY);
    this.counts = new Int32Array(lists);
    const n = Math.min(capacity, opts.initial ?? 1024);
    this.keyHi = new Uint32Array(n);
    this.keyLo = new Uint32Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.list = new Uint8Array(n);
    this.table = this.newTable(n);
    this.onGrow = opts.onGrow;
  }

  /** Length of the per-slot arrays right now (callers size theirs to it). */
  get length(): number {
    return this.keyHi.length;
  }

  private newTable(slots: number): Int32Array {
    let bits = 4;
    while (1 << bits < slots * 2) bits++;
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    return new Int32Array(1 << bits);
  }

  private home(hi: number, lo: number): number {
    return (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift) & this.mask;
  }

  /** The slot holding (hi, lo), or -1. */
  find(hi: number, lo: number): number {
    const t = this.table;
    for (let h = this.home(hi, lo); ; h = (h + 1) & this.mask) {
      const s = t[h]! - 1;
      if (s < 0) return EMPTY;
      if (this.keyLo[s] === lo && this.keyHi[s] === hi) return s;
    }
  }

  /** Slot at the least recently used end of a list, or -1 when the list is empty. */
  oldest(list = 0): number {
    return this.heads[list]!;
  }

  /** Slot at the most recently used end of a list, or -1. */
  newest(list = 0): number {
    return this.tails[list]!;
  }

  /** The slot after `s` toward the newest end, or -1. */
  newer(s: number): number {
    return this.next[s]!;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /**
   * Add (hi, lo), which must not be present, at the newest end of `list`. When the index is full the
   * caller must first remove() a slot (its choice of victim); insert then throws rather than grow.
   */
  insert(hi: number, lo: number, list = 0): number {
    if (this.size >= this.capacity) throw new RangeError('LruIndex is full: remove a slot first');
    let s: number;
    if (this.freeHead !== EMPTY) {
      s = this.freeHead;
      this.freeHead = this.next[s]!;
    } else {
      if (this.used === this.keyHi.length) this.grow();
      s = this.used++;
    }
    this.keyHi[s] = hi;
    this.keyLo[s] = lo;
    this.size++;
    const t = this.table;
    let h = this.home(hi, lo);
    while (t[h] !== 0) h = (h + 1) & this.mask;
    t[h] = s + 1;
    this.link(s, list);
    return s;
  }

  /** Move `s` to the newest end of `list` (its own list by default). */
  touch(s: number, list = this.list[s]!): void {
    if (this.tails[list] === s && this.list[s] === list) return;
    this.unlink(s);
    this.link(s, list);
  }

  /** Remove slot `s` (its number may be handed out again by a later insert). */
  remove(s: number): void {
    this.unlink(s);
    // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
    const t = this.table;
    const m = this.mask;
    let h = this.home(this.keyHi[s]!, this.keyLo[s]!);
    while (t[h]! - 1 !== s) h = (h + 1) & m;
    let hole = h;
    for (let j = (hole + 1) & m; t[j] !== 0; j = (j + 1) & m) {
      const o = t[j]! - 1;
      const home = this.home(this.keyHi[o]!, this.keyLo[o]!);
      // Move o into the hole when its home is not cyclically within (hole, j].
      if (((j - home) & m) >= ((j - hole) & m)) {
        t[hole] = t[j]!;
        hole = j;
      }
    }
    t[hole] = 0;
    this.size--;
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.list[s] = 255;
  }

  private link(s: number, list: number): void {
    const tail = this.tails[list]!;
    this.prev[s] = tail;
    this.next[s] = EMPTY;
    if (tail === EMPTY) this.heads[list] = s;
    else this.next[tail] = s;
    this.tails[list] = s;
    this.list[s] = list;
    this.counts[list]!++;
  }

  private unlink(s: number): void {
    const list = this.list[s]!;
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p === EMPTY) this.heads[list] = n;
    else this.next[p] = n;
    if (n === EMPTY) this.tails[list] = p;
    else this.prev[n] = p;
    this.counts[list]!--;
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.keyHi.length * 2);
    const widen = <T extends Uint32Array | Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.keyHi = widen(this.keyHi);
    this.keyLo = widen(this.keyLo);
    this.prev = widen(this.prev);
    this.next = widen(this.next);
    this.list = widen(this.list);
    this.table = this.newTable(n);
    const t = this.table;
    for (let s = 0; s < this.used; s++) {
      if (this.list[s] === 255) continue;
      let h = this.home(this.keyHi[s]!, this.keyLo[s]!);
      while (t[h] !== 0) h = (h + 1) & this.mask;
      t[h] = s + 1;
    }
    this.onGrow?.(n);
  }

  /** Bytes held by the index's arrays (for the documented memory ceiling). */
  bytes(): number {
    return this.keyHi.byteLength * 2 + this.prev.byteLength * 2 + this.list.byteLength + this.table.byteLength;
  }
}

/** Grow a typed array to `n` elements, keeping its contents. */
export function widen<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** A MAC as two numbers: the first two bytes and the last four (for LruIndex keys). */
export function macHi(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
export function macLo(b: Uint8Array, o: number): number {
  return ((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0;
}
/** The same from text ("aa:bb:cc:dd:ee:ff", lower case, as the decoder formats it). */
export function macKey(mac: string): [number, number] {
  const hi = parseInt(mac.slice(0, 2), 16) * 256 + parseInt(mac.slice(3, 5), 16);
  const lo = ((parseInt(mac.slice(6, 8), 16) << 24) | (parseInt(mac.slice(9, 11), 16) << 16) | (parseInt(mac.slice(12, 14), 16) << 8) | parseInt(mac.slice(15, 17), 16)) >>> 0;
  return [hi, lo];
}
