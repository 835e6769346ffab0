/**
 * Passive ARP analysis, pure: frames in (bytes + capture time), records and findings out. Keeps a
 * station table ((IP, VLAN) -> MAC, arpwatch's arp.dat), pairs third-party requests with their
 * replies, and raises findings as they happen. Time comes from the frames, so a live capture and the
 * same frames read from a pcap give the same output. Hostile frames are decoded as far as they go,
 * reported, counted, never thrown.
 *
 * Every piece of state is bounded and O(1) per frame (src/watch/bounded.ts): the station table is a
 * segmented LRU (a flood of new senders churns only the probation segment: a station seen across more
 * than a second, or loaded from --state, is protected), pending requests and per-MAC trackers are LRU
 * indexes with lazy expiry, per-IP MAC history is capped at a few MACs with counts, and findings that
 * a flood raises once per frame (new-station, bogon, bogus-sender, unsolicited...) pass a per-kind
 * rate gate whose excess is counted, not printed. The documented ceiling is measured by bench/watch.ts.
 */
import type { Captured } from '../link/link.js';
import { BROADCAST_MAC, ZERO_MAC, formatIpv4, formatMac, inPrefix, isMulticastMac, parseIpv4, readU32 } from '../wire/address.js';
import { ArpOp, arpOpName } from '../wire/codes.js';
import { decodeArpFrame, frameVlan } from '../wire/frame.js';
import type { WireIssue } from '../wire/result.js';
import type { Finding, FindingKind, Severity } from '../findings/finding.js';
import { LruIndex, macKey, widen } from './bounded.js';
import { parseTarget, type TargetBlock } from '../sweep/targets.js';
import { vendorOf, vendorOfMac } from '../records/vendor.js';
import { isoTime } from '../time/iso.js';

/** The kinds watch raises (all from the one registry, src/findings/finding.ts). */
export type WatchFindingKind = Extract<
  FindingKind,
  'capture-drops' | 'reply-storm' | 'mac-changed' | 'flip-flop' | 'ip-moved' | 'ip-conflict' | 'new-station' | 'bogon' | 'gratuitous' | 'eth-src-mismatch' | 'unsolicited' | 'host-scoped-sender' | 'loopback-sender' | 'bogus-sender' | 'malformed'
>;

/** Why a sender is bogus (evidence.reason of a bogus-sender finding). */
export type BogusReason = 'host-scoped' | 'loopback' | 'link-local' | 'unspecified' | 'multicast-ip' | 'broadcast-ip' | 'broadcast-mac' | 'multicast-mac' | 'zero-mac';

/** A finding raised while watching: the one Finding, with the time of the frame that raised it and its VLAN. */
export type WatchFinding = Finding & { kind: WatchFindingKind; time: string; vlan: number | null };

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
  /** Findings the per-kind rate gate held back (a flood raising one per frame), by kind: counted, not printed. */
  suppressedByKind: Record<string, number>;
  /** Stations ((IP, VLAN) pairs) in the table now. */
  ips: number;
  /** Distinct sender MACs seen claiming an IP during the run (exact up to 262,144; macsCapped beyond). */
  macs: number;
  macsCapped: boolean;
  /** Stations first seen in this run (not in the state file). */
  newStations: number;
  /** Every IP claimed by more than one MAC during the run (still in the table; "IP" or "IP vlan N"). */
  multiMacIps: Record<string, string[]>;
  /** Stations dropped because the table reached maxTableIps (least recently seen first; protected ones last). */
  evicted: number;
  durationMs: number;
  interrupted: boolean;
  /** With --state: the file, stations loaded from it, lines skipped, writes done, and whether the last write succeeded. */
  state?: { file: string; loaded: number; skippedLines: number; written: number; saved: boolean };
}

/** A station the analyser knows before the first frame (from a --state file). */
export interface KnownStation {
  ip: string;
  mac: string;
  vlan: number | null;
  /** Epoch ms. */
  lastSeen: number;
  firstSeen?: number;
  /** The MAC it had before (arpwatch keeps every pairing: the second most recent one). */
  previousMac?: string;
  previousSeen?: number;
}

/** A station in the table (what --state writes and `stations` prints). */
export interface Station {
  ip: string;
  vlan: number | null;
  mac: string;
  firstSeen: number;
  lastSeen: number;
  frames: number;
  previousMac?: string;
  previousSeen?: number;
  /** MACs seen claiming it during the run (capped: at most HISTORY_MACS). */
  macsSeen: number;
}

export interface WatchOptions {
  /** A MAC replying for at least this many distinct IPs within stormWindowMs is a reply storm (default 16, at most 4096). */
  stormIps?: number;
  stormWindowMs?: number;
  /** An IP changing back to its previous MAC within this window is a flip-flop (default 60 s); it also bounds mac-changed's "also took" memory. */
  flipWindowMs?: number;
  /** A station silent for longer than this that another MAC then claims has moved (ip-moved, info) rather than changed (default 1 h). */
  staleMs?: number;
  /** Addresses configured host-scope on this machine: they must never be an ARP sender on a link. */
  hostScoped?: string[];
  /** The link's subnets (sweep's target forms: CIDR, net:mask, a range): a sender IP outside all of them is a bogon. Empty or absent: no bogon rule. */
  localNets?: string[];
  /** Gateway addresses: a MAC change on one of them is critical. */
  gateways?: string[];
  /** How long a request waits for its reply to be paired (default 5 s). */
  pairWindowMs?: number;
  /** Cap on the station table; the least recently seen unprotected stations go first (default 262,144). */
  maxTableIps?: number;
  /** Stations known before the first frame (a --state file): protected, no new-station for them. */
  known?: KnownStation[];
  /** Findings per kind let through a flood: burst, then per second of frame time (defaults 100 and 10). */
  rateBurst?: number;
  ratePerSecond?: number;
}

export type WatchRecord = ArpRecord | MalformedRecord | WatchFinding;

/** ISO 8601 of a frame time (ms precision), cached for the last millisecond: a flood shares them. */
let isoMs = NaN;
let isoText = '';
const iso = (t: number): string => {
  const ms = Math.floor(t);
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = isoTime(ms);
  }
  return isoText;
};

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

/** MACs remembered per station (with counts); more are counted in `others`. */
export const HISTORY_MACS = 4;
/** Dedup keys for findings: swept of expired keys when full, cleared when the sweep frees too little. */
const MAX_RAISED = 100_000;
/** Targets with requests waiting for a reply, and MACs tracked (storms, takeovers). */
const MAX_PENDING = 65_536;
const MAX_MACS = 65_536;
/** Requests remembered per target (a kernel re-asks every second). */
const REQS = 4;
/** Storm rings: at most this many (ip, time) slots across all tracked MACs. */
const MAX_RING_SLOTS = 1 << 20;
/** Distinct MACs counted exactly for the summary. */
const MAX_SEEN_MACS = 262_144;
/** Housekeeping runs once per second of frame time, or every HOUSEKEEP_FRAMES frames if time stands still. */
const HOUSEKEEP_MS = 1_000;
const HOUSEKEEP_FRAMES = 65_536;
/** A station seen in frames this far apart is established: protected from eviction. */
const ESTABLISH_MS = 1_000;
const PROBATION = 0;
const PROTECTED = 1;
/** Station flags. */
const F_PROTECTED = 1;
const F_HAS_PREV = 4;

/** Kinds a flood raises once per frame: they pass the rate gate. */
const GATED: ReadonlySet<WatchFindingKind> = new Set(['new-station', 'bogon', 'bogus-sender', 'unsolicited', 'eth-src-mismatch', 'gratuitous', 'malformed', 'host-scoped-sender', 'loopback-sender', 'mac-changed', 'ip-moved']);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const macText = (hi: number, lo: number): string =>
  `${HEX[hi >>> 8]}:${HEX[hi & 255]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 255]}:${HEX[(lo >>> 8) & 255]}:${HEX[lo & 255]}`;
/** VLAN as a key part: 0 untagged, vid + 1 tagged. */
const vkey = (vlan: number | undefined | null): number => (vlan === undefined || vlan === null ? 0 : vlan + 1);
const vlanOf = (k: number): number | null => (k === 0 ? null : k - 1);
const where = (ip: string, vlan: number | null): string => (vlan === null ? ip : `${ip} vlan ${vlan}`);

/** One MAC history per station that more than one MAC claimed (rare: a JS object is fine). */
interface History {
  macs: string[];
  counts: number[];
  /** Frames from MACs beyond HISTORY_MACS. */
  others: number;
}

export class ArpWatcher {
  private readonly stormIps: number;
  private readonly stormWindowMs: number;
  private readonly flipWindowMs: number;
  private readonly staleMs: number;
  private readonly pairWindowMs: number;
  private readonly hostScoped: Set<string>;
  private readonly nets: TargetBlock[];
  private readonly gateways: Set<number>;

  // Station table: key (vlan + 1, ip), two segments.
  private readonly st: LruIndex;
  private readonly protectedCap: number;
  private stMacHi = new Uint32Array(0);
  private stMacLo = new Uint32Array(0);
  private stPrevHi = new Uint32Array(0);
  private stPrevLo = new Uint32Array(0);
  private stFirst = new Float64Array(0);
  private stLast = new Float64Array(0);
  /** When the current MAC took the station over (or first claimed it). */
  private stSince = new Float64Array(0);
  /** Last time the previous MAC was seen. */
  private stPrevSeen = new Float64Array(0);
  private stFrames = new Uint32Array(0);
  private stFlags = new Uint8Array(0);
  private readonly history = new Map<number, History>();

  // Pending requests: key (vlan + 1, target ip), REQS per target.
  private readonly pend: LruIndex;
  private pTime = new Float64Array(0);
  private pSpa = new Uint32Array(0);
  private pShaHi = new Uint32Array(0);
  private pShaLo = new Uint32Array(0);
  private pN = new Uint8Array(0);
  /** MACs that answered each request (null until the first answer). */
  private pBy: Array<string[] | null> = [];

  // Per-MAC trackers: key (mac hi, mac lo): storm ring and takeovers.
  private readonly mt: LruIndex;
  private readonly ring: number;
  private mLast = new Float64Array(0);
  private rIp = new Uint32Array(0);
  private rTime = new Float64Array(0);
  private rHead = new Uint16Array(0);
  /** The last station this MAC took from another MAC, and when. */
  private mTookIp = new Uint32Array(0);
  private mTookVlan = new Uint16Array(0);
  private mTookTime = new Float64Array(0);

  private readonly seenMacs = new LruIndex(MAX_SEEN_MACS);
  private macsCapped = false;

  /** dedup key -> frame time until which the same finding stays quiet. */
  private raised = new Map<string, number>();
  private readonly gate = new Map<string, { tokens: number; at: number }>();
  private readonly rateBurst: number;
  private readonly ratePerMs: number;
  private readonly counts = { frames: 0, arp: 0, requests: 0, replies: 0, otherOps: 0, gratuitous: 0, paired: 0, malformed: 0, ignored: 0, snapped: 0, findings: 0, evicted: 0, newStations: 0 };
  private readonly byKind: Record<string, number> = {};
  private readonly suppressed: Record<string, number> = {};
  private readonly malformedByCode: Record<string, number> = {};
  private first = NaN;
  private last = NaN;
  private lastHousekeep = -Infinity;
  private lastRaisedSweep = -Infinity;
  private sinceHousekeep = 0;

  constructor(
    private readonly emit: (r: WatchRecord) => void,
    opts: WatchOptions = {},
  ) {
    this.stormIps = opts.stormIps ?? 16;
    if (!(this.stormIps >= 2 && this.stormIps <= 4096)) throw new RangeError('stormIps must be 2..4096');
    this.stormWindowMs = opts.stormWindowMs ?? 10_000;
    this.flipWindowMs = opts.flipWindowMs ?? 60_000;
    this.staleMs = opts.staleMs ?? 3_600_000;
    this.pairWindowMs = opts.pairWindowMs ?? 5_000;
    this.hostScoped = new Set(opts.hostScoped ?? []);
    // The sweep's one target parser (edges included: the network and broadcast addresses are on the link too).
    this.nets = (opts.localNets ?? []).map((t) => parseTarget(t, { includeEdges: true }));
    this.gateways = new Set((opts.gateways ?? []).map((g) => parseIpv4(g)).filter((g): g is number => g !== undefined));
    this.rateBurst = opts.rateBurst ?? 100;
    this.ratePerMs = (opts.ratePerSecond ?? 10) / 1000;
    const cap = opts.maxTableIps ?? 262_144;
    this.protectedCap = Math.max(1, Math.floor(cap * 0.75));
    this.st = new LruIndex(cap, { lists: 2, onGrow: (n) => this.growStations(n) });
    this.growStations(this.st.length);
    this.pend = new LruIndex(MAX_PENDING, { onGrow: (n) => this.growPending(n) });
    this.growPending(this.pend.length);
    this.ring = this.stormIps;
    this.mt = new LruIndex(Math.max(1, Math.min(MAX_MACS, Math.floor(MAX_RING_SLOTS / this.ring))), { onGrow: (n) => this.growMacs(n) });
    this.growMacs(this.mt.length);
    for (const k of opts.known ?? []) this.seed(k);
  }

  private growStations(n: number): void {
    this.stMacHi = widen(this.stMacHi, n);
    this.stMacLo = widen(this.stMacLo, n);
    this.stPrevHi = widen(this.stPrevHi, n);
    this.stPrevLo = widen(this.stPrevLo, n);
    this.stFirst = widen(this.stFirst, n);
    this.stLast = widen(this.stLast, n);
    this.stSince = widen(this.stSince, n);
    this.stPrevSeen = widen(this.stPrevSeen, n);
    this.stFrames = widen(this.stFrames, n);
    this.stFlags = widen(this.stFlags, n);
  }
  private growPending(n: number): void {
    this.pTime = widen(this.pTime, n * REQS);
    this.pSpa = widen(this.pSpa, n * REQS);
    this.pShaHi = widen(this.pShaHi, n * REQS);
    this.pShaLo = widen(this.pShaLo, n * REQS);
    this.pN = widen(this.pN, n);
    while (this.pBy.length < n * REQS) this.pBy.push(null);
  }
  private growMacs(n: number): void {
    this.mLast = widen(this.mLast, n);
    this.rIp = widen(this.rIp, n * this.ring);
    this.rTime = widen(this.rTime, n * this.ring);
    this.rHead = widen(this.rHead, n);
    this.mTookIp = widen(this.mTookIp, n);
    this.mTookVlan = widen(this.mTookVlan, n);
    this.mTookTime = widen(this.mTookTime, n);
  }

  /** Load a known station (state file): protected, established, no new-station. */
  private seed(k: KnownStation): void {
    const ip = parseIpv4(k.ip);
    if (ip === undefined) return;
    const [hi, lo] = macKey(k.mac);
    const v = vkey(k.vlan);
    if (this.st.find(v, ip) >= 0) return;
    const s = this.newStation(v, ip, hi, lo, k.firstSeen ?? k.lastSeen, PROBATION);
    this.stLast[s] = k.lastSeen;
    this.protect(s);
    if (k.previousMac) {
      const [ph, pl] = macKey(k.previousMac);
      this.stPrevHi[s] = ph;
      this.stPrevLo[s] = pl;
      this.stPrevSeen[s] = k.previousSeen ?? 0;
      this.stFlags[s]! |= F_HAS_PREV;
    }
  }

  /**
   * Raise a finding unless the same dedupKey raised one less than `everyMs` ago, or (for the kinds a
   * flood raises per frame) the kind's rate gate is empty: then it is counted as suppressed.
   */
  private finding(f: Omit<WatchFinding, 'type' | 'time' | 'vendor'>, time: number, dedupKey: string | undefined, everyMs = Infinity): void {
    if (this.admit(f.kind, f.severity, time, dedupKey)) this.raise(f, time, dedupKey, everyMs);
  }

  /**
   * May a finding be raised now? No when the same dedupKey raised one less than its interval ago, or
   * (for the kinds a flood raises per frame) the kind's rate gate is empty: then it is counted as
   * suppressed. Hot paths call this before building the finding's text.
   */
  private admit(kind: WatchFindingKind, severity: Severity, time: number, dedupKey: string | undefined): boolean {
    if (dedupKey !== undefined) {
      const until = this.raised.get(dedupKey);
      if (until !== undefined && time < until) return false;
    }
    // A critical mac-changed (a takeover of a gateway, or of two stations) is never held back.
    if (GATED.has(kind) && !(kind === 'mac-changed' && severity === 'critical') && !this.pass(kind, time)) {
      this.suppressed[kind] = (this.suppressed[kind] ?? 0) + 1;
      return false;
    }
    return true;
  }

  private raise(f: Omit<WatchFinding, 'type' | 'time' | 'vendor'>, time: number, dedupKey: string | undefined, everyMs = Infinity): void {
    if (dedupKey !== undefined) {
      if (this.raised.size >= MAX_RAISED) this.sweepRaised(time);
      this.raised.set(dedupKey, time + everyMs);
    }
    this.counts.findings++;
    this.byKind[f.kind] = (this.byKind[f.kind] ?? 0) + 1;
    this.emit({ type: 'finding', time: iso(time), kind: f.kind, severity: f.severity, mac: f.mac, vendor: f.mac !== null ? vendorOf(f.mac) : null, ips: f.ips, vlan: f.vlan, message: f.message, evidence: f.evidence });
  }

  /** True when a finding with this dedup key was raised and is still quiet at frame time t (check before building one). */
  private quiet(dedupKey: string, t: number): boolean {
    const until = this.raised.get(dedupKey);
    return until !== undefined && t < until;
  }

  /** Token bucket per kind, in frame time. */
  private pass(kind: string, t: number): boolean {
    let g = this.gate.get(kind);
    if (!g) this.gate.set(kind, (g = { tokens: this.rateBurst, at: t }));
    else if (t > g.at) {
      g.tokens = Math.min(this.rateBurst, g.tokens + (t - g.at) * this.ratePerMs);
      g.at = t;
    }
    if (g.tokens < 1) return false;
    g.tokens--;
    return true;
  }

  /** The dedup map is full: drop expired keys; if that frees less than a quarter, start afresh (a finding may repeat early). */
  private sweepRaised(t: number): void {
    for (const [k, until] of this.raised) if (until <= t) this.raised.delete(k);
    if (this.raised.size > (MAX_RAISED * 3) / 4) this.raised = new Map();
  }

  /** Frames the capture lost (kernel drops), reported in the summary; set by noteDropped(). */
  dropped = 0;

  /** The link's kernel drop count at the end of a capture: a capture-drops finding when not 0. */
  noteDropped(n: number, time: number): void {
    this.dropped = n;
    if (n > 0)
      this.finding(
        { kind: 'capture-drops', severity: 'warning', mac: null, ips: [], vlan: null, message: `the kernel dropped ${n} frame(s) while we listened (capture ring full): findings may be missing; raise --ring`, evidence: { dropped: n } },
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
    const b = frame.bytes;
    const d = decodeArpFrame(b);
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
      this.malformed(frame, d.issue, d.eth ? { ethSrc: d.eth.src, ethDst: d.eth.dst, etherType: d.eth.etherType, vlans: d.eth.vlans.map((v) => v.vid), ...(d.arpHeader ?? {}) } : rawEthernet(b));
      return;
    }
    const { eth, arp } = d.value;
    this.counts.arp++;
    const vlan = frameVlan(eth) ?? null;
    const v = vkey(vlan);
    // Numbers straight from the bytes (decodeArpFrame accepted Ethernet/IPv4 ARP: fixed offsets).
    const o = eth.payloadOffset;
    const shaHi = (b[o + 8]! << 8) | b[o + 9]!;
    const shaLo = readU32(b, o + 10);
    const spa = readU32(b, o + 14);
    const tpa = readU32(b, o + 24);
    const op = arp.op;
    const gratuitous = spa === tpa && spa !== 0;
    const rec: ArpRecord = {
      type: 'arp',
      time: iso(t),
      op: arpOpName(op),
      opcode: op,
      ethSrc: eth.src,
      ethDst: eth.dst,
      vlan,
      ...(eth.vlans.length > 1 ? { vlans: eth.vlans.map((x) => x.vid) } : {}),
      sha: arp.senderMac,
      vendor: vendorOfMac(shaHi, shaLo),
      spa: arp.senderIp,
      tha: arp.targetMac,
      tpa: arp.targetIp,
      gratuitous,
    };
    if (op === ArpOp.Request) this.counts.requests++;
    else if (op === ArpOp.Reply) this.counts.replies++;
    else this.counts.otherOps++;

    if (op === ArpOp.Request && !gratuitous && spa !== 0) this.remember(v, tpa, spa, shaHi, shaLo, t);
    let duplicate: { by: string[]; asker: number } | undefined;
    if (op === ArpOp.Reply && !gratuitous) {
      const p = this.pend.find(v, spa);
      if (p >= 0) {
        // The newest request within the window, preferring the one this reply is addressed to: a
        // kernel that re-asks after 1 s gets its latency measured from the request actually answered.
        const n = this.pN[p]!;
        let req = -1;
        for (let k = n - 1; k >= 0; k--) {
          const r = p * REQS + k;
          if (t - this.pTime[r]! > this.pairWindowMs) break;
          if (this.pSpa[r] === tpa) {
            req = r;
            break;
          }
          if (req < 0) req = r;
        }
        if (req >= 0) {
          rec.answers = { asker: formatIpv4(this.pSpa[req]!), askerMac: macText(this.pShaHi[req]!, this.pShaLo[req]!), latencyMs: Math.round((t - this.pTime[req]!) * 1000) / 1000 };
          this.counts.paired++;
          const by = this.pBy[req];
          if (!by) this.pBy[req] = [arp.senderMac];
          else if (!by.includes(arp.senderMac)) {
            if (by.length < 16) by.push(arp.senderMac);
            duplicate = { by, asker: this.pSpa[req]! };
          }
        }
      }
    }
    this.emit(rec);

    // Findings, in the order a person would want to read them.
    const ips = [arp.senderIp];
    if (gratuitous) {
      this.counts.gratuitous++;
      this.finding(
        { kind: 'gratuitous', severity: 'info', mac: arp.senderMac, ips, vlan, message: `gratuitous ARP ${arpOpName(op)}: ${arp.senderMac} announces ${where(arp.senderIp, vlan)}`, evidence: { op } },
        t,
        `grat|${v}|${arp.senderMac}|${arp.senderIp}`,
        this.flipWindowMs,
      );
    }
    if (eth.src !== arp.senderMac)
      this.finding(
        { kind: 'eth-src-mismatch', severity: 'warning', mac: arp.senderMac, ips, vlan, message: `ARP ${arpOpName(op)} claiming ${arp.senderMac} comes from Ethernet source ${eth.src}`, evidence: { ethSrc: eth.src } },
        t,
        `ethsrc|${v}|${arp.senderMac}|${eth.src}`,
      );
    const bogus = this.checkSender(op, spa, arp.senderIp, arp.senderMac, arp.targetMac, vlan, t, (shaHi & 0x100) !== 0, shaHi === 0 && shaLo === 0);
    const bogon = !bogus && spa !== 0 && this.nets.length > 0 && !this.local(spa);
    if (bogon)
      this.finding(
        {
          kind: 'bogon',
          severity: 'warning',
          mac: arp.senderMac,
          ips,
          vlan,
          message: `${arp.senderMac} ${op === ArpOp.Reply ? 'replies for' : 'sends ARP as'} ${arp.senderIp}, outside every subnet of this link (${this.netsText()}): a proxy answering off-link, a misconfigured host, or a spoofer`,
          evidence: { op, localNets: this.netsText() },
        },
        t,
        `bogon|${v}|${arp.senderMac}|${arp.senderIp}`,
        this.flipWindowMs,
      );
    if (duplicate)
      this.finding(
        {
          kind: 'ip-conflict',
          severity: 'warning',
          mac: arp.senderMac,
          ips,
          vlan,
          message: `${where(arp.senderIp, vlan)} answered by ${duplicate.by.length} MACs for one request from ${formatIpv4(duplicate.asker)}: ${duplicate.by.join(', ')} (an address conflict, or a proxy answering for an address it does not own)`,
          evidence: { macs: [...duplicate.by], asker: formatIpv4(duplicate.asker) },
        },
        t,
        `dup|${v}|${arp.senderIp}|${arp.senderMac}`,
        this.flipWindowMs,
      );
    if (op === ArpOp.Reply && !gratuitous && !rec.answers)
      this.finding(
        { kind: 'unsolicited', severity: 'info', mac: arp.senderMac, ips, vlan, message: `${arp.senderMac} says ${arp.senderIp} is-at ${arp.senderMac} to ${arp.targetIp} (${arp.targetMac}) without a request seen`, evidence: { tpa: arp.targetIp, tha: arp.targetMac } },
        t,
        `unsol|${arp.senderMac}`,
        this.stormWindowMs,
      );
    // Every ARP packet with a sender IP updates the caches of those who hear it (a request too: that
    // is how the ARP bubble moved 169.254.1.1 in every VM), so the table learns from all of them.
    // Bogons are reported, not learned (as arpwatch): a flood of off-link senders cannot fill the table.
    if ((op === ArpOp.Request || op === ArpOp.Reply) && spa !== 0) {
      this.countMac(shaHi, shaLo);
      if (!bogon) this.learn(v, spa, shaHi, shaLo, arp.senderMac, t);
    }
    if (op === ArpOp.Reply) this.checkStorm(shaHi, shaLo, arp.senderMac, spa, vlan, t);
  }

  private local(ip: number): boolean {
    for (const n of this.nets) if (ip >= n.first && ip <= n.last) return true;
    return false;
  }
  private netsText(): string {
    return this.nets.map((n) => n.text).join(', ');
  }

  /** Remember a request for `tpa`: newest last, REQS per target, targets in LRU order. */
  private remember(v: number, tpa: number, spa: number, hi: number, lo: number, t: number): void {
    let p = this.pend.find(v, tpa);
    if (p < 0) {
      if (this.pend.full) this.dropPending(this.pend.oldest());
      p = this.pend.insert(v, tpa);
      this.pN[p] = 0;
    } else this.pend.touch(p);
    let n = this.pN[p]!;
    const base = p * REQS;
    if (n === REQS) {
      for (let k = 1; k < REQS; k++) {
        this.pTime[base + k - 1] = this.pTime[base + k]!;
        this.pSpa[base + k - 1] = this.pSpa[base + k]!;
        this.pShaHi[base + k - 1] = this.pShaHi[base + k]!;
        this.pShaLo[base + k - 1] = this.pShaLo[base + k]!;
        this.pBy[base + k - 1] = this.pBy[base + k]!;
      }
      n--;
    }
    const r = base + n;
    this.pTime[r] = t;
    this.pSpa[r] = spa;
    this.pShaHi[r] = hi;
    this.pShaLo[r] = lo;
    this.pBy[r] = null;
    this.pN[p] = n + 1;
  }

  private dropPending(p: number): void {
    for (let k = 0; k < REQS; k++) this.pBy[p * REQS + k] = null;
    this.pend.remove(p);
  }

  private countMac(hi: number, lo: number): void {
    const s = this.seenMacs;
    if (s.find(hi, lo) >= 0) return;
    if (s.full) this.macsCapped = true;
    else s.insert(hi, lo);
  }

  /** The per-MAC tracker slot, created (evicting the least recently active MAC) when absent. */
  private macSlot(hi: number, lo: number, t: number): number {
    let m = this.mt.find(hi, lo);
    if (m < 0) {
      if (this.mt.full) this.mt.remove(this.mt.oldest());
      m = this.mt.insert(hi, lo);
      this.rHead[m] = 0;
      this.rTime.fill(-Infinity, m * this.ring, (m + 1) * this.ring);
      this.mTookTime[m] = -Infinity;
    } else this.mt.touch(m);
    this.mLast[m] = t;
    return m;
  }

  /** `group`: the sender MAC's I/G bit is set (broadcast, multicast); `zero`: it is 00:00:00:00:00:00 (from the bytes: no text parsing per frame). */
  private checkSender(op: number, ip: number, spa: string, sha: string, tha: string, vlan: number | null, t: number, group: boolean, zero: boolean): boolean {
    let why: string | undefined;
    let reason: BogusReason | undefined;
    let severity: Severity = 'warning';
    if (this.hostScoped.size > 0 && this.hostScoped.has(spa)) {
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
    if (reason) this.finding({ kind, severity, mac: sha, ips: [spa], vlan, message: `${sha}: ${why}`, evidence: { op, reason } }, t, `bogus|${vlan}|${sha}|${spa}`, this.flipWindowMs);
    // A sender MAC nobody can own: whoever learns it sends this IP's traffic to everyone (or no one).
    const macReason: BogusReason | undefined = !group && !zero ? undefined : sha === BROADCAST_MAC ? 'broadcast-mac' : sha === ZERO_MAC ? 'zero-mac' : isMulticastMac(sha) ? 'multicast-mac' : undefined;
    if (macReason)
      this.finding(
        { kind: 'bogus-sender', severity: 'warning', mac: sha, ips: [spa], vlan, message: `${spa} claimed at ${macReason.replace('-mac', '')} MAC ${sha}: a cache that learns it floods or drops that address's traffic`, evidence: { op, reason: macReason } },
        t,
        `bogusmac|${vlan}|${sha}|${spa}`,
        this.flipWindowMs,
      );
    return reason !== undefined && reason !== 'unspecified';
  }

  private newStation(v: number, ip: number, hi: number, lo: number, t: number, list: number): number {
    if (this.st.full) {
      // Probation's least recently seen first: a flood of new senders evicts only other newcomers.
      const victim = this.st.counts[PROBATION]! > 0 ? this.st.oldest(PROBATION) : this.st.oldest(PROTECTED);
      this.history.delete(victim);
      this.st.remove(victim);
      this.counts.evicted++;
    }
    const s = this.st.insert(v, ip, list);
    this.stMacHi[s] = hi;
    this.stMacLo[s] = lo;
    this.stFirst[s] = t;
    this.stLast[s] = t;
    this.stSince[s] = t;
    this.stFrames[s] = 1;
    this.stFlags[s] = 0;
    this.stPrevSeen[s] = 0;
    return s;
  }

  private protect(s: number): void {
    this.stFlags[s]! |= F_PROTECTED;
    this.st.touch(s, PROTECTED);
    // The protected segment is full: its least recently seen station goes back to probation (not out).
    if (this.st.counts[PROTECTED]! > this.protectedCap) {
      const d = this.st.oldest(PROTECTED);
      this.stFlags[d]! &= ~F_PROTECTED;
      this.st.touch(d, PROBATION);
    }
  }

  private noteHistory(s: number, mac: string, firstMac?: string): void {
    let h = this.history.get(s);
    if (!h) {
      if (firstMac === undefined) return;
      this.history.set(s, (h = { macs: [firstMac], counts: [1], others: 0 }));
    }
    const k = h.macs.indexOf(mac);
    if (k >= 0) h.counts[k]!++;
    else if (h.macs.length < HISTORY_MACS) {
      h.macs.push(mac);
      h.counts.push(1);
    } else h.others++;
  }

  private learn(v: number, ip: number, hi: number, lo: number, mac: string, t: number): void {
    const vlan = vlanOf(v);
    let s = this.st.find(v, ip);
    if (s < 0) {
      s = this.newStation(v, ip, hi, lo, t, PROBATION);
      this.counts.newStations++;
      if (this.admit('new-station', 'info', t, undefined)) {
        const ipText = formatIpv4(ip);
        this.raise({ kind: 'new-station', severity: 'info', mac, ips: [ipText], vlan, message: `new station ${where(ipText, vlan)} at ${mac}`, evidence: {} }, t, undefined);
      }
      return;
    }
    const sameMac = this.stMacHi[s] === hi && this.stMacLo[s] === lo;
    if (sameMac) {
      if (this.stFrames[s]! < 0xffffffff) this.stFrames[s]!++;
      this.stLast[s] = t;
      this.noteHistory(s, mac);
      if (!(this.stFlags[s]! & F_PROTECTED) && t - this.stSince[s]! >= ESTABLISH_MS) this.protect(s);
      else this.st.touch(s);
      return;
    }
    // Another MAC claims this station.
    const ipText = formatIpv4(ip);
    const fromHi = this.stMacHi[s]!;
    const fromLo = this.stMacLo[s]!;
    const from = macText(fromHi, fromLo);
    const wasSeen = this.stLast[s]!;
    const backToPrevious = (this.stFlags[s]! & F_HAS_PREV) !== 0 && this.stPrevHi[s] === hi && this.stPrevLo[s] === lo;
    const lastChange = this.stSince[s]!;
    this.noteHistory(s, mac, from);
    this.stPrevHi[s] = fromHi;
    this.stPrevLo[s] = fromLo;
    this.stPrevSeen[s] = wasSeen;
    this.stFlags[s]! |= F_HAS_PREV;
    this.stMacHi[s] = hi;
    this.stMacLo[s] = lo;
    this.stSince[s] = t;
    this.stLast[s] = t;
    this.stFrames[s] = 1;
    this.st.touch(s);
    if (backToPrevious && t - lastChange <= this.flipWindowMs) {
      if (this.quiet(`flip|${v}|${ip}`, t)) return;
      const evidence = { from, to: mac, previousSeen: iso(wasSeen), heldMs: Math.round(t - lastChange) };
      this.finding(
        { kind: 'flip-flop', severity: 'warning', mac, ips: [ipText], vlan, message: `${where(ipText, vlan)} flips back from ${from} to ${mac} after ${((t - lastChange) / 1000).toFixed(1)} s (two MACs fighting over one address: a conflict, or a spoofer and the owner)`, evidence: { ...evidence, macs: [...(this.history.get(s)?.macs ?? [from, mac])] } },
        t,
        `flip|${v}|${ip}`,
        this.flipWindowMs,
      );
      return;
    }
    const evidence = { from, to: mac, previousSeen: isoTime(wasSeen), heldMs: Math.round(t - lastChange) };
    if (t - wasSeen > this.staleMs) {
      this.finding(
        { kind: 'ip-moved', severity: 'info', mac, ips: [ipText], vlan, message: `${where(ipText, vlan)} moved from ${from} (silent for ${Math.round((t - wasSeen) / 1000)} s) to ${mac}: a replaced host or a reused address`, evidence },
        t,
        `moved|${v}|${ip}|${mac}`,
        this.flipWindowMs,
      );
      return;
    }
    // An active station changed MAC (arpwatch: "changed ethernet address"). Critical when the same
    // MAC took another station within the flip window (a man in the middle poisons both ends) or
    // the station is a gateway.
    const m = this.macSlot(hi, lo, t);
    const tookBefore = t - this.mTookTime[m]! <= this.flipWindowMs && !(this.mTookIp[m] === ip && this.mTookVlan[m] === v) ? formatIpv4(this.mTookIp[m]!) : undefined;
    const gateway = this.gateways.has(ip);
    this.mTookIp[m] = ip;
    this.mTookVlan[m] = v;
    this.mTookTime[m] = t;
    const critical = gateway || tookBefore !== undefined;
    this.finding(
      {
        kind: 'mac-changed',
        severity: critical ? 'critical' : 'warning',
        mac,
        ips: tookBefore ? [ipText, tookBefore] : [ipText],
        vlan,
        message:
          `${where(ipText, vlan)} changed from ${from} (seen ${((t - wasSeen) / 1000).toFixed(1)} s ago) to ${mac}` +
          (gateway ? ': it is a gateway' : '') +
          (tookBefore ? `${gateway ? ', and' : ':'} ${mac} also took ${tookBefore} within ${this.flipWindowMs / 1000} s (a man in the middle poisons both ends)` : critical ? '' : ' (ARP spoofing, or a replaced NIC / failover)'),
        evidence: { ...evidence, ...(gateway ? { gateway: true } : {}), ...(tookBefore ? { alsoTook: tookBefore } : {}), ...(backToPrevious ? { reused: true } : {}) },
      },
      t,
      `chg|${v}|${ip}|${mac}`,
      this.flipWindowMs,
    );
  }

  private checkStorm(hi: number, lo: number, mac: string, ip: number, vlan: number | null, t: number): void {
    const m = this.macSlot(hi, lo, t);
    const base = m * this.ring;
    const n = this.ring;
    // One slot per distinct IP: refresh its time, else take the ring's next slot (the oldest write).
    let k = 0;
    for (; k < n; k++) if (this.rIp[base + k] === ip && this.rTime[base + k] !== -Infinity) break;
    if (k === n) {
      k = this.rHead[m]!;
      this.rHead[m] = (k + 1) % n;
      this.rIp[base + k] = ip;
    }
    this.rTime[base + k] = t;
    let live = 0;
    for (let j = 0; j < n; j++) if (t - this.rTime[base + j]! <= this.stormWindowMs) live++;
    if (live < this.stormIps) return;
    const ips: string[] = [];
    for (let j = 0; j < n; j++) if (t - this.rTime[base + j]! <= this.stormWindowMs) ips.push(formatIpv4(this.rIp[base + j]!));
    this.finding(
      {
        kind: 'reply-storm',
        severity: 'critical',
        mac,
        ips: ips.slice(0, 50),
        vlan,
        message: `${mac} replied for ${live}${live >= this.ring ? ' or more' : ''} different IPs within ${this.stormWindowMs / 1000} s: a rogue proxy ARP host answering for everything`,
        evidence: { count: live, windowMs: this.stormWindowMs },
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
      { kind: 'malformed', severity: 'info', mac: typeof raw.ethSrc === 'string' ? raw.ethSrc : null, ips: [], vlan: null, message: `malformed ARP frame(s): ${issue.message} (counted and dropped)`, evidence: { code: issue.code } },
      frame.time,
      `malformed|${issue.code}`,
      this.stormWindowMs,
    );
  }

  /** Drop what no future frame can use, oldest first, stopping at the first still-live entry: O(expired). */
  private housekeep(t: number): void {
    this.lastHousekeep = t;
    this.sinceHousekeep = 0;
    for (let p = this.pend.oldest(); p >= 0; p = this.pend.oldest()) {
      if (t - this.pTime[p * REQS + this.pN[p]! - 1]! <= this.pairWindowMs) break;
      this.dropPending(p);
    }
    const keep = Math.max(this.stormWindowMs, this.flipWindowMs);
    for (let m = this.mt.oldest(); m >= 0 && t - this.mLast[m]! > keep; m = this.mt.oldest()) this.mt.remove(m);
    if (this.raised.size > 0 && t - this.lastRaisedSweep >= 10 * HOUSEKEEP_MS) {
      this.lastRaisedSweep = t;
      for (const [key, until] of this.raised) if (until <= t) this.raised.delete(key);
    }
  }

  /** Sizes of the internal structures (for tests and metrics: all of them must stay bounded). */
  sizes(): { table: number; protected: number; pending: number; replyMacs: number; raised: number; history: number; seenMacs: number } {
    return { table: this.st.size, protected: this.st.counts[PROTECTED]!, pending: this.pend.size, replyMacs: this.mt.size, raised: this.raised.size, history: this.history.size, seenMacs: this.seenMacs.size };
  }

  summary(interrupted = false): WatchSummary {
    const multiMacIps: Record<string, string[]> = {};
    let listed = 0;
    for (const [s, h] of this.history) {
      if (h.macs.length < 2 || this.st.list[s] === 255) continue;
      if (++listed > 1000) break;
      multiMacIps[where(formatIpv4(this.st.keyLo[s]!), vlanOf(this.st.keyHi[s]!))] = [...h.macs];
    }
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
      suppressedByKind: { ...this.suppressed },
      ips: this.st.size,
      macs: this.seenMacs.size,
      macsCapped: this.macsCapped,
      newStations: this.counts.newStations,
      multiMacIps,
      evicted: this.counts.evicted,
      durationMs: Number.isNaN(this.first) ? 0 : Math.round((this.last - this.first) * 1000) / 1000,
      interrupted,
    };
  }

  /** Findings held back by the rate gate so far, by kind. */
  suppressedByKind(): Record<string, number> {
    return { ...this.suppressed };
  }

  /** Number of stations claimed by more than one MAC during the run (still in the table). */
  conflictedIps(): number {
    let n = 0;
    for (const h of this.history.values()) if (h.macs.length > 1) n++;
    return n;
  }

  /** The station table, least recently seen first (probation, then protected): what --state writes. */
  stations(): Station[] {
    const out: Station[] = [];
    for (const list of [PROBATION, PROTECTED])
      for (let s = this.st.oldest(list); s >= 0; s = this.st.newer(s)) {
        const h = this.history.get(s);
        out.push({
          ip: formatIpv4(this.st.keyLo[s]!),
          vlan: vlanOf(this.st.keyHi[s]!),
          mac: macText(this.stMacHi[s]!, this.stMacLo[s]!),
          firstSeen: this.stFirst[s]!,
          lastSeen: this.stLast[s]!,
          frames: this.stFrames[s]!,
          ...(this.stFlags[s]! & F_HAS_PREV ? { previousMac: macText(this.stPrevHi[s]!, this.stPrevLo[s]!), previousSeen: this.stPrevSeen[s]! } : {}),
          macsSeen: h ? h.macs.length : 1,
        });
      }
    return out;
  }

  /** The current table as (ip, mac) pairs, least recently seen first (for metrics and tests). */
  entries(): Array<{ ip: string; vlan: number | null; mac: string; macsSeen: number }> {
    return this.stations().map(({ ip, vlan, mac, macsSeen }) => ({ ip, vlan, mac, macsSeen }));
  }

  /** Bytes held by the typed-array state (excluding the few JS objects: histories, dedup keys). */
  stateBytes(): number {
    const arrays = [this.stMacHi, this.stMacLo, this.stPrevHi, this.stPrevLo, this.stFirst, this.stLast, this.stSince, this.stPrevSeen, this.stFrames, this.stFlags, this.pTime, this.pSpa, this.pShaHi, this.pShaLo, this.pN, this.mLast, this.rIp, this.rTime, this.rHead, this.mTookIp, this.mTookVlan, this.mTookTime];
    return arrays.reduce((n, a) => n + a.byteLength, 0) + this.st.bytes() + this.pend.bytes() + this.mt.bytes() + this.seenMacs.bytes() + this.pBy.length * 8;
  }
}
