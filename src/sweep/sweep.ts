/**
 * sweep(): ask for every address in a range, keep every reply, and say who is hijacking.
 * Defaults are chosen against the kernel's proxy ARP behaviour (kernel-arp-model.md §4): proxied
 * replies come after U(0, proxy_delay = 0.8 s) and a device queues at most ~65 of them, so
 *  - canaries are asked first (a full queue cannot hide them),
 *  - the per-attempt timeout (1 s) covers proxy_delay,
 *  - unanswered targets are asked again (2 retries, backoff 1.5): a queue that overflowed in one
 *    pass drains before the next, so a rogue proxy's claims are seen in full on a /24.
 */
import { DEFAULT_SNAPLEN, PcapLink, ringSlotBytes } from '../link/pcap-link.js';
import { chooseSenderIp, interfaceIpv4Once, interfaceMac, assertInterfaceName } from '../link/interfaces.js';
import type { Link } from '../link/link.js';
import { PcapWriter } from '../link/pcap-file.js';
import { type Logger, silentLogger } from '../log.js';
import { type Clock, systemClock } from '../time/clock.js';
import { checkInt, checkIp, checkMac, checkOp } from '../probe/options.js';
import type { ReplyRecord, UnsolicitedRecord } from '../records/records.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { BROADCAST_MAC, ZERO_MAC, formatIpv4, formatMac, parseIpv4 } from '../wire/address.js';
import { ArpOp } from '../wire/codes.js';
import { encodeArpFrame } from '../wire/frame.js';
import { BANDWIDTH_FORMS, DEFAULT_RATE_PPS, assertNotFlood, parseBandwidth } from '../pacing/flood.js';
import { DEFAULT_MAX_IPS_PER_MAC, type Finding, type Net, Observations, type ReplyFacts } from '../detect/findings.js';
import { type Severity, finding, sortFindings, worstSeverity } from '../findings/finding.js';
import { localNetsOf } from '../link/interfaces.js';
import { type ReplyView, type SweepProgress, runSweepEngine } from './engine.js';
import { defaultCanaries, expandTargets, mulberry32, shuffle } from './targets.js';

/**
 * While replies flow, at most this many requests are ahead of the replies captured: half the
 * kernel's default proxy_qlen (64), so a proxy ARP host answering after up to proxy_delay never
 * drops a request for a full queue. (A silent segment is not held back: see engine.ts.)
 */
export const PROXY_WINDOW = 32;

/**
 * The capture ring a sweep opens: room for every frame the sweep can bring back (each request is
 * captured twice, as its echo and its reply), at least SWEEP_RING_MIN for the segment's other ARP
 * traffic, at most SWEEP_RING_MAX. The window (PROXY_WINDOW, and a quarter of the ring) keeps the
 * sweep's own frames in flight far below that, and the loop drains the ring between two batches;
 * the ring's pages count in the process's memory once the kernel has written them, so a ring larger
 * than the need only costs memory (8 MiB, watch's default, was 8 MB of a /16 sweep's RSS).
 * Frames the kernel still drops are reported (summary.dropped, a capture-drops finding).
 */
export const SWEEP_RING_MIN = 256 << 10;
export const SWEEP_RING_MAX = 1 << 20;
/**
 * The block the targets span when they look like one (first and last n - 1 apart: a CIDR or a range),
 * for the findings' dense table. A guess, checked in O(1): a key outside the block still lands in
 * the table's hash part, so a wrong guess costs memory, never an answer.
 */
function ascendingRun(t: Uint32Array): { base: number; len: number } | undefined {
  return t.length > 0 && t[t.length - 1]! - t[0]! === t.length - 1 ? { base: t[0]!, len: t.length } : undefined;
}

export function sweepRingBytes(requests: number, snaplen = DEFAULT_SNAPLEN): number {
  return Math.min(SWEEP_RING_MAX, Math.max(SWEEP_RING_MIN, 2 * requests * ringSlotBytes(snaplen)));
}

export const SWEEP_DEFAULTS = {
  ratePps: DEFAULT_RATE_PPS,
  retries: 2,
  backoff: 1.5,
  timeoutMs: 1000,
  waitMs: 1000,
} as const;

export { FLOOD_FRAMES_MAX, FLOOD_PPS_MAX, FLOOD_UNPACED_MAX, assertNotFlood } from '../pacing/flood.js';

export interface SweepOptions {
  iface: string;
  /** Allow a plan the flood guard refuses (assertNotFlood). */
  yesFlood?: boolean;
  /** CIDR blocks, ranges, IPs. */
  targets: string[];
  maxTargets?: number;
  includeEdges?: boolean;
  /** Sender IP; 'dest': each request's own target IP (arp-scan --arpspa=dest). Default: see chooseSenderIp. */
  sip?: string;
  sha?: string;
  /** Target MAC in the ARP body (default 00:00:00:00:00:00). */
  tha?: string;
  /** ARP opcode (default 1, request), as probe's. */
  op?: number | 'request' | 'reply' | string;
  ethSrc?: string;
  ethDst?: string;
  vlan?: number;
  /** Sends per second (default 500, like arp-scan). */
  ratePps?: number;
  /** Bits per second on the wire (arp-scan's formula: 64 bytes per request); the slower of rate and bandwidth wins. A string may carry a K/M/G suffix ("1M", "256k"). */
  bandwidth?: number | string;
  retries?: number;
  backoff?: number;
  timeoutMs?: number;
  waitMs?: number;
  deadlineMs?: number;
  /** Stop at once when this many targets have answered (arp-scan --limit). Findings then cover what was seen; missing-host is not raised for targets not asked. */
  limit?: number;
  random?: boolean;
  seed?: number;
  /** Extra canaries; `canaries: false` disables them (default: one per documentation range not swept). */
  canaries?: string[] | false;
  maxIpsPerMac?: number;
  /** The interface's subnets, for off-link targets (default: read from the interface; none with a caller's link). */
  localNets?: Net[];
  baseline?: Map<string, string>;
  pcap?: string;
  /** Promiscuous capture (default true). */
  promisc?: boolean;
  /**
   * Keep every reply record in the result (default true). A caller that streams them through onReply
   * can say false: findings are gathered incrementally, and a /16 then needs no per-reply memory.
   * Unsolicited records (one per source, bounded: see engine.ts) are then only streamed through
   * onUnsolicited, not kept either; every unsolicited reply is counted in the summary either way.
   */
  keepReplies?: boolean;
  onReply?: (r: ReplyRecord) => void;
  /**
   * Every reply as the engine reads it (numbers and the frame's bytes; view.record() builds its
   * record): for a consumer that prints or counts without a record per reply. Valid only during the call.
   */
  onReplyView?: (v: ReplyView) => void;
  onUnsolicited?: (r: UnsolicitedRecord) => void;
  onProgress?: (p: SweepProgress) => void;
  /** Called once before sending, with the plan (for a time estimate). */
  onStart?: (plan: SweepPlanInfo) => void;
  signal?: AbortSignal;
  logger?: Logger;
  link?: Link;
  clock?: Clock;
}

export interface SweepPlanInfo {
  targets: number;
  canaries: string[];
  ratePps: number;
  retries: number;
  timeoutMs: number;
  waitMs: number;
  sip: string;
  /** How sip was chosen: "given", or defaultSenderIp's rule, or SPOOFED_SIP_RULE (0.0.0.0). */
  sipRule: string;
  sha: string;
  /** Lower bound of the run time when nobody answers: n/rate for each pass plus timeouts, plus the window. */
  estimateMs: number;
}

export interface SweepSummary {
  type: 'summary';
  iface: string;
  /** The sender IP the requests carried, and how it was chosen (see SweepPlanInfo.sipRule). */
  sip: string;
  sipRule: string;
  targets: number;
  canaries: number;
  sent: number;
  replies: number;
  answered: number;
  unanswered: number;
  canariesAnswered: number;
  /** Replies that answered nothing we sent (every one counted; one record and one finding per source). */
  unsolicited: number;
  /** Unsolicited replies by sender MAC, the 16 largest (the rest under "other"), as probe's summary. */
  unsolicitedByMac: Record<string, number>;
  malformed: number;
  /** Distinct MACs that answered. */
  responders: number;
  findings: number;
  /** The worst severity found, or null. */
  worst: Severity | null;
  durationMs: number;
  ratePps: number;
  interrupted: boolean;
  deadlineReached: boolean;
  /** Stopped early because `limit` targets answered. */
  limitReached: boolean;
  /** Targets never asked (the sweep stopped first: limit, deadline, Ctrl-C); not counted as unanswered. */
  notAsked: number;
  /** Frames the kernel dropped while we listened (capture ring full): replies may be missing. */
  dropped: number;
}

export interface SweepResult {
  replies: ReplyRecord[];
  unsolicited: UnsolicitedRecord[];
  findings: Finding[];
  summary: SweepSummary;
  plan: SweepPlanInfo;
  /** The environment error that stopped the sweep there (summary.interrupted): the pcap could not be written (disk full; the file holds the whole records before it), or the capture died (the interface went away). */
  fileError?: EnvironmentError;
}

/** Binary search in a sorted Uint32Array. */
function sortedHas(a: Uint32Array, x: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! === x) return true;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** `sip: 'dest'` (arp-scan --arpspa=dest): every request's sender IP is its own target IP. The summary's sip says "dest". */
export const SIP_DEST = 'dest';
export const SIP_DEST_RULE = "dest: each request's sender IP is its own target IP (arp-scan --arpspa=dest)";

function checkSweepSip(value: string): string {
  try {
    return checkIp(value, 'sip');
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.code, e.message, { hint: 'use dotted-quad form (192.0.2.10), 0.0.0.0 for an RFC 5227 probe, or dest: each target\'s own IP', option: 'sip' });
    throw e;
  }
}

/** Frame interval from a bandwidth, as arp-scan computes it (64 bytes of wire per request). */
export const ppsForBandwidth = (bitsPerSecond: number): number => bitsPerSecond / (64 * 8);

export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const log = o.logger ?? silentLogger;
  assertInterfaceName(o.iface);
  const maxTargets = o.maxTargets !== undefined ? checkInt(o.maxTargets, 'maxTargets', 1, 2 ** 24) : undefined;
  const targets = expandTargets(o.targets, { includeEdges: o.includeEdges === true, ...(maxTargets !== undefined ? { maxTargets } : {}) });
  if (o.random) shuffle(targets, mulberry32(o.seed !== undefined ? checkInt(o.seed, 'seed', 0, 2 ** 32 - 1) : Date.now() >>> 0));
  const canaryList = o.canaries === false ? [] : [...defaultCanaries(targets), ...(o.canaries ?? []).map((c) => checkIp(c, 'canaries'))];
  const canaries = [...new Set(canaryList)].filter((c) => !targets.includes(parseIpv4(c)!));
  let ratePps = o.ratePps !== undefined ? checkInt(o.ratePps, 'ratePps', 0, 10_000_000) : SWEEP_DEFAULTS.ratePps;
  if (o.bandwidth !== undefined) {
    const bps = typeof o.bandwidth === 'string' ? parseBandwidth(o.bandwidth) : o.bandwidth;
    if (bps === undefined) throw new UsageError('ERR_INVALID_NUMBER', `bandwidth: "${o.bandwidth}" is not a bandwidth: give ${BANDWIDTH_FORMS}`, { option: 'bandwidth' });
    const bw = ppsForBandwidth(checkInt(bps, 'bandwidth', 512, 100_000_000_000));
    ratePps = o.ratePps !== undefined && ratePps > 0 ? Math.min(ratePps, bw) : bw;
  }
  const retries = o.retries !== undefined ? checkInt(o.retries, 'retries', 0, 20) : SWEEP_DEFAULTS.retries;
  // Before anything about the interface is read: a refused flood is bad input, whatever the machine.
  assertNotFlood({ what: 'targets', unpacedCount: targets.length, frames: (targets.length + canaries.length) * (1 + retries), ratePps, yesFlood: o.yesFlood });
  const backoff = o.backoff ?? SWEEP_DEFAULTS.backoff;
  if (!(backoff >= 1 && backoff <= 10)) throw new UsageError('ERR_INVALID_NUMBER', `--backoff: "${backoff}" must be a number from 1 to 10`);
  const timeoutMs = o.timeoutMs !== undefined ? checkInt(o.timeoutMs, 'timeoutMs', 1, 3_600_000) : SWEEP_DEFAULTS.timeoutMs;
  const waitMs = o.waitMs !== undefined ? checkInt(o.waitMs, 'waitMs', 0, 86_400_000) : SWEEP_DEFAULTS.waitMs;
  const deadlineMs = o.deadlineMs !== undefined ? checkInt(o.deadlineMs, 'deadlineMs', 1, 2 ** 31 - 1) : undefined;
  const limit = o.limit !== undefined ? checkInt(o.limit, 'limit', 1, 2 ** 24) : undefined;
  const vlan = o.vlan !== undefined ? checkInt(o.vlan, 'vlan', 0, 4094) : undefined;
  const sha = o.sha !== undefined ? checkMac(o.sha, 'sha') : interfaceMac(o.iface);
  const ethSrc = o.ethSrc !== undefined ? checkMac(o.ethSrc, 'ethSrc') : sha;
  const sipDest = o.sip !== undefined && String(o.sip).toLowerCase() === 'dest';
  // The interface's addresses, read once for the sender IP and the local subnets.
  const ifaceAddrs = interfaceIpv4Once(o.iface);
  const chosen = o.sip !== undefined ? undefined : chooseSenderIp(o.iface, formatIpv4(targets[0]!), { sha: o.sha !== undefined ? sha : undefined, ethSrc: o.ethSrc !== undefined ? ethSrc : undefined }, ifaceAddrs);
  const sip = sipDest ? SIP_DEST : o.sip !== undefined ? checkSweepSip(o.sip) : chosen!.ip;
  const sipRule = sipDest ? SIP_DEST_RULE : (chosen?.rule ?? 'given');
  const tha = o.tha !== undefined ? checkMac(o.tha, 'tha') : ZERO_MAC;
  const op = o.op !== undefined ? checkOp(o.op as string | number) : ArpOp.Request;
  if (chosen?.warning) log.warn({ sip, sipRule }, chosen.warning);
  const ethDst = o.ethDst !== undefined ? checkMac(o.ethDst, 'ethDst') : BROADCAST_MAC;
  const vlans = vlan === undefined ? [] : [{ vid: vlan }];
  const maxIpsPerMac = o.maxIpsPerMac !== undefined ? checkInt(o.maxIpsPerMac, 'maxIpsPerMac', 1, 2 ** 24) : DEFAULT_MAX_IPS_PER_MAC;

  const n = targets.length + canaries.length;
  const passMs = ratePps > 0 ? (n / ratePps) * 1000 : 0;
  let estimateMs = passMs + timeoutMs;
  for (let k = 1; k <= retries; k++) estimateMs += passMs + timeoutMs * Math.pow(backoff, k);
  const plan: SweepPlanInfo = { targets: targets.length, canaries, ratePps, retries, timeoutMs, waitMs, sip, sipRule, sha, estimateMs: Math.round(Math.max(estimateMs, passMs + waitMs)) };
  o.onStart?.(plan);
  log.info({ iface: o.iface, ...plan }, 'sweep');

  // Every request is the same but for the target IP: one buffer, 4 bytes patched per send. Sends are
  // synchronous and the pcap writer copies, so reusing it is safe (and allocates nothing per target).
  // With --sip dest the sender IP is patched too (4 more bytes): each request claims its own target.
  const f = encodeArpFrame({ op, senderMac: sha, senderIp: sipDest ? '0.0.0.0' : sip, targetMac: tha, targetIp: '0.0.0.0', ethSrc, ethDst, vlans });
  const spaOffset = 14 + 4 * vlans.length + 14;
  const tpaOffset = 14 + 4 * vlans.length + 24;
  const put = (at: number, ip: number) => {
    f[at] = ip >>> 24;
    f[at + 1] = (ip >>> 16) & 0xff;
    f[at + 2] = (ip >>> 8) & 0xff;
    f[at + 3] = ip & 0xff;
  };
  const buildFrame = (ip: number): Uint8Array => {
    put(tpaOffset, ip);
    if (sipDest) put(spaOffset, ip);
    return f;
  };

  const clock = o.clock ?? systemClock;
  // Off-link = outside every subnet of the interface (a caller's link with no interface: give localNets).
  const obs = new Observations(canaries, o.localNets ?? (o.link ? [] : localNetsOf(o.iface, ifaceAddrs)), targets.length, ascendingRun(targets));
  const keep = o.keepReplies !== false;
  const kept: ReplyRecord[] = [];
  // Each reply feeds the verdict from the engine's view (numbers, one string per MAC); a record is
  // built only for a caller that keeps or receives records.
  const facts: ReplyFacts = { mac: '', ethSrc: '', ethSrcMismatch: false };
  const wantRecords = keep || o.onReply !== undefined;
  const onReplyView = (v: ReplyView) => {
    facts.mac = v.mac;
    facts.ethSrcMismatch = v.ethSrcMismatch;
    facts.ethSrc = v.ethSrcMismatch ? formatMac(v.bytes, 6) : v.mac;
    obs.addIp(v.ip, facts);
    o.onReplyView?.(v);
    if (wantRecords) {
      const r = v.record();
      if (keep) kept.push(r);
      o.onReply?.(r);
    }
  };
  const onUnsolicited = (u: UnsolicitedRecord) => {
    obs.addUnsolicited(u);
    o.onUnsolicited?.(u);
  };
  let link: Link | undefined;
  let pcap: PcapWriter | undefined;
  // A pcap that cannot be written ends the sweep like Ctrl-C: what was collected is still reported.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  try {
    // The window keeps a proxy ARP host's queue (proxy_qlen 64) from overflowing, so it applies to a
    // link the caller brings too. The ring (sweepRingBytes: at most 1 MiB, ~3,100 slots of 336 bytes
    // at snaplen 256) is not what limits it: a quarter of the ring, since each request is captured as its echo and its reply.
    const live = o.link
      ? undefined
      : PcapLink.open(o.iface, { clock, logger: log, bufferSize: sweepRingBytes(n * (1 + retries)), onError: (e) => stop.abort(e), ...(o.promisc === false ? { promisc: false } : {}) });
    link = o.link ?? live!;
    // Only now, after every check (privileges, interface, capture): a failed start leaves an earlier capture alone.
    pcap = o.pcap !== undefined ? PcapWriter.open(o.pcap, { nanosecond: true, onError: (e) => stop.abort(e) }) : undefined;
    const w = pcap;
    const r = await runSweepEngine({
      link,
      clock,
      targets,
      canaries: canaries.map((c) => parseIpv4(c)!),
      buildFrame,
      vlan,
      ratePps,
      retries,
      timeoutMs,
      backoff,
      waitMs,
      deadlineMs,
      limit,
      maxAhead: live ? Math.min(PROXY_WINDOW, Math.floor(live.ringFrames / 4)) : PROXY_WINDOW,
      onReplyView,
      onUnsolicited,
      keepUnsolicited: keep,
      onProgress: o.onProgress,
      onCaptured: w ? (f) => w.writeCaptured(f) : undefined,
      signal,
      logger: log,
    });
    const mem = process.memoryUsage();
    log.debug({ durationMs: r.durationMs, sent: r.sent, replies: r.replies, rssMb: Math.round(mem.rss / 1048576), heapUsedMb: Math.round(mem.heapUsed / 1048576), externalMb: Math.round(mem.external / 1048576) }, 'sweep done');
    obs.countUnsolicited(r.unsolicitedCounts);
    const swept = o.baseline ? targets.slice().sort() : undefined;
    const findings = obs.findings({
      maxIpsPerMac,
      // missing-host only for a target whose silence was observed (every attempt timed out), not one never asked.
      ...(o.baseline && swept ? { baseline: o.baseline, swept: (ip: string) => sortedHas(swept, parseIpv4(ip)!) && r.settled(parseIpv4(ip)!) } : {}),
    });
    const dropped = link.stats().dropped;
    if (dropped > 0) {
      findings.push(finding('capture-drops', { mac: null, ips: [], message: `the kernel dropped ${dropped} frame(s) while we listened (capture ring full): replies, and so findings, may be missing`, evidence: { dropped } }));
      sortFindings(findings);
    }
    const worst = worstSeverity(findings);
    const summary: SweepSummary = {
      type: 'summary',
      iface: link.name,
      sip,
      sipRule,
      targets: targets.length,
      canaries: canaries.length,
      sent: r.sent,
      replies: r.replies,
      answered: r.answered,
      unanswered: targets.length - r.answered - r.notAsked,
      canariesAnswered: r.canariesAnswered,
      unsolicited: r.unsolicitedCount,
      unsolicitedByMac: r.unsolicitedByMac,
      malformed: r.malformed,
      responders: obs.responders,
      findings: findings.length,
      worst,
      durationMs: r.durationMs,
      ratePps,
      interrupted: r.interrupted,
      deadlineReached: r.deadlineReached,
      limitReached: r.limitReached,
      notAsked: r.notAsked,
      dropped,
    };
    w?.close();
    return { replies: kept, unsolicited: r.unsolicited, findings, summary, plan, ...(stop.signal.reason instanceof EnvironmentError ? { fileError: stop.signal.reason } : {}) };
  } finally {
    if (!o.link) link?.close();
    pcap?.close();
  }
}
