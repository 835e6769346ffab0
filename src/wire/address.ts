/**
 * MAC and IPv4 value types. Canonical text forms are the values callers see:
 * MAC "aa:bb:cc:dd:ee:ff" (lower case), IPv4 dotted quad. Pure: no node:* imports.
 */

export type Mac = string;
export type Ipv4 = string;

export const BROADCAST_MAC: Mac = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC: Mac = '00:00:00:00:00:00';

const MAC_RE = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;
const MAC_PLAIN_RE = /^[0-9a-f]{12}$/i;

/** Parse "aa:bb:cc:dd:ee:ff", "aa-bb-...", "a:b:c:d:e:f" or "aabbccddeeff". undefined if invalid. */
export function parseMac(text: string): Uint8Array | undefined {
  const t = text.trim();
  const m = MAC_RE.exec(t);
  if (m) return Uint8Array.from(m.slice(1, 7), (h) => parseInt(h, 16));
  if (MAC_PLAIN_RE.test(t)) {
    const out = new Uint8Array(6);
    for (let i = 0; i < 6; i++) out[i] = parseInt(t.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  return undefined;
}

/** Canonical form of a MAC text, or undefined if it is not a MAC. */
export function normalizeMac(text: string): Mac | undefined {
  const b = parseMac(text);
  return b ? formatMac(b) : undefined;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(bytes: Uint8Array, offset = 0): Mac {
  return (
    HEX[bytes[offset]!]! + ':' + HEX[bytes[offset + 1]!]! + ':' + HEX[bytes[offset + 2]!]! + ':' +
    HEX[bytes[offset + 3]!]! + ':' + HEX[bytes[offset + 4]!]! + ':' + HEX[bytes[offset + 5]!]!
  );
}

/**
 * formatMac through a small direct-mapped cache: on a capture path the same few MACs (ours, the
 * responders') come back in every frame, and formatting allocates. 4096 slots indexed by a hash of the
 * address, compared in two typed arrays: a hit is a few array reads, a miss (a flood of random MACs)
 * costs one formatMac and three writes; no Map, nothing to clear, nothing that grows.
 */
const CACHE_BITS = 12;
const cacheHi = new Int32Array(1 << CACHE_BITS).fill(-1);
const cacheLo = new Uint32Array(1 << CACHE_BITS);
const cacheText: Mac[] = new Array<Mac>(1 << CACHE_BITS).fill('');
export function formatMacCached(bytes: Uint8Array, offset = 0): Mac {
  const hi = (bytes[offset]! << 8) | bytes[offset + 1]!;
  const lo = ((bytes[offset + 2]! << 24) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 8) | bytes[offset + 5]!) >>> 0;
  const slot = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - CACHE_BITS);
  if (cacheHi[slot] === hi && cacheLo[slot] === lo) return cacheText[slot]!;
  const s = formatMac(bytes, offset);
  cacheHi[slot] = hi;
  cacheLo[slot] = lo;
  cacheText[slot] = s;
  return s;
}

/** Big-endian uint32 at offset (an IPv4 address as a number). */
export const readU32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

export const isBroadcastMac = (mac: Mac): boolean => mac === BROADCAST_MAC;
/** Group bit set (includes broadcast). */
export const isMulticastMac = (mac: Mac): boolean => (parseInt(mac.slice(0, 2), 16) & 0x01) !== 0;
/** Locally administered bit set. */
export const isLocalMac = (mac: Mac): boolean => (parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Strict dotted-quad parse (no inet_aton short forms, no leading zeros). undefined if invalid. */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4_RE.exec(text.trim());
  if (!m) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

export const isIpv4 = (text: string): boolean => parseIpv4(text) !== undefined;

export function formatIpv4(value: number): Ipv4 {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

export function readIpv4(bytes: Uint8Array, offset: number): Ipv4 {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

export function writeIpv4(value: number, into: Uint8Array, offset: number): void {
  into[offset] = value >>> 24;
  into[offset + 1] = (value >>> 16) & 0xff;
  into[offset + 2] = (value >>> 8) & 0xff;
  into[offset + 3] = value & 0xff;
}

/** True if `ip` lies in `base/prefix` (all uint32). */
export function inPrefix(ip: number, base: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0);
}
