/**
 * Ethernet II with any number of 802.1Q / 802.1ad tags (IEEE 802.3, 802.1Q). Pure.
 * Offsets live in ETH (one table). parseEthernet never throws on untrusted bytes.
 */
import { formatMacCached, parseMac, type Mac } from './address.js';
import { EtherType } from './codes.js';
import { type WireResult, truncated, fail } from './result.js';

/** Field offsets of the Ethernet II header and of one VLAN tag, relative to their start. */
export const ETH = {
  dst: 0,
  src: 6,
  type: 12,
  headerLen: 14,
  tagLen: 4,
  /** Minimum frame length without FCS; shorter frames are padded on emit. */
  minFrameLen: 60,
} as const;

/** How many stacked tags we decode before calling a frame hostile. */
export const MAX_VLAN_TAGS = 2;

export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
  tpid: number;
  /** Priority code point (802.1p), 0-7. */
  pcp: number;
  /** Drop eligible indicator, 0-1. */
  dei: number;
  /** VLAN id, 0-4095. */
  vid: number;
}

export interface EthernetHeader {
  dst: Mac;
  src: Mac;
  /** Outermost tag first. Empty when untagged. */
  vlans: VlanTag[];
  /** EtherType after the tags. */
  etherType: number;
  /** Where the payload starts in the frame. */
  payloadOffset: number;
}

const isTpid = (t: number): boolean => t === EtherType.VLAN || t === EtherType.QinQ;

export function parseEthernet(bytes: Uint8Array): WireResult<EthernetHeader> {
  if (bytes.length < ETH.headerLen) return truncated('ethernet', ETH.headerLen, bytes.length);
  const vlans: VlanTag[] = [];
  let off = ETH.type;
  let type = (bytes[off]! << 8) | bytes[off + 1]!;
  while (isTpid(type)) {
    if (vlans.length === MAX_VLAN_TAGS) {
      return fail('TOO_MANY_TAGS', 'vlan', off, `more than ${MAX_VLAN_TAGS} stacked VLAN tags`);
    }
    if (bytes.length < off + 2 + ETH.tagLen) return truncated('vlan', off + 2 + ETH.tagLen, bytes.length);
    const tci = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    vlans.push({ tpid: type, pcp: tci >>> 13, dei: (tci >>> 12) & 1, vid: tci & 0x0fff });
    off += ETH.tagLen;
    type = (bytes[off]! << 8) | bytes[off + 1]!;
  }
  return {
    ok: true,
    value: { dst: formatMacCached(bytes, ETH.dst), src: formatMacCached(bytes, ETH.src), vlans, etherType: type, payloadOffset: off + 2 },
  };
}

export interface EthernetFields {
  dst: Mac;
  src: Mac;
  etherType: number;
  vlans?: Array<Partial<VlanTag> & { vid: number }>;
}

export const ethernetHeaderLen = (f: EthernetFields): number => ETH.headerLen + ETH.tagLen * (f.vlans?.length ?? 0);

/** Write the header at offset 0 of `into`; returns the payload offset. Throws only on programmer error. */
export function emitEthernet(f: EthernetFields, into: Uint8Array): number {
  writeMac(f.dst, into, ETH.dst);
  writeMac(f.src, into, ETH.src);
  let off = ETH.type;
  for (const tag of f.vlans ?? []) {
    const tpid = tag.tpid ?? EtherType.VLAN;
    const tci = (((tag.pcp ?? 0) & 7) << 13) | (((tag.dei ?? 0) & 1) << 12) | (tag.vid & 0x0fff);
    into[off] = tpid >>> 8;
    into[off + 1] = tpid & 0xff;
    into[off + 2] = tci >>> 8;
    into[off + 3] = tci & 0xff;
    off += ETH.tagLen;
  }
  into[off] = (f.etherType >>> 8) & 0xff;
  into[off + 1] = f.etherType & 0xff;
  return off + 2;
}

export function writeMac(mac: Mac, into: Uint8Array, offset: number): void {
  const b = parseMac(mac);
  if (!b) throw new TypeError(`not a MAC address: ${mac}`);
  into.set(b, offset);
}
