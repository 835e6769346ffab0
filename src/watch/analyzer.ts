/**
 * Passive ARP analysis, pure: frames in (bytes + capture time), records and findings out. Keeps an
 * IP -> MAC table, pairs third-party requests with their replies, and raises findings as they happen.
 * Time comes from the frames, so a live capture and the same frames read from a pcap give the same
 * output. Hostile frames are decoded as far as they go, reported, counted, never thrown. Every map is
 * pruned by frame time or capped, so a watch left running for weeks (or flooded with random senders)
 * stays within a bounded amount of memory.
 */
import type { Captured } from '../link/link.js';
import { keyOf } from '../correlate/match.js';
import { BROADCAST_MAC, ZERO_MAC, formatMac, inPrefix, isMulticastMac, parseIpv4 } from '../wire/address.js';
import { ArpOp, arpOpName } from '../wire/codes.js';
import { decodeArpFrame, frameVlan } from '../wire/frame.js';
import type { WireIssue } from '../wire/result.js';
import type { Finding, FindingKind, Severity } from '../findings/finding.js';
import { vendorOf } from '../records/vendor.js';

/** The kinds watch raises (all from the one registry, src/findings/finding.ts). */
export type WatchFindingKind = Extract<FindingKind, 'capture-drops' | 'reply-storm' | 'flip-flop' | 'ip-moved' | 'ip-conflict' | 'gratuitous' | 'eth-src-mismatch' | 'unsolicited' | 'host-scoped-sender' | 'loopback-sender' | 'bogus-sender' | 'malformed'>;

/** Why a sender is bogus (evidence.reason of a bogus-sender finding). */
export type BogusReason = 'host-scoped' | 'loopback' | 'link-local' | 'unspecified' | 'multicast-ip' | 'broadcast-ip' | 'broadcast-mac' | 'multicast-mac' | 'zero-mac';

/** A finding raised while watching: the one Finding, with the time of the frame that raised it. */
export type WatchFinding = Finding & { kind: WatchFindingKind; time: string };

export interface ArpRecord {
  type: 'arp';
  time: string;
  op: string;
  opcode: number;
  ethSrc: string;
  ethDst: string;
  /** The innermost 802.1Q VLAN id (the one pairing uses), null when untagged. */
  vlan: number | null;
  /** Every tag, outermost first, only when the frame is double-tagged (QinQ). */
  vlans?: number[];
  sha: string;
  /** Vendor of `sha` (src/records/vendor.ts), null when unknown. */
  vendor: string | null;
  spa: string;
  tha: string;
  tpa: string;
  gratuitous: boolean;
  /** For a reply that answers a request seen on the wire: who asked, and how long the answer took. */
  answers?: { asker: string; askerMac: string; latencyMs: number };
}

export interface MalformedRecord {
  type: 'malformed';
  time: string;
  length: number;
  issue: { code: string; layer: string; message: string };
  /** Whatever could be read: Ethernet header, ARP fixed header. */
  raw: Record<string, unknown>;
}

export interface WatchSummary {
  type: 'summary';
  frames: number;
  arp: number;
  requests: number;
  replies: number;
  otherOps: number;
  gratuitous: number;
  /** Replies paired with a request seen on the wire. */
  paired: number;
  malformed: number;
  /** Malformed frames by wire issue code (TRUNCATED, UNSUPPORTED_FORMAT, TOO_MANY_TAGS...). */
  malformedByCode: Record<string, number>;
  /** Frames that were not ARP (e.g. other tagged traffic the filter let through). */
  ignored: number;
  /** Frames too short to decode because the capture's snaplen cut them (not malformed on the wire). */
  snapped: number;
  /** Frames the kernel dropped while we listened (capture ring full): 0 for --read. */
  dropped: number;
  findings: number;
  findingsByKind: Record<string, number>;
  /** IP -> MAC table size, and every IP claimed by more than one MAC during the run. */
  ips: number;
  macs: number;
  multiMacIps: Record<string, string[]>;
  /** Table entries dropped because the table reached maxTableIps (oldest first). */
  evicted: number;
  durationMs: number;
  interrupted: boolean;
}

export interface WatchOptions {
  /** A MAC replying for at least this many distinct IPs within stormWindowMs is a reply storm (default 16). */
  stormIps?: number;
  stormWindowMs?: number;
  /** An IP changing MAC twice within this window is a flip-flop (default 60 s). */
  flipWindowMs?: number;
  /** Addresses configured host-scope on this machine: they must never be an ARP sender on a link. */
  hostScoped?: string[];
  /** How long a request waits for its reply to be paired (default 5 s). */
  pairWindowMs?: number;
  /** Cap on the IP -> MAC table; the least recently confirmed entries go first (default 262,144). */
  maxTableIps?: number;
}

export type WatchRecord = ArpRecord | MalformedRecord | WatchFinding;

interface Pending {
  time: number;
  spa: string;
  sha: string;
  /** MACs that answered this request so far. */
  answeredBy: string[];
}

interface TableEntry {
  mac: string;
  since: number;
  /** Frame times of the recent MAC changes (within flipWindowMs). */
  changes: number[];
  /** Every MAC seen claiming this IP (capped). */
  macs: string[];
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * What can be read of a frame whose Ethernet header did not parse (cut short, too many tags):
 * addresses, every tag present, the bytes themselves (first 64, hex). Never reads past the end.
 */
export function rawEthernet(b: Uint8Array): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (b.length >= 6) raw.ethDst = formatMac(b, 0);
  if (b.length >= 12) raw.ethSrc = formatMac(b, 6);
  const vlans: number[] = [];
  let off = 12;
  while (off + 2 <= b.length) {
    const type = (b[off]! << 8) | b[off + 1]!;
    if ((type !== 0x8100 && type !== 0x88a8) || off + 4 > b.length || vlans.length >= 16) {
      raw.etherType = type;
      break;
    }
    vlans.push(((b[off + 2]! << 8) | b[off + 3]!) & 0x0fff);
    off += 4;
  }
  if (vlans.length) raw.vlans = vlans;
  let hex = '';
  for (const x of b.subarray(0, 64)) hex += x.toString(16).padStart(2, '0');
  raw.hex = hex;
  return raw;
}
/** Per-IP list of MACs ever seen, capped: a flood of spoofed MACs for one IP must not grow it forever. */
const MAX_MACS_PER_IP = 64;
/** Dedup keys for findings; the oldest go first beyond this. */
const MAX_RAISED = 100_000;
/** Requests waiting for a reply (distinct asked IPs) and MACs tracked for storms; oldest go first. */
const MAX_PENDING = 65_536;
const MAX_REPLY_MACS = 65_536;
/** Housekeeping runs once per second of frame time, or every HOUSEKEEP_FRAMES frames if time stands still. */
const HOUSEKEEP_MS = 1_000;
const HOUSEKEEP_FRAMES = 65_536;

export class ArpWatcher {
  private readonly stormIps: number;
  private readonly stormWindowMs: number;
  private readonly flipWindowMs: number;
  private readonly pairWindowMs: number;
  private readonly maxTableIps: number;
  private readonly hostScoped: Set<string>;
  /** ip -> entry; Map order = least recently confirmed first (entries are re-inserted when seen). */
  private readonly table = new Map<string, TableEntry>();
  private readonly replyIps = new Map<string, Map<string, number>>(); // mac -> ip -> last reply time
  private readonly pending = new Map<string, Pending[]>();
  /** dedup key -> frame time until which the same finding stays quiet. */
  private readonly raised = new Map<string, number>();
  private readonly counts = { frames: 0, arp: 0, requests: 0, replies: 0, otherOps: 0, gratuitous: 0, paired: 0, malformed: 0, ignored: 0, snapped: 0, findings: 0, evicted: 0 };
  private readonly byKind: Record<string, number> = {};
  private readonly malformedByCode: Record<string, number> = {};
  private first = NaN;
  private last = NaN;
  private lastHousekeep = -Infinity;
  private sinceHousekeep = 0;

  constructor(private readonly emit: (r: WatchRecord) => void, opts: WatchOptions = {}) {
    this.stormIps = opts.stormIps ?? 16;
    this.stormWindowMs = opts.stormWindowMs ?? 10_000;
    this.flipWindowMs = opts.flipWindowMs ?? 60_000;
    this.pairWindowMs = opts.pairWindowMs ?? 5_000;
    this.maxTableIps = opts.maxTableIps ?? 262_144;
    this.hostScoped = new Set(opts.hostScoped ?? []);
  }

  private finding(f: Omit<WatchFinding, 'type' | 'time' | 'vendor'>, time: number, dedupKey: string, everyMs = Infinity): void {
    const until = this.raised.get(dedupKey);
    if (until !== undefined && time < until) return;
    this.raised.delete(dedupKey); // re-insert: Map order = oldest first, for the cap below
    this.raised.set(dedupKey, time + everyMs);
    if (this.raised.size > MAX_RAISED) this.raised.delete(this.raised.keys().next().value!);
    this.counts.findings++;
    this.byKind[f.kind] = (this.byKind[f.kind] ?? 0) + 1;
    this.emit({ type: 'finding', time: iso(time), ...f, vendor: f.mac !== null ? vendorOf(f.mac) : null });
  }

  /** Frames the capture lost (kernel drops), reported in the summary; set by noteDropped(). */
  dropped = 0;

  /** The link's kernel drop count at the end of a capture: a capture-drops finding when not 0. */
  noteDropped(n: number, time: number): void {
    this.dropped = n;
    if (n > 0)
      this.finding(
        { kind: 'capture-drops', severity: 'warning', mac: null, ips: [], message: `the kernel dropped ${n} frame(s) while we listened (capture ring full): findings may be missing; raise --ring`, evidence: { dropped: n } },
        time,
        'drops',
      );
  }

  ingest(frame: Captured): void {
    const t = frame.time;
    if (Number.isNaN(this.first)) this.first = t;
    this.last = t;
    this.counts.frames++;
    if (++this.sinceHousekeep >= HOUSEKEEP_FRAMES || t - this.lastHousekeep >= HOUSEKEEP_MS) this.housekeep(t);
    const d = decodeArpFrame(frame.bytes);
    if (!d.ok) {
      if (d.issue.code === 'NOT_ARP') {
        this.counts.ignored++;
        return;
      }
      if (frame.truncated && d.issue.code === 'TRUNCATED') {
        // Cut by the capture's snapshot length (tcpdump -s 40): a capture artefact, not a hostile frame.
        this.counts.snapped++;
        return;
      }
      this.malformed(frame, d.issue, d.eth ? { ethSrc: d.eth.src, ethDst: d.eth.dst, etherType: d.eth.etherType, vlans: d.eth.vlans.map((v) => v.vid), ...(d.arpHeader ?? {}) } : rawEthernet(frame.bytes));
      return;
    }
    const { eth, arp } = d.value;
    this.counts.arp++;
    const vlan = frameVlan(eth);
    const gratuitous = arp.senderIp === arp.targetIp && arp.senderIp !== '0.0.0.0';
    const rec: ArpRecord = {
      type: 'arp',
      time: iso(t),
      op: arpOpName(arp.op),
      opcode: arp.op,
      ethSrc: eth.src,
      ethDst: eth.dst,
      vlan: vlan ?? null,
      ...(eth.vlans.length > 1 ? { vlans: eth.vlans.map((v) => v.vid) } : {}),
      sha: arp.senderMac,
      vendor: vendorOf(arp.senderMac),
      spa: arp.senderIp,
      tha: arp.targetMac,
      tpa: arp.targetIp,
      gratuitous,
    };
    if (arp.op === ArpOp.Request) this.counts.requests++;
    else if (arp.op === ArpOp.Reply) this.counts.replies++;
    else this.counts.otherOps++;

    if (arp.op === ArpOp.Request && !gratuitous && arp.senderIp !== '0.0.0.0') {
      const key = keyOf(arp.targetIp, vlan);
      const list = (this.pending.get(key) ?? []).filter((p) => t - p.time <= this.pairWindowMs);
      list.push({ time: t, spa: arp.senderIp, sha: arp.senderMac, answeredBy: [] });
      this.pending.delete(key); // Map order = least recently asked first, for the cap
      this.pending.set(key, list.slice(-8));
      if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    }
    let duplicateOf: Pending | undefined;
    if (arp.op === ArpOp.Reply && !gratuitous) {
      const list = this.pending.get(keyOf(arp.senderIp, vlan));
      // The newest request within the window, preferring the one this reply is addressed to: a
      // kernel that re-asks after 1 s gets its latency measured from the request actually answered.
      let req: Pending | undefined;
      if (list) {
        for (let k = list.length - 1; k >= 0; k--) {
          const p = list[k]!;
          if (t - p.time > this.pairWindowMs) break;
          if (p.spa === arp.targetIp) {
            req = p;
            break;
          }
          req ??= p;
        }
      }
      if (req) {
        rec.answers = { asker: req.spa, askerMac: req.sha, latencyMs: Math.round((t - req.time) * 1000) / 1000 };
        this.counts.paired++;
        if (!req.answeredBy.includes(arp.senderMac)) {
          if (req.answeredBy.length > 0) duplicateOf = req;
          req.answeredBy.push(arp.senderMac);
        }
      }
    }
    this.emit(rec);

    // Findings, in the order a person would want to read them.
    if (gratuitous) {
      this.counts.gratuitous++;
      this.finding(
        { kind: 'gratuitous', severity: 'info', mac: arp.senderMac, ips: [arp.senderIp], message: `gratuitous ARP ${arpOpName(arp.op)}: ${arp.senderMac} announces ${arp.senderIp}`, evidence: { op: arp.op } },
        t,
        `grat|${arp.senderMac}|${arp.senderIp}`,
        this.flipWindowMs,
      );
    }
    if (eth.src !== arp.senderMac)
      this.finding(
        { kind: 'eth-src-mismatch', severity: 'warning', mac: arp.senderMac, ips: [arp.senderIp], message: `ARP ${arpOpName(arp.op)} claiming ${arp.senderMac} comes from Ethernet source ${eth.src}`, evidence: { ethSrc: eth.src } },
        t,
        `ethsrc|${arp.senderMac}|${eth.src}`,
      );
    this.checkSender(arp.op, arp.senderIp, arp.senderMac, arp.targetMac, t);
    if (duplicateOf)
      this.finding(
        {
          kind: 'ip-conflict',
          severity: 'warning',
          mac: arp.senderMac,
          ips: [arp.senderIp],
          message: `${arp.senderIp} answered by ${duplicateOf.answeredBy.length} MACs for one request from ${duplicateOf.spa}: ${duplicateOf.answeredBy.join(', ')} (an address conflict, or a proxy answering for an address it does not own)`,
          evidence: { macs: [...duplicateOf.answeredBy], asker: duplicateOf.spa },
        },
        t,
        `dup|${arp.senderIp}|${arp.senderMac}`,
        this.flipWindowMs,
      );
    if (arp.op === ArpOp.Reply && !gratuitous && !rec.answers)
      this.finding(
        { kind: 'unsolicited', severity: 'info', mac: arp.senderMac, ips: [arp.senderIp], message: `${arp.senderMac} says ${arp.senderIp} is-at ${arp.senderMac} to ${arp.targetIp} (${arp.targetMac}) without a request seen`, evidence: { tpa: arp.targetIp, tha: arp.targetMac } },
        t,
        `unsol|${arp.senderMac}`,
        this.stormWindowMs,
      );
    // Every ARP packet with a sender IP updates the caches of those who hear it (a request too: that
    // is how the ARP bubble moved 169.254.1.1 in every VM), so the table learns from all of them.
    if ((arp.op === ArpOp.Request || arp.op === ArpOp.Reply) && arp.senderIp !== '0.0.0.0') this.learn(arp.senderIp, arp.senderMac, t);
    if (arp.op === ArpOp.Reply) this.checkStorm(arp.senderMac, arp.senderIp, t);
  }

  private checkSender(op: number, spa: string, sha: string, tha: string, t: number): void {
    const ip = parseIpv4(spa) ?? 0;
    let why: string | undefined;
    let reason: BogusReason | undefined;
    let severity: Severity = 'warning';
    if (this.hostScoped.has(spa)) {
      reason = 'host-scoped';
      why = `${spa} is configured host-scope on this machine: it must never appear on a link (the "ARP bubble": arp_announce=0 lets the kernel use it as the sender of its own requests)`;
      severity = 'critical';
    } else if (inPrefix(ip, 0x7f000000, 8)) {
      reason = 'loopback';
      why = `${spa} is a loopback address`;
      severity = 'critical';
    } else if (inPrefix(ip, 0xa9fe0000, 16)) {
      reason = 'link-local';
      why = `${spa} is link-local (169.254.0.0/16): a host-scoped or link-local address leaking as an ARP sender poisons every neighbour's cache`;
    } else if (ip === 0 && !(op === ArpOp.Request && tha === ZERO_MAC)) {
      reason = 'unspecified';
      why = 'sender 0.0.0.0 outside a DAD probe';
    } else if (inPrefix(ip, 0xe0000000, 4)) {
      reason = 'multicast-ip';
      why = `${spa} is a multicast address: no host owns it`;
    } else if (ip === 0xffffffff) {
      reason = 'broadcast-ip';
      why = 'sender 255.255.255.255';
    }
    // host-scope and loopback senders are the kinds trigger raises for the kernel's own requests
    const kind: WatchFindingKind = reason === 'host-scoped' ? 'host-scoped-sender' : reason === 'loopback' ? 'loopback-sender' : 'bogus-sender';
    if (reason) this.finding({ kind, severity, mac: sha, ips: [spa], message: `${sha}: ${why}`, evidence: { op, reason } }, t, `bogus|${sha}|${spa}`, this.flipWindowMs);
    // A sender MAC nobody can own: whoever learns it sends this IP's traffic to everyone (or no one).
    const macReason: BogusReason | undefined = sha === BROADCAST_MAC ? 'broadcast-mac' : sha === ZERO_MAC ? 'zero-mac' : isMulticastMac(sha) ? 'multicast-mac' : undefined;
    if (macReason)
      this.finding(
        { kind: 'bogus-sender', severity: 'warning', mac: sha, ips: [spa], message: `${spa} claimed at ${macReason.replace('-mac', '')} MAC ${sha}: a cache that learns it floods or drops that address's traffic`, evidence: { op, reason: macReason } },
        t,
        `bogusmac|${sha}|${spa}`,
        this.flipWindowMs,
      );
  }

  private learn(ip: string, mac: string, t: number): void {
    const e = this.table.get(ip);
    if (!e) {
      this.table.set(ip, { mac, since: t, changes: [], macs: [mac] });
      if (this.table.size > this.maxTableIps) {
        this.table.delete(this.table.keys().next().value!);
        this.counts.evicted++;
      }
      return;
    }
    // Re-insert: the Map's order is then "least recently confirmed first", which is what the cap evicts.
    this.table.delete(ip);
    this.table.set(ip, e);
    if (e.mac === mac) return;
    const from = e.mac;
    if (!e.macs.includes(mac) && e.macs.length < MAX_MACS_PER_IP) e.macs.push(mac);
    e.changes = [...e.changes.filter((c) => t - c <= this.flipWindowMs), t];
    e.mac = mac;
    e.since = t;
    if (e.changes.length >= 2)
      this.finding(
        { kind: 'flip-flop', severity: 'warning', mac, ips: [ip], message: `${ip} flips between MACs: ${e.macs.join(', ')} (${e.changes.length} changes within ${this.flipWindowMs / 1000} s)`, evidence: { macs: [...e.macs], changes: e.changes.length } },
        t,
        `flip|${ip}`,
        this.flipWindowMs,
      );
    else this.finding({ kind: 'ip-moved', severity: 'info', mac, ips: [ip], message: `${ip} moved from ${from} to ${mac}`, evidence: { from, to: mac } }, t, `moved|${ip}|${from}|${mac}`, this.flipWindowMs);
  }

  private checkStorm(mac: string, ip: string, t: number): void {
    let ips = this.replyIps.get(mac);
    if (ips) this.replyIps.delete(mac); // Map order = least recently replying MAC first, for the cap
    else ips = new Map();
    this.replyIps.set(mac, ips);
    if (this.replyIps.size > MAX_REPLY_MACS) this.replyIps.delete(this.replyIps.keys().next().value!);
    ips.delete(ip); // keep the map ordered by last reply time (oldest first) for pruning
    ips.set(ip, t);
    // Past the threshold the exact count adds nothing: keep a few times the threshold at most.
    if (ips.size > Math.max(4 * this.stormIps, 1024)) ips.delete(ips.keys().next().value!);
    if (ips.size < this.stormIps) return;
    for (const [k, at] of ips) {
      if (t - at <= this.stormWindowMs) break;
      ips.delete(k);
    }
    if (ips.size >= this.stormIps)
      this.finding(
        {
          kind: 'reply-storm',
          severity: 'critical',
          mac,
          ips: [...ips.keys()].slice(0, 50),
          message: `${mac} replied for ${ips.size} different IPs within ${this.stormWindowMs / 1000} s: a rogue proxy ARP host answering for everything`,
          evidence: { count: ips.size, windowMs: this.stormWindowMs },
        },
        t,
        `storm|${mac}`,
        this.stormWindowMs,
      );
  }

  private malformed(frame: Captured, issue: WireIssue, raw: Record<string, unknown>): void {
    this.counts.malformed++;
    this.malformedByCode[issue.code] = (this.malformedByCode[issue.code] ?? 0) + 1;
    this.emit({ type: 'malformed', time: iso(frame.time), length: frame.bytes.length, issue: { code: issue.code, layer: issue.layer, message: issue.message }, raw });
    this.finding(
      { kind: 'malformed', severity: 'info', mac: typeof raw.ethSrc === 'string' ? raw.ethSrc : null, ips: [], message: `malformed ARP frame(s): ${issue.message} (counted and dropped)`, evidence: { code: issue.code } },
      frame.time,
      `malformed|${issue.code}`,
      this.stormWindowMs,
    );
  }

  /** Drop what no future frame can use: expired requests, old reply times, quiet dedup keys. */
  private housekeep(t: number): void {
    this.lastHousekeep = t;
    this.sinceHousekeep = 0;
    for (const [key, list] of this.pending) {
      const live = list.filter((p) => t - p.time <= this.pairWindowMs);
      if (live.length === 0) this.pending.delete(key);
      else if (live.length !== list.length) this.pending.set(key, live);
    }
    for (const [mac, ips] of this.replyIps) {
      for (const [ip, at] of ips) {
        if (t - at <= this.stormWindowMs) break;
        ips.delete(ip);
      }
      if (ips.size === 0) this.replyIps.delete(mac);
    }
    for (const [key, until] of this.raised) if (until <= t) this.raised.delete(key);
  }

  /** Sizes of the internal maps (for tests and metrics: all of them must stay bounded). */
  sizes(): { table: number; pending: number; replyMacs: number; raised: number } {
    return { table: this.table.size, pending: this.pending.size, replyMacs: this.replyIps.size, raised: this.raised.size };
  }

  summary(interrupted = false): WatchSummary {
    const multiMacIps: Record<string, string[]> = {};
    let conflicted = 0;
    for (const [ip, e] of this.table)
      if (e.macs.length > 1) {
        conflicted++;
        if (conflicted <= 1000) multiMacIps[ip] = [...e.macs];
      }
    const macs = new Set<string>();
    for (const e of this.table.values()) macs.add(e.mac);
    return {
      type: 'summary',
      frames: this.counts.frames,
      arp: this.counts.arp,
      requests: this.counts.requests,
      replies: this.counts.replies,
      otherOps: this.counts.otherOps,
      gratuitous: this.counts.gratuitous,
      paired: this.counts.paired,
      malformed: this.counts.malformed,
      malformedByCode: { ...this.malformedByCode },
      ignored: this.counts.ignored,
      snapped: this.counts.snapped,
      dropped: this.dropped,
      findings: this.counts.findings,
      findingsByKind: { ...this.byKind },
      ips: this.table.size,
      macs: macs.size,
      multiMacIps,
      evicted: this.counts.evicted,
      durationMs: Number.isNaN(this.first) ? 0 : Math.round((this.last - this.first) * 1000) / 1000,
      interrupted,
    };
  }

  /** Number of IPs claimed by more than one MAC during the run (still in the table). */
  conflictedIps(): number {
    let n = 0;
    for (const e of this.table.values()) if (e.macs.length > 1) n++;
    return n;
  }

  /** The current IP -> MAC table (for metrics and reports). */
  entries(): Array<{ ip: string; mac: string; macsSeen: number }> {
    return [...this.table].map(([ip, e]) => ({ ip, mac: e.mac, macsSeen: e.macs.length }));
  }

  /** Distinct IPs each MAC replied for within the storm window. */
  replyCounts(): Map<string, number> {
    return new Map([...this.replyIps].map(([mac, ips]) => [mac, ips.size]));
  }
}
