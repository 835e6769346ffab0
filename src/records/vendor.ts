/**
 * MAC vendor names, shared by probe, sweep and watch (every record that carries a MAC has `vendor`).
 *
 * Three sources, arp-scan's rules: the IEEE registry (npm oui-data: MA-L, MA-M, MA-S), the few
 * non-IEEE prefixes of arp-scan's mac-vendor.txt (52:54:00 QEMU, ...), and a user file in the same
 * format (--vendor-file). The longest matching prefix wins, as in arp-scan; at equal length the
 * user's file beats the built-in names, which beat the IEEE registry.
 *
 * Cheap at start-up: nothing is read until the first lookup, and then only the 4 KiB blocks of
 * oui-data's 5.6 MB JSON that a binary search touches: no 27 MB table, no 70 ms JSON.parse.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { isLocalMac } from '../wire/address.js';

/**
 * arp-scan 1.10's /etc/arp-scan/mac-vendor.txt, entry for entry (the names it prints): prefixes the
 * IEEE registry does not name. Xen (00:16:3e), VMware (00:50:56, 00:0c:29), VirtualBox (08:00:27)
 * and Hyper-V (00:15:5d) are IEEE OUIs and come from the registry, as in arp-scan.
 */
export const BUILTIN_VENDORS: ReadonlyArray<readonly [prefix: string, name: string]> = [
  ['525400', 'QEMU'],
  ['B0C420', 'Bochs'],
  ['00005E0001', 'VRRP (last octet is VRID)'],
  ['02BF', 'Microsoft WLBS (last four octets are IP address)'],
  ['00000C07AC', 'HSRP (last octet is group number)'],
  ['FFFFFFFFFFFF', 'Broadcast'],
];

/** Prefix (upper-case hex, 2 to 12 digits) -> name. */
export type VendorEntries = Map<string, string>;

export interface VendorFileResult {
  entries: VendorEntries;
  /** One per line skipped: "FILE:LINE: why". */
  warnings: string[];
}

/**
 * A file in arp-scan's mac-vendor.txt format: `PREFIX<TAB>NAME` per line, the prefix 2 to 12 hex
 * digits with any ':', '-' or '.' separators; blank lines and lines starting with '#' ignored. A bad
 * line is skipped with a warning naming its line number (arp-scan skips it silently).
 */
export function parseVendorFile(text: string, name = 'vendor file'): VendorFileResult {
  const entries: VendorEntries = new Map();
  const warnings: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    const where = `${name}:${i + 1}`;
    if (tab < 0) {
      warnings.push(`${where}: no TAB between the MAC prefix and the vendor name: skipped`);
      continue;
    }
    const raw = line.slice(0, tab).trim();
    const vendor = line.slice(tab + 1).trim();
    const hex = raw.replace(/[:.-]/g, '').toUpperCase();
    if (!/^[0-9A-F]{2,12}$/.test(hex)) {
      warnings.push(`${where}: "${raw}" is not a MAC prefix (2 to 12 hex digits, ':', '-' or '.' between them): skipped`);
      continue;
    }
    if (vendor === '') {
      warnings.push(`${where}: no vendor name after the TAB: skipped`);
      continue;
    }
    entries.set(hex, vendor);
  }
  return { entries, warnings };
}

let overrides: VendorEntries = new Map();
const builtin: VendorEntries = new Map(BUILTIN_VENDORS);
/**
 * The built-in names and the user's, by prefix length in hex digits (2..12), the prefix as a number
 * (48 bits fit a double exactly); at equal length the user's file wins. Longest first.
 */
let byLen: Array<{ len: number; div: number; map: Map<number, string> }> = [];
/** OUIs (24 bits) under which a prefix longer than 6 digits may name a MAC (the slow path). */
let longHeads = new Set<number>();
function rebuildPrefixes(): void {
  const lens = new Map<number, Map<number, string>>();
  for (const src of [builtin, overrides])
    for (const [hex, name] of src) {
      let m = lens.get(hex.length);
      if (!m) lens.set(hex.length, (m = new Map()));
      m.set(parseInt(hex, 16), name);
    }
  byLen = [...lens].sort((x, y) => y[0] - x[0]).map(([len, map]) => ({ len, div: 2 ** (4 * (12 - len)), map }));
  longHeads = new Set();
  for (const src of [builtin, overrides]) for (const hex of src.keys()) if (hex.length > 6) longHeads.add(parseInt(hex.slice(0, 6), 16));
}
rebuildPrefixes();

/** Answers by MAC: a direct-mapped cache of 4096 slots (a hit is three array reads; nothing grows). */
const CACHE_BITS = 12;
const cacheHi = new Int32Array(1 << CACHE_BITS).fill(-1);
const cacheLo = new Uint32Array(1 << CACHE_BITS);
const cacheVal: Array<string | null> = new Array<string | null>(1 << CACHE_BITS).fill(null);
const clearCache = () => cacheHi.fill(-1);

/** Entries that beat the built-in ones (a --vendor-file); an empty map removes them. */
export function setVendorOverrides(entries: VendorEntries): void {
  overrides = new Map(entries);
  rebuildPrefixes();
  clearCache();
}

const HEX12 = /^[0-9a-fA-F]{12}$/;

/**
 * The vendor's name for a MAC ("aa:bb:cc:dd:ee:ff", any case), or null when no source names it.
 * First line of the IEEE entry only (the registry also holds the address).
 */
export function vendorOf(mac: string): string | null {
  const hex = mac.replace(/[:.-]/g, '');
  if (!HEX12.test(hex)) return null;
  return vendorOfMac(parseInt(hex.slice(0, 4), 16), parseInt(hex.slice(4), 16));
}

/**
 * vendorOf for a MAC as numbers (its first 2 bytes, its last 4): the capture paths' form, no text.
 * A flood of random MACs costs a few binary searches in typed arrays per frame, no allocation.
 */
export function vendorOfMac(hi: number, lo: number): string | null {
  const slot = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - CACHE_BITS);
  if (cacheHi[slot] === hi && cacheLo[slot] === lo) return cacheVal[slot]!;
  const key = hi * 4294967296 + lo;
  let best: string | null = null;
  let bestLen = 0;
  for (const { len, div, map } of byLen) {
    const v = map.get(Math.floor(key / div));
    if (v !== undefined) {
      best = v;
      bestLen = len;
      break;
    }
  }
  // The registry holds 6, 7 and 9 digit prefixes: it can only win with a longer one.
  if (bestLen < 9) {
    const ieee = registry.lookupKey(key);
    if (ieee && ieee.len > bestLen) best = ieee.name;
  }
  cacheHi[slot] = hi;
  cacheLo[slot] = lo;
  cacheVal[slot] = best;
  return best;
}

/** For a person (tables, claim lines): the name, "(locally administered)", or null. */
export function vendorDisplay(mac: string): string | null {
  return vendorOf(mac) ?? (isLocalMac(mac) ? '(locally administered)' : null);
}

/** arp-scan's vendor column: the name, else "(Unknown: locally administered)" or "(Unknown)". */
export function vendorLabel(mac: string): string {
  return vendorOf(mac) ?? (isLocalMac(mac) ? '(Unknown: locally administered)' : '(Unknown)');
}

/** Whether the IEEE registry has been read yet (it is read on the first lookup, never at start-up). */
export function vendorRegistryRead(): boolean {
  return registry.read;
}

/**
 * oui-data's index.json, where Node's resolution would find it from here (dist/cli, dist/records and
 * src/records are all two levels below the package): nested in this package's node_modules, or
 * hoisted beside it. A stat each, not a module resolution (~4 ms cold, in every probe and sweep that
 * prints a vendor); anything else goes through require.resolve.
 */
function ouiDataPath(): string {
  for (const rel of ['../../node_modules/oui-data/index.json', '../../../oui-data/index.json']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return createRequire(import.meta.url).resolve('oui-data');
}

/**
 * oui-data's 5.6 MB JSON, searched in place. The file holds one entry a line, sorted by key length
 * (6, 7, 9 digits), then by key: a binary search over its bytes finds a key in ~16 steps. The bytes
 * come in 4 KiB blocks read on demand (the first MAC reads ~40 of them, ~150 KB); after 128 blocks
 * (a sweep or a watch meeting many vendors) the whole file is read once. Nothing is parsed beyond
 * the value found: JSON.parse of the whole table costs ~70 ms and ~27 MB. A file that does not
 * start as expected is parsed whole instead; the unit tests check every key against JSON.parse.
 */
class Registry {
  private file: BlockFile | undefined;
  private first = 0;
  private end = 0;
  private table: Record<string, string> | undefined;
  private loaded = false;
  /** Registry answers by key (6, 7 or 9 digits): a sweep meets the same OUIs again and again. */
  private readonly memo = new Map<string, string | null>();

  /** Whether the IEEE registry was opened (nothing is read before the first lookup). */
  get read(): boolean {
    return this.loaded;
  }

  /** Binary searches done in the file's bytes: after INDEX_AFTER of them, an index of every key is built. */
  private searches = 0;
  private static readonly INDEX_AFTER = 64;
  private index: { buf: Buffer; k6: Uint32Array; v6: Uint32Array; k7: Uint32Array; v7: Uint32Array; k9: Float64Array; v9: Uint32Array; n6: Array<string | undefined>; n7: Array<string | undefined>; n9: Array<string | undefined> } | undefined;

  /** lookup() for a 48-bit MAC as a number: through the index once built (typed-array binary search, names decoded once each). */
  lookupKey(key: number): { name: string; len: number } | undefined {
    if (!this.loaded) this.load();
    if (!this.index && this.file && this.searches >= Registry.INDEX_AFTER) this.buildIndex();
    const ix = this.index;
    if (!ix) return this.lookup(key.toString(16).padStart(12, '0').toUpperCase());
    const name = (k: ArrayLike<number>, v: Uint32Array, n: Array<string | undefined>, want: number): string | undefined => {
      let a = 0;
      let b = k.length - 1;
      while (a <= b) {
        const m = (a + b) >>> 1;
        const x = k[m]!;
        if (x === want) return (n[m] ??= firstLine(this.valueAt(ix.buf, v[m]!) ?? ''));
        if (x < want) a = m + 1;
        else b = m - 1;
      }
      return undefined;
    };
    const oui = name(ix.k6, ix.v6, ix.n6, Math.floor(key / 16777216));
    if (oui !== undefined && !oui.startsWith('IEEE Registration Authority')) return { name: oui, len: 6 };
    const s9 = name(ix.k9, ix.v9, ix.n9, Math.floor(key / 4096));
    if (s9 !== undefined) return { name: s9, len: 9 };
    const m7 = name(ix.k7, ix.v7, ix.n7, Math.floor(key / 1048576));
    if (m7 !== undefined) return { name: m7, len: 7 };
    return oui !== undefined ? { name: oui, len: 6 } : undefined;
  }

  /** Every key of the file as numbers, sorted (the file is), with the offset of its value: ~54k lines, one pass. */
  private buildIndex(): void {
    const f = this.file!;
    let buf: Buffer;
    try {
      buf = f.slice(0, f.size);
    } catch {
      return;
    } finally {
      f.release();
    }
    const keys: [number[], number[], number[]] = [[], [], []];
    const vals: [number[], number[], number[]] = [[], [], []];
    for (let pos = this.first; pos < this.end; ) {
      const k0 = buf.indexOf(0x22, pos) + 1;
      const k1 = buf.indexOf(0x22, k0);
      const v0 = buf.indexOf(0x22, k1 + 1);
      if (k0 <= 0 || k1 < 0 || v0 < 0 || v0 >= this.end) break;
      const len = k1 - k0;
      const which = len === 6 ? 0 : len === 7 ? 1 : len === 9 ? 2 : -1;
      if (which >= 0) {
        keys[which as 0 | 1 | 2].push(parseInt(buf.toString('latin1', k0, k1), 16));
        vals[which as 0 | 1 | 2].push(v0);
      }
      const nl = buf.indexOf(0x0a, v0);
      if (nl < 0) break;
      pos = nl + 1;
    }
    this.index = {
      buf,
      k6: Uint32Array.from(keys[0]),
      v6: Uint32Array.from(vals[0]),
      k7: Uint32Array.from(keys[1]),
      v7: Uint32Array.from(vals[1]),
      k9: Float64Array.from(keys[2]),
      v9: Uint32Array.from(vals[2]),
      n6: new Array(keys[0].length),
      n7: new Array(keys[1].length),
      n9: new Array(keys[2].length),
    };
  }

  private valueAt(buf: Buffer, open: number): string | undefined {
    let end = buf.indexOf(0x22, open + 1);
    for (;;) {
      if (end < 0) return undefined;
      let bs = 0;
      while (buf[end - 1 - bs] === 0x5c) bs++;
      if (bs % 2 === 0) break;
      end = buf.indexOf(0x22, end + 1);
    }
    try {
      return JSON.parse(buf.toString('utf8', open, end + 1)) as string;
    } catch {
      return undefined;
    }
  }

  lookup(hex: string): { name: string; len: number } | undefined {
    if (!this.loaded) this.load();
    // MA-M (7 digits) and MA-S (9) blocks sit under OUIs registered to the IEEE itself, or none.
    const oui = this.get(hex.slice(0, 6));
    if (oui !== undefined && !oui.startsWith('IEEE Registration Authority')) return { name: firstLine(oui), len: 6 };
    const s = this.get(hex.slice(0, 9));
    if (s !== undefined) return { name: firstLine(s), len: 9 };
    const m = this.get(hex.slice(0, 7));
    if (m !== undefined) return { name: firstLine(m), len: 7 };
    return oui !== undefined ? { name: firstLine(oui), len: 6 } : undefined;
  }

  private get(key: string): string | undefined {
    if (this.table) return Object.hasOwn(this.table, key) ? this.table[key] : undefined;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let v: string | undefined;
    this.searches++;
    try {
      v = this.search(key);
    } catch {
      v = undefined; // the file went away: no name
    } finally {
      this.file?.release();
    }
    if (this.memo.size >= 131_072) this.memo.clear();
    this.memo.set(key, v ?? null);
    return v;
  }

  private search(key: string): string | undefined {
    const f = this.file;
    if (!f) return undefined;
    let lo = this.first;
    let hi = this.end;
    while (lo < hi) {
      // The start of the line holding the midpoint (lo is a line start).
      const mid = Math.max(lo, f.lastIndexOf(0x0a, ((lo + hi) >>> 1) - 1) + 1);
      // ` "KEY": "value",`
      const k0 = f.indexOf(0x22, mid) + 1;
      const k1 = f.indexOf(0x22, k0);
      if (k0 <= 0 || k1 < 0) return undefined;
      // Ordered by key length, then by key.
      let c = k1 - k0 - key.length;
      for (let i = 0; c === 0 && i < key.length; i++) c = f.at(k0 + i) - key.charCodeAt(i);
      if (c === 0) return this.value(f, f.indexOf(0x22, k1 + 1));
      if (c < 0) {
        const nl = f.indexOf(0x0a, k1);
        lo = nl < 0 ? hi : nl + 1;
      } else hi = mid;
    }
    return undefined;
  }

  private value(f: BlockFile, open: number): string | undefined {
    if (open < 0) return undefined;
    // The closing quote: the next one not escaped (an odd run of backslashes before it).
    let end = f.indexOf(0x22, open + 1);
    for (;;) {
      if (end < 0) return undefined;
      let bs = 0;
      while (f.at(end - 1 - bs) === 0x5c) bs++;
      if (bs % 2 === 0) break;
      end = f.indexOf(0x22, end + 1);
    }
    try {
      return JSON.parse(f.slice(open, end + 1).toString('utf8')) as string;
    } catch {
      return undefined;
    }
  }

  private load(): void {
    this.loaded = true;
    let f: BlockFile;
    try {
      f = new BlockFile(ouiDataPath());
    } catch {
      return; // not installed: no IEEE names
    }
    try {
      // `{`, then one ` "KEY": "value",` a line, then `}`.
      const first = f.indexOf(0x0a, 0) + 1;
      let close = f.size - 1;
      while (close > 0 && f.at(close) !== 0x7d) close--;
      let end = close;
      while (end > 0 && f.at(end - 1) !== 0x0a) end--;
      if (f.at(0) === 0x7b && first > 0 && end > first && f.slice(first, first + 10).toString('latin1') === ' "000000":') {
        f.release();
        this.file = f;
        this.first = first;
        this.end = end;
        return;
      }
      f.release();
      this.table = JSON.parse(readFileSync(f.path, 'utf8')) as Record<string, string>;
    } catch {
      /* unreadable: no IEEE names */
    }
  }
}

/**
 * A read-only file by byte offset, in 4 KiB blocks read on demand (each once); after WHOLE_AFTER
 * blocks, the whole file in one read. One descriptor serves a lookup's reads and is closed after it
 * (release): a long-lived process (watch, the library in a server) must end with the descriptors it started with.
 */
class BlockFile {
  static readonly BLOCK = 4096;
  static readonly WHOLE_AFTER = 128;
  readonly size: number;
  private readonly blocks = new Map<number, Buffer>();
  private whole: Buffer | undefined;

  constructor(readonly path: string) {
    this.size = statSync(path).size;
  }

  private fd = -1;

  private block(n: number): Buffer {
    const b = this.blocks.get(n);
    if (b) return b;
    if (!this.whole && this.blocks.size >= BlockFile.WHOLE_AFTER) {
      this.whole = readFileSync(this.path);
      this.blocks.clear();
    }
    if (this.whole) return this.whole.subarray(n * BlockFile.BLOCK, (n + 1) * BlockFile.BLOCK);
    const nb = Buffer.allocUnsafe(BlockFile.BLOCK);
    if (this.fd < 0) this.fd = openSync(this.path, 'r');
    const got = nb.subarray(0, readSync(this.fd, nb, 0, BlockFile.BLOCK, n * BlockFile.BLOCK));
    this.blocks.set(n, got);
    return got;
  }

  /** Close the descriptor the last lookup's reads opened (one open per lookup, not one per block). */
  release(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }

  /** The byte at `i`, or -1 outside the file. */
  at(i: number): number {
    if (i < 0 || i >= this.size) return -1;
    const w = this.whole;
    if (w) return w[i]!;
    return this.block(Math.floor(i / BlockFile.BLOCK))[i % BlockFile.BLOCK] ?? -1;
  }

  indexOf(byte: number, from: number): number {
    for (let i = Math.max(0, from); i < this.size; ) {
      const w = this.whole;
      if (w) return w.indexOf(byte, i);
      const n = Math.floor(i / BlockFile.BLOCK);
      const j = this.block(n).indexOf(byte, i - n * BlockFile.BLOCK);
      if (j >= 0) return n * BlockFile.BLOCK + j;
      i = (n + 1) * BlockFile.BLOCK;
    }
    return -1;
  }

  /** The last `byte` at or before `from`, or -1. */
  lastIndexOf(byte: number, from: number): number {
    for (let i = Math.min(from, this.size - 1); i >= 0; ) {
      const w = this.whole;
      if (w) return w.lastIndexOf(byte, i);
      const n = Math.floor(i / BlockFile.BLOCK);
      const j = this.block(n).lastIndexOf(byte, i - n * BlockFile.BLOCK);
      if (j >= 0) return n * BlockFile.BLOCK + j;
      i = n * BlockFile.BLOCK - 1;
    }
    return -1;
  }

  slice(a: number, b: number): Buffer {
    const parts: Buffer[] = [];
    for (let i = a; i < Math.min(b, this.size); ) {
      const n = Math.floor(i / BlockFile.BLOCK);
      const off = i - n * BlockFile.BLOCK;
      const take = Math.min(BlockFile.BLOCK - off, b - i);
      parts.push(this.block(n).subarray(off, off + take));
      i += take;
    }
    return Buffer.concat(parts);
  }
}

const firstLine = (v: string): string => v.split('\n')[0]!;
const registry = new Registry();
