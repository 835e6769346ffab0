/**
 * Passive ARP analysis, pure: frames in (bytes + capture time), records and findings out. Keeps an
 * IP -> MAC table, pairs third-party requests with their replies, and raises findings as they happen.
 * Time comes from the frames, so a live capture and the same frames read from a pcap give the same
 * output. Hostile frames are decoded as far as they go, reported, counted, never thrown.
 */
import type { Captured } from '../link/link.js';
import { keyOf } from '../probe/match.js';
import { inPrefix, parseIpv4 } from '../wire/address.js';
import { ArpOp, arpOpName } from '../wire/codes.js';
import { decodeArpFrame, frameVlan } from '../wire/frame.js';
import type { WireIssue } from '../wire/result.js';
import type { Severity } from '../detect/findings.js';

export type WatchFindingKind =
  | 'reply-storm'
  | 'flip-flop'
  | 'ip-moved'
  | 'gratuitous'
  | 'eth-src-mismatch'
  | 'unsolicited-reply'
  | 'bogus-sender'
  | 'malformed';

export interface WatchFinding {
  type: 'finding';
  kind: WatchFindingKind;
  severity: Severity;
  mac: string | null;
  ips: string[];
  time: string;
  message: string;
  evidence: Record<string, unknown>;
}

export interface ArpRecord {
  type: 'arp';
  time: string;
  op: string;
  opcode: number;
  ethSrc: string;
  ethDst: string;
  vlan: number | null;
  sha: string;
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
  /** Frames that were not ARP (e.g. other tagged traffic the filter let through). */
  ignored: number;
  findings: number;
  findingsByKind: Record<string, number>;
  /** IP -> MAC table size, and every IP claimed by more than one MAC during the run. */
  ips: number;
  macs: number;
  multiMacIps: Record<string, string[]>;
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
}

export type WatchRecord = ArpRecord | MalformedRecord | WatchFinding;

interface Pending {
  time: number;
  spa: string;
  sha: string;
}

const iso = (t: number): string => new Date(t).toISOString();

export class ArpWatcher {
  private readonly stormIps: number;
  private readonly stormWindowMs: number;
  private readonly flipWindowMs: number;
  private readonly pairWindowMs: number;
  private readonly hostScoped: Set<string>;
  private readonly table = new Map<string, { mac: string; since: number; changes: number[] }>();
  private readonly everMacs = new Map<string, Set<string>>();
  private readonly replyIps = new Map<string, Map<string, number>>(); // mac -> ip -> last reply time
  private readonly pending = new Map<string, Pending[]>();
  private readonly raised = new Map<string, number>(); // dedup key -> time raised
  private readonly counts = { frames: 0, arp: 0, requests: 0, replies: 0, otherOps: 0, gratuitous: 0, paired: 0, malformed: 0, ignored: 0, findings: 0 };
  private readonly byKind: Record<string, number> = {};
  private readonly malformedByCode: Record<string, number> = {};
  private first = NaN;
  private last = NaN;

  constructor(private readonly emit: (r: WatchRecord) => void, opts: WatchOptions = {}) {
    this.stormIps = opts.stormIps ?? 16;
    this.stormWindowMs = opts.stormWindowMs ?? 10_000;
    this.flipWindowMs = opts.flipWindowMs ?? 60_000;
    this.pairWindowMs = opts.pairWindowMs ?? 5_000;
    this.hostScoped = new Set(opts.hostScoped ?? []);
  }

  private finding(f: Omit<WatchFinding, 'type' | 'time'>, time: number, dedupKey: string, everyMs = Infinity): void {
    const prev = this.raised.get(dedupKey);
    if (prev !== undefined && time - prev < everyMs) return;
    this.raised.set(dedupKey, time);
    this.counts.findings++;
    this.byKind[f.kind] = (this.byKind[f.kind] ?? 0) + 1;
    this.emit({ type: 'finding', time: iso(time), ...f });
  }

  ingest(frame: Captured): void {
    const t = frame.time;
    if (Number.isNaN(this.first)) this.first = t;
    this.last = t;
    this.counts.frames++;
    const d = decodeArpFrame(frame.bytes);
    if (!d.ok) {
      if (d.issue.code === 'NOT_ARP') {
        this.counts.ignored++;
        return;
      }
      this.malformed(frame, d.issue, { ...(d.eth ? { ethSrc: d.eth.src, ethDst: d.eth.dst, etherType: d.eth.etherType, vlans: d.eth.vlans.map((v) => v.vid) } : {}), ...(d.arpHeader ?? {}) });
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
      sha: arp.senderMac,
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
      list.push({ time: t, spa: arp.senderIp, sha: arp.senderMac });
      this.pending.set(key, list.slice(-8));
    }
    if (arp.op === ArpOp.Reply && !gratuitous) {
      const key = keyOf(arp.senderIp, vlan);
      const list = (this.pending.get(key) ?? []).filter((p) => t - p.time <= this.pairWindowMs);
      const req = list.find((p) => p.spa === arp.targetIp) ?? list[0];
      if (req) {
        rec.answers = { asker: req.spa, askerMac: req.sha, latencyMs: Math.round((t - req.time) * 1000) / 1000 };
        this.counts.paired++;
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
    if (arp.op === ArpOp.Reply && !gratuitous && !rec.answers)
      this.finding(
        { kind: 'unsolicited-reply', severity: 'info', mac: arp.senderMac, ips: [arp.senderIp], message: `${arp.senderMac} says ${arp.senderIp} is-at ${arp.senderMac} to ${arp.targetIp} (${arp.targetMac}) without a request seen`, evidence: { tpa: arp.targetIp, tha: arp.targetMac } },
        t,
        `unsol|${arp.senderMac}`,
        this.stormWindowMs,
      );
    if (arp.op === ArpOp.Reply || gratuitous) this.learn(arp.senderIp, arp.senderMac, t);
    if (arp.op === ArpOp.Reply) this.checkStorm(arp.senderMac, arp.senderIp, t);
  }

  private checkSender(op: number, spa: string, sha: string, tha: string, t: number): void {
    const ip = parseIpv4(spa) ?? 0;
    let why: string | undefined;
    let severity: Severity = 'warning';
    if (this.hostScoped.has(spa)) {
      why = `${spa} is configured host-scope on this machine: it must never appear on a link (the "ARP bubble": arp_announce=0 lets the kernel use it as the sender of its own requests)`;
      severity = 'critical';
    } else if (inPrefix(ip, 0x7f000000, 8)) {
      why = `${spa} is a loopback address`;
      severity = 'critical';
    } else if (inPrefix(ip, 0xa9fe0000, 16)) why = `${spa} is link-local (169.254.0.0/16): a host-scoped or link-local address leaking as an ARP sender poisons every neighbour's cache`;
    else if (ip === 0 && !(op === ArpOp.Request && tha === '00:00:00:00:00:00')) why = 'sender 0.0.0.0 outside a DAD probe';
    if (why) this.finding({ kind: 'bogus-sender', severity, mac: sha, ips: [spa], message: `${sha}: ${why}`, evidence: { op } }, t, `bogus|${sha}|${spa}`, this.flipWindowMs);
  }

  private learn(ip: string, mac: string, t: number): void {
    let macs = this.everMacs.get(ip);
    if (!macs) this.everMacs.set(ip, (macs = new Set()));
    macs.add(mac);
    const e = this.table.get(ip);
    if (!e) {
      this.table.set(ip, { mac, since: t, changes: [] });
      return;
    }
    if (e.mac === mac) return;
    const from = e.mac;
    e.changes = [...e.changes.filter((c) => t - c <= this.flipWindowMs), t];
    e.mac = mac;
    e.since = t;
    if (e.changes.length >= 2)
      this.finding(
        { kind: 'flip-flop', severity: 'warning', mac, ips: [ip], message: `${ip} flips between MACs: ${[...macs].join(', ')} (${e.changes.length} changes within ${this.flipWindowMs / 1000} s)`, evidence: { macs: [...macs], changes: e.changes.length } },
        t,
        `flip|${ip}`,
        this.flipWindowMs,
      );
    else this.finding({ kind: 'ip-moved', severity: 'info', mac, ips: [ip], message: `${ip} moved from ${from} to ${mac}`, evidence: { from, to: mac } }, t, `moved|${ip}|${from}|${mac}`, this.flipWindowMs);
  }

  private checkStorm(mac: string, ip: string, t: number): void {
    let ips = this.replyIps.get(mac);
    if (!ips) this.replyIps.set(mac, (ips = new Map()));
    ips.set(ip, t);
    if (ips.size < this.stormIps) return;
    for (const [k, at] of ips) if (t - at > this.stormWindowMs) ips.delete(k);
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

  summary(interrupted = false): WatchSummary {
    const multiMacIps: Record<string, string[]> = {};
    for (const [ip, macs] of this.everMacs) if (macs.size > 1) multiMacIps[ip] = [...macs];
    return {
      type: 'summary',
      ...this.counts,
      findingsByKind: { ...this.byKind },
      ips: this.table.size,
      macs: new Set([...this.table.values()].map((e) => e.mac)).size,
      multiMacIps,
      durationMs: Number.isNaN(this.first) ? 0 : Math.round((this.last - this.first) * 1000) / 1000,
      interrupted,
    };
  }

  /** The current IP -> MAC table (for metrics and reports). */
  entries(): Array<{ ip: string; mac: string; macsSeen: number }> {
    return [...this.table].map(([ip, e]) => ({ ip, mac: e.mac, macsSeen: this.everMacs.get(ip)?.size ?? 1 }));
  }

  replyCounts(): Map<string, number> {
    return new Map([...this.replyIps].map(([mac, ips]) => [mac, ips.size]));
  }
}
