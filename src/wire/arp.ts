/**
 * ARP (RFC 826) for Ethernet/IPv4. Two shapes (smoltcp):
 * - ArpHeader: the fixed 8-byte header of any ARP packet, for showing malformed or odd frames;
 * - ArpPacket: the full Ethernet/IPv4 packet (htype 1 or 6, ptype 0x0800, hlen 6, plen 4).
 * Offsets in one table (ARP), the address fields computed from hlen/plen. Pure, never throws on input.
 */
import { formatMacCached, parseIpv4, readIpv4, writeIpv4, type Ipv4, type Mac } from './address.js';
import { ArpHwType, EtherType } from './codes.js';
import { writeMac } from './ethernet.js';
import { type WireResult, fail, truncated } from './result.js';

export const ARP = {
  htype: 0,
  ptype: 2,
  hlen: 4,
  plen: 5,
  op: 6,
  fixedLen: 8,
  sha: (_h: number, _p: number) => 8,
  spa: (h: number, _p: number) => 8 + h,
  tha: (h: number, p: number) => 8 + h + p,
  tpa: (h: number, p: number) => 8 + 2 * h + p,
  len: (h: number, p: number) => 8 + 2 * h + 2 * p,
  /** Length of an Ethernet/IPv4 ARP packet. */
  ethIpv4Len: 28,
} as const;

export interface ArpHeader {
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  op: number;
}

export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: Ipv4;
  targetMac: Mac;
  targetIp: Ipv4;
  /** Kept so that odd-but-valid hardware types (6 = IEEE 802) stay visible. */
  htype: number;
}

export function parseArpHeader(bytes: Uint8Array, offset = 0): WireResult<ArpHeader> {
  const avail = bytes.length - offset;
  if (avail < ARP.fixedLen) return truncated('arp', offset + ARP.fixedLen, Math.max(0, bytes.length));
  const u16 = (o: number) => (bytes[offset + o]! << 8) | bytes[offset + o + 1]!;
  return {
    ok: true,
    value: { htype: u16(ARP.htype), ptype: u16(ARP.ptype), hlen: bytes[offset + ARP.hlen]!, plen: bytes[offset + ARP.plen]!, op: u16(ARP.op) },
  };
}

/** Parse an Ethernet/IPv4 ARP packet starting at `offset`. Anything else is an issue, never a guess. */
export function parseArp(bytes: Uint8Array, offset = 0): WireResult<ArpPacket> {
  const h = parseArpHeader(bytes, offset);
  if (!h.ok) return h;
  const { htype, ptype, hlen, plen, op } = h.value;
  if ((htype !== ArpHwType.Ethernet && htype !== ArpHwType.IEEE802) || ptype !== EtherType.IPv4 || hlen !== 6 || plen !== 4) {
    return fail('UNSUPPORTED_FORMAT', 'arp', offset, `arp: unsupported format htype=${htype} ptype=0x${ptype.toString(16)} hlen=${hlen} plen=${plen}`);
  }
  const need = ARP.len(hlen, plen);
  const avail = bytes.length - offset;
  if (avail < need) return truncated('arp', offset + need, bytes.length);
  return {
    ok: true,
    value: {
      op,
      htype,
      senderMac: formatMacCached(bytes, offset + ARP.sha(hlen, plen)),
      senderIp: readIpv4(bytes, offset + ARP.spa(hlen, plen)),
      targetMac: formatMacCached(bytes, offset + ARP.tha(hlen, plen)),
      targetIp: readIpv4(bytes, offset + ARP.tpa(hlen, plen)),
    },
  };
}

export interface ArpFields {
  op: number;
  senderMac: Mac;
  senderIp: Ipv4;
  targetMac: Mac;
  targetIp: Ipv4;
  /** Header values written as given (defaults 1, 0x0800, 6, 4). The layout is always 6/4. */
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
}

/** Write a 28-byte Ethernet/IPv4 ARP packet at `offset`. Throws only on programmer error (bad MAC/IP text). */
export function emitArp(f: ArpFields, into: Uint8Array, offset = 0): number {
  const put16 = (o: number, v: number) => {
    into[offset + o] = (v >>> 8) & 0xff;
    into[offset + o + 1] = v & 0xff;
  };
  put16(ARP.htype, f.htype ?? ArpHwType.Ethernet);
  put16(ARP.ptype, f.ptype ?? EtherType.IPv4);
  into[offset + ARP.hlen] = f.hlen ?? 6;
  into[offset + ARP.plen] = f.plen ?? 4;
  put16(ARP.op, f.op);
  writeMac(f.senderMac, into, offset + ARP.sha(6, 4));
  writeIpv4(ipOrThrow(f.senderIp), into, offset + ARP.spa(6, 4));
  writeMac(f.targetMac, into, offset + ARP.tha(6, 4));
  writeIpv4(ipOrThrow(f.targetIp), into, offset + ARP.tpa(6, 4));
  return offset + ARP.ethIpv4Len;
}

function ipOrThrow(ip: string): number {
  const v = parseIpv4(ip);
  if (v === undefined) throw new TypeError(`not an IPv4 address: ${ip}`);
  return v;
}
