/**
 * Whole frames: Ethernet [+ VLAN tags] + ARP. decodeArpFrame is what every capture path calls on
 * untrusted bytes; encodeArpFrame is what the prober sends. Pure.
 */
import { BROADCAST_MAC, ZERO_MAC, type Ipv4, type Mac } from './address.js';
import { ARP, type ArpFields, type ArpHeader, type ArpPacket, emitArp, parseArp, parseArpHeader } from './arp.js';
import { ArpHwType, ArpOp, EtherType } from './codes.js';
import { ETH, type EthernetHeader, MAX_VLAN_TAGS, type VlanTag, emitEthernet, parseEthernet } from './ethernet.js';
import type { WireIssue, WireResult } from './result.js';

export interface ArpFrame {
  eth: EthernetHeader;
  arp: ArpPacket;
  /** Bytes after the ARP packet (Ethernet padding or trailer). */
  trailerLen: number;
}

/** A frame that could not be decoded as Ethernet/IPv4 ARP, with as much as we could read. */
export interface UndecodedFrame {
  issue: WireIssue;
  eth?: EthernetHeader;
  arpHeader?: ArpHeader;
}

export type FrameResult = { ok: true; value: ArpFrame } | ({ ok: false } & UndecodedFrame);

export function decodeArpFrame(bytes: Uint8Array): FrameResult {
  const e = parseEthernet(bytes);
  if (!e.ok) return { ok: false, issue: e.issue };
  const eth = e.value;
  if (eth.etherType !== EtherType.ARP) {
    return {
      ok: false,
      eth,
      issue: { code: 'NOT_ARP', layer: 'ethernet', offset: eth.payloadOffset - 2, message: `ethertype 0x${eth.etherType.toString(16)} is not ARP` },
    };
  }
  const a = parseArp(bytes, eth.payloadOffset);
  if (!a.ok) {
    const h = parseArpHeader(bytes, eth.payloadOffset);
    return h.ok ? { ok: false, eth, arpHeader: h.value, issue: a.issue } : { ok: false, eth, issue: a.issue };
  }
  return { ok: true, value: { eth, arp: a.value, trailerLen: bytes.length - eth.payloadOffset - ARP.ethIpv4Len } };
}

export interface ArpFrameSpec {
  op?: number;
  senderMac: Mac;
  senderIp: Ipv4;
  targetIp: Ipv4;
  /** Default 00:00:00:00:00:00. */
  targetMac?: Mac;
  /** Default: senderMac. */
  ethSrc?: Mac;
  /** Default: broadcast. */
  ethDst?: Mac;
  /** One tag per entry, outermost first. */
  vlans?: Array<Partial<VlanTag> & { vid: number }>;
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
  /** Pad to 60 bytes (default true). */
  pad?: boolean;
}

export function encodeArpFrame(spec: ArpFrameSpec): Uint8Array {
  const vlans = spec.vlans ?? [];
  const headerLen = ETH.headerLen + ETH.tagLen * vlans.length;
  const len = headerLen + ARP.ethIpv4Len;
  const out = new Uint8Array(spec.pad === false ? len : Math.max(len, ETH.minFrameLen));
  const off = emitEthernet({ dst: spec.ethDst ?? BROADCAST_MAC, src: spec.ethSrc ?? spec.senderMac, etherType: EtherType.ARP, vlans }, out);
  const fields: ArpFields = {
    op: spec.op ?? ArpOp.Request,
    senderMac: spec.senderMac,
    senderIp: spec.senderIp,
    targetMac: spec.targetMac ?? ZERO_MAC,
    targetIp: spec.targetIp,
  };
  if (spec.htype !== undefined) fields.htype = spec.htype;
  if (spec.ptype !== undefined) fields.ptype = spec.ptype;
  if (spec.hlen !== undefined) fields.hlen = spec.hlen;
  if (spec.plen !== undefined) fields.plen = spec.plen;
  emitArp(fields, out, off);
  return out;
}

/** The VLAN id of the innermost tag, or undefined when untagged. */
export const frameVlan = (eth: EthernetHeader): number | undefined => eth.vlans[eth.vlans.length - 1]?.vid;

export type { WireResult };

/**
 * decodeArpFrame's verdict without decoding: for a hot path that reads a few fields at fixed
 * offsets. Returns -1 exactly when decodeArpFrame would not be ok (too short, more than
 * MAX_VLAN_TAGS tags, not ARP, not Ethernet/IPv4 ARP, ARP cut short); else the ARP packet's offset
 * in the low 8 bits and the innermost VLAN id + 1 (0 = untagged) above them: use arpOffsetOf and
 * vlanOf. Allocates nothing.
 */
export function scanArpFrame(b: Uint8Array): number {
  const len = b.length;
  if (len < ETH.headerLen) return -1;
  let off = ETH.type;
  let type = (b[off]! << 8) | b[off + 1]!;
  let tags = 0;
  let vid = -1;
  while (type === EtherType.VLAN || type === EtherType.QinQ) {
    if (tags === MAX_VLAN_TAGS || len < off + 2 + ETH.tagLen) return -1;
    vid = ((b[off + 2]! << 8) | b[off + 3]!) & 0x0fff;
    tags++;
    off += ETH.tagLen;
    type = (b[off]! << 8) | b[off + 1]!;
  }
  const p = off + 2;
  if (type !== EtherType.ARP || len < p + ARP.ethIpv4Len) return -1;
  const htype = (b[p]! << 8) | b[p + 1]!;
  if ((htype !== ArpHwType.Ethernet && htype !== ArpHwType.IEEE802) || ((b[p + 2]! << 8) | b[p + 3]!) !== EtherType.IPv4 || b[p + 4] !== 6 || b[p + 5] !== 4) return -1;
  return ((vid + 1) << 8) | p;
}

/** The ARP packet's offset from a scanArpFrame result (>= 0). */
export const arpOffsetOf = (scan: number): number => scan & 0xff;
/** The innermost VLAN id from a scanArpFrame result (>= 0), undefined when untagged: frameVlan's value. */
export const vlanOf = (scan: number): number | undefined => (scan >>> 8 === 0 ? undefined : (scan >>> 8) - 1);
