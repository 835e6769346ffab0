import { type ArpFrame, frameVlan } from '../wire/frame.js';
import { vendorOf } from './vendor.js';
import { isoTime } from '../time/iso.js';

/**
 * The records a probe produces. Field names are a public contract: they are what `--json` prints
 * (one object per line) and what the library returns. Documented in README.md ("JSON records").
 */

export interface ReplyRecord {
  type: 'reply';
  iface: string;
  /** The IP claimed: the reply's ARP sender IP, which is the IP we asked about. */
  ip: string;
  /** The MAC that claims `tip`: the reply's ARP sender hardware address. */
  mac: string;
  /** Vendor of `mac` (IEEE registry, arp-scan's extra names, --vendor-file), null when unknown. */
  vendor: string | null;
  /** Ethernet source of the reply frame. */
  ethSrc: string;
  ethDst: string;
  /** VLAN id of the reply (innermost tag), null when untagged. */
  vlan: number | null;
  /**
   * From the request this reply answers to the reply, both as the kernel stamped them on the wire
   * (what tcpdump -ttt shows); from the software send time when the link did not capture the request.
   */
  rttMs: number;
  /** Which request for this tip it answers, 1-based. */
  seq: number;
  /** Global request number (order of sending), 1-based. */
  requestId: number;
  /** Reply's ARP target fields. */
  tha: string;
  tpa: string;
  /** Capture time, ISO 8601. */
  time: string;
  /** Arrived after the request's timeout had expired (kept, not dropped). */
  late: boolean;
  /** This MAC had already answered this request. */
  duplicate: boolean;
  /** Ethernet source differs from the ARP sender MAC. */
  ethSrcMismatch: boolean;
  /** Short names of everything notable: eth-src-mismatch, late, duplicate, multiple-macs. */
  flags: string[];
}

export interface TimeoutRecord {
  type: 'timeout';
  iface: string;
  /** The IP asked about. */
  ip: string;
  seq: number;
  requestId: number;
  vlan: number | null;
  timeoutMs: number;
}

/** An ARP reply that answers no request we sent (another host's traffic, a gratuitous reply, a storm). */
export interface UnsolicitedRecord {
  type: 'unsolicited';
  iface: string;
  /** Reply sender IP and MAC (what it claims). */
  ip: string;
  mac: string;
  /** Vendor of `mac`, null when unknown. */
  vendor: string | null;
  ethSrc: string;
  ethDst: string;
  tha: string;
  tpa: string;
  vlan: number | null;
  time: string;
}

export interface ProbeSummary {
  type: 'summary';
  iface: string;
  /** Distinct target IPs. */
  targets: number;
  /** Requests sent. */
  sent: number;
  /** Replies paired with a request (duplicates and late ones included). */
  replies: number;
  /** Targets with at least one reply. */
  answered: number;
  unanswered: number;
  /** Replies that answered nothing we sent (every one counted; a record is printed once per source). */
  unsolicited: number;
  /** Unsolicited replies by sender MAC, the 16 largest (the rest under "other"). */
  unsolicitedByMac: Record<string, number>;
  /** Captured frames that were not valid Ethernet/IPv4 ARP (counted and dropped). */
  malformed: number;
  /** Frames the kernel dropped while we listened (capture ring full): replies may be missing. */
  dropped: number;
  /** Every MAC that claimed each answered target: { "10.0.0.2": ["aa:..", ...] }. */
  claims: Record<string, string[]>;
  /** Targets claimed by more than one MAC. */
  conflicts: string[];
  /** Over every reply but duplicates; mdev as ping's (the population standard deviation). */
  rttMs: { min: number; avg: number; max: number; mdev?: number } | null;
  /** Requests with at least one reply (ping's "received"). */
  received?: number;
  /** Requests that got no reply, in percent of those sent (ping's packet loss). */
  lossPct?: number;
  durationMs: number;
  interrupted: boolean;
  /** Why the run stopped before its plan ran out: `deadline` (--deadline), `until-replies` (--until-replies); null otherwise. */
  stoppedBy?: 'deadline' | 'until-replies' | null;
  /** Filled by the caller that judges an expectation (CLI --expect). */
  expect?: string;
  ok?: boolean;
}

export type ProbeRecord = ReplyRecord | TimeoutRecord | UnsolicitedRecord;

/** Build a reply record from a decoded reply paired with a request (shared by probe and sweep). */
export function replyRecord(
  iface: string,
  fr: ArpFrame,
  time: number,
  req: { tip: string; sentAt: number; wireAt?: number | undefined; seq: number; id: number },
  state: { late: boolean; duplicate: boolean; multipleMacs: boolean; extraFlags?: string[] },
): ReplyRecord {
  const mac = fr.arp.senderMac;
  const ethSrcMismatch = fr.eth.src !== mac;
  const flags: string[] = [];
  if (ethSrcMismatch) flags.push('eth-src-mismatch');
  if (state.late) flags.push('late');
  if (state.duplicate) flags.push('duplicate');
  if (state.multipleMacs) flags.push('multiple-macs');
  if (state.extraFlags) flags.push(...state.extraFlags);
  return {
    type: 'reply',
    iface,
    ip: req.tip,
    mac,
    vendor: vendorOf(mac),
    ethSrc: fr.eth.src,
    ethDst: fr.eth.dst,
    vlan: frameVlan(fr.eth) ?? null,
    rttMs: Math.round((time - (req.wireAt ?? req.sentAt)) * 1000) / 1000,
    seq: req.seq,
    requestId: req.id,
    tha: fr.arp.targetMac,
    tpa: fr.arp.targetIp,
    time: isoTime(time),
    late: state.late,
    duplicate: state.duplicate,
    ethSrcMismatch,
    flags,
  };
}

/** Build an unsolicited record: a reply that answers nothing we sent. */
export function unsolicitedRecord(iface: string, fr: ArpFrame, time: number): UnsolicitedRecord {
  return {
    type: 'unsolicited',
    iface,
    ip: fr.arp.senderIp,
    mac: fr.arp.senderMac,
    vendor: vendorOf(fr.arp.senderMac),
    ethSrc: fr.eth.src,
    ethDst: fr.eth.dst,
    tha: fr.arp.targetMac,
    tpa: fr.arp.targetIp,
    vlan: frameVlan(fr.eth) ?? null,
    time: isoTime(time),
  };
}
