/**
 * MAC vendor names, shared by probe, sweep and watch (every record that carries a MAC has `vendor`).
 *
 * Three sources, arp-scan's rules: the IEEE registry (npm oui-data: MA-L, MA-M, MA-S), the few
 * non-IEEE prefixes of arp-scan's mac-vendor.txt (52:54:00 QEMU, ...), and a user file in the same
 * format (--vendor-file). The longest matching prefix wins, as in arp-scan; at equal length the
 * user's file beats the built-in names, which beat the IEEE registry.
 *
 * Cheap at start-up: nothing is read until the first lookup. Then oui-data's 5.6 MB JSON is read as
 * bytes (a few ms) and each new OUI is found by a byte search; only after many distinct OUIs (a big
 * sweep) is the whole table parsed (~70 ms, ~27 MB).
 */
import { readFileSync } from 'node:fs';
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
const cache = new Map<string, string | null>();
const CACHE_MAX = 65_536;

/** Entries that beat the built-in ones (a --vendor-file); an empty map removes them. */
export function setVendorOverrides(entries: VendorEntries): void {
  overrides = new Map(entries);
  cache.clear();
}

/**
 * The vendor's name for a MAC ("aa:bb:cc:dd:ee:ff", any case), or null when no source names it.
 * First line of the IEEE entry only (the registry also holds the address).
 */
export function vendorOf(mac: string): string | null {
  const hex = mac.replace(/[:.-]/g, '').toUpperCase();
  const hit = cache.get(hex);
  if (hit !== undefined) return hit;
  let best: string | null = null;
  let bestLen = 0;
  for (let len = Math.min(12, hex.length); len >= 2 && best === null; len--) {
    const p = hex.slice(0, len);
    const v = overrides.get(p) ?? builtin.get(p);
    if (v !== undefined) {
      best = v;
      bestLen = len;
    }
  }
  // The registry holds 6, 7 and 9 digit prefixes: it can only win with a longer one.
  if (bestLen < 9) {
    const ieee = registry.lookup(hex);
    if (ieee && ieee.len > bestLen) best = ieee.name;
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(hex, best);
  return best;
}

/** arp-scan's vendor column: the name, else "(Unknown: locally administered)" or "(Unknown)". */
export function vendorLabel(mac: string): string {
  return vendorOf(mac) ?? (isLocalMac(mac) ? '(Unknown: locally administered)' : '(Unknown)');
}

/** Whether the IEEE table has been parsed whole (tests and start-up checks). */
export function vendorTableParsed(): boolean {
  return registry.parsed;
}

/** oui-data, read on the first lookup. */
class Registry {
  private bytes: Buffer | null | undefined;
  private table: Record<string, string> | undefined;
  private searches = 0;
  /** Distinct byte searches before the whole table is parsed (a sweep of many vendors). */
  static readonly PARSE_AFTER = 48;

  get parsed(): boolean {
    return this.table !== undefined;
  }

  lookup(hex: string): { name: string; len: number } | undefined {
    if (this.table === undefined && this.searches >= Registry.PARSE_AFTER) this.parse();
    const get = (k: string): string | undefined => (this.table ? this.table[k] : this.search(k));
    if (this.table === undefined && !this.load()) return undefined;
    // MA-M (7 digits) and MA-S (9) blocks sit under OUIs registered to the IEEE itself, or none.
    const oui = get(hex.slice(0, 6));
    if (oui !== undefined && !oui.startsWith('IEEE Registration Authority')) return { name: first(oui), len: 6 };
    const s = get(hex.slice(0, 9)) ?? undefined;
    if (s !== undefined) return { name: first(s), len: 9 };
    const m = get(hex.slice(0, 7));
    if (m !== undefined) return { name: first(m), len: 7 };
    return oui !== undefined ? { name: first(oui), len: 6 } : undefined;
  }

  private path(): string {
    return createRequire(import.meta.url).resolve('oui-data');
  }

  private load(): boolean {
    if (this.bytes === undefined) {
      try {
        this.bytes = readFileSync(this.path());
      } catch {
        this.bytes = null;
      }
    }
    return this.bytes !== null;
  }

  private parse(): void {
    try {
      this.table = this.bytes ? (JSON.parse(this.bytes.toString('utf8')) as Record<string, string>) : (createRequire(import.meta.url)('oui-data') as Record<string, string>);
      this.bytes = null;
    } catch {
      this.table = {};
    }
  }

  /** `"KEY": "value"` in the JSON text, decoded; undefined when absent. */
  private search(key: string): string | undefined {
    if (key.length < 6 || !/^[0-9A-F]+$/.test(key)) return undefined;
    const b = this.bytes;
    if (!b) return undefined;
    this.searches++;
    const at = b.indexOf(`"${key}":`);
    if (at < 0) return undefined;
    const open = b.indexOf(0x22, at + key.length + 3);
    if (open < 0) return undefined;
    let end = open + 1;
    while (end < b.length && b[end] !== 0x22) end += b[end] === 0x5c ? 2 : 1;
    try {
      return JSON.parse(b.toString('utf8', open, end + 1)) as string;
    } catch {
      return undefined;
    }
  }
}

const first = (v: string): string => v.split('\n')[0]!;
const registry = new Registry();
