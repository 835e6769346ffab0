/**
 * announce() and dad(): send a planned series of frames that expect no reply (gratuitous ARP, RFC 5227
 * probes) and listen for anyone else claiming the address. A frame that expects no reply is never a
 * timeout: what these report is other MACs' claims (`claim` records, `ip-conflict` findings).
 * The schedule comes from timing.ts; this runner follows it on any Link and Clock.
 */
import { PcapLink } from '../link/pcap-link.js';
import { assertInterfaceName, interfaceMac } from '../link/interfaces.js';
import type { Captured, Link } from '../link/link.js';
import { type Finding, type Severity, finding, sortFindings, worstSeverity } from '../findings/finding.js';
import { type Logger, silentLogger } from '../log.js';
import { EnvironmentError } from '../errors.js';
import { BROADCAST_MAC, ZERO_MAC } from '../wire/address.js';
import { ArpOp } from '../wire/codes.js';
import { decodeArpFrame, encodeArpFrame, frameVlan } from '../wire/frame.js';
import { type Clock, type TimerHandle, systemClock } from '../time/clock.js';
import { checkInt, checkIp, checkMac, checkNumber } from './options.js';
import { type AnnounceTiming, DEFAULT_ANNOUNCE, type DadTiming, RFC5227, type SendPlan, announcePlan, dadPlan } from './timing.js';
import { isoTime } from '../time/iso.js';

/**
 * How another MAC claimed the address: `reply` (an ARP reply from it), `request` (an ARP request or
 * announcement carrying it as sender IP), `probe` (an RFC 5227 probe for it from another MAC:
 * someone else is about to take it; dad only).
 */
export type ClaimHow = 'reply' | 'request' | 'probe';

export interface ClaimRecord {
  type: 'claim';
  iface: string;
  /** The address announced or probed. */
  ip: string;
  /** The other host's ARP sender MAC. */
  mac: string;
  ethSrc: string;
  how: ClaimHow;
  /** ARP opcode of the frame. */
  op: number;
  vlan: number | null;
  /** Capture time, ISO 8601. */
  time: string;
  /** The MAC's vendor (IEEE registry), added by the CLI; null when unknown. */
  vendor?: string | null;
}

export interface ClaimRunResult {
  claims: ClaimRecord[];
  sent: number;
  durationMs: number;
  interrupted: boolean;
}

interface RunOptions {
  link: Link;
  clock: Clock;
  ip: string;
  /** Frames from these sender MACs are ours (the MAC we announce, the interface's). */
  ownMacs: Set<string>;
  frame: Uint8Array;
  plan: SendPlan;
  /** Count a probe (sender IP 0.0.0.0, target IP = ip) from another MAC as a claim (dad). */
  probesClaim: boolean;
  /** Stop at the first claim (dad: the address is in use; nothing more to learn). */
  stopOnClaim: boolean;
  onClaim?: ((c: ClaimRecord) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** One record per MAC and way of claiming: a host that answers every announcement is one claim. */
function runClaims(o: RunOptions): Promise<ClaimRunResult> {
  const { link, clock, ip } = o;
  const claims: ClaimRecord[] = [];
  const seen = new Set<string>();
  const timers = new Set<TimerHandle>();
  const startedAt = clock.now();
  let sent = 0;
  return new Promise<ClaimRunResult>((resolve, reject) => {
    let finished = false;
    const stop = (err: unknown, interrupted: boolean) => {
      if (finished) return;
      finished = true;
      unsubscribe();
      for (const h of timers) clock.clearTimer(h);
      timers.clear();
      o.signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) reject(err);
      else resolve({ claims, sent, durationMs: Math.round((clock.now() - startedAt) * 1000) / 1000, interrupted });
    };
    const at = (ms: number, fn: () => void) => {
      const h = clock.setTimer(Math.max(0, startedAt + ms - clock.now()), () => {
        timers.delete(h);
        fn();
      });
      timers.add(h);
    };
    const onFrame = (f: Captured) => {
      if (finished || f.sentId !== undefined) return; // our own frames, as the wire carried them
      const d = decodeArpFrame(f.bytes);
      if (!d.ok) return;
      const { arp, eth } = d.value;
      if (o.ownMacs.has(arp.senderMac)) return;
      let how: ClaimHow | undefined;
      if (arp.senderIp === ip) how = arp.op === ArpOp.Reply ? 'reply' : 'request';
      else if (o.probesClaim && arp.op === ArpOp.Request && arp.senderIp === '0.0.0.0' && arp.targetIp === ip) how = 'probe';
      if (how === undefined) return;
      const key = `${arp.senderMac}|${how}`;
      if (seen.has(key)) return;
      seen.add(key);
      const c: ClaimRecord = { type: 'claim', iface: link.name, ip, mac: arp.senderMac, ethSrc: eth.src, how, op: arp.op, vlan: frameVlan(eth) ?? null, time: isoTime(f.time) };
      claims.push(c);
      o.onClaim?.(c);
      if (o.stopOnClaim) stop(undefined, false);
    };
    const onAbort = () => stop(undefined, true);
    const unsubscribe = link.onFrame(onFrame);
    if (o.signal?.aborted) return stop(undefined, true);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    for (const ms of o.plan.sendAtMs)
      at(ms, () => {
        try {
          link.send(o.frame);
          sent++;
        } catch (err) {
          stop(err, false);
        }
      });
    at(o.plan.endAtMs, () => {
      // A claim already in the capture ring, not yet delivered, still counts.
      link.flush?.();
      stop(undefined, false);
    });
  });
}

interface CommonOptions {
  iface: string;
  /** The address to announce or probe for. */
  ip: string;
  signal?: AbortSignal;
  logger?: Logger;
  /** Use this link instead of opening libpcap on `iface` (tests). Not closed. */
  link?: Link;
  clock?: Clock;
  onClaim?: (c: ClaimRecord) => void;
  promisc?: boolean;
}

export interface AnnounceOptions extends CommonOptions {
  /** The MAC to announce (ARP sender and Ethernet source). Default: the interface's. */
  mac?: string;
  /** Gratuitous reply (op 2, tha = the announced MAC, as iputils arping -A) instead of a request. */
  reply?: boolean;
  count?: number;
  intervalMs?: number;
  /** Listening after the last frame, for a conflicting claim (default 1000 ms). */
  listenMs?: number;
}

export interface AnnounceSummary {
  type: 'summary';
  iface: string;
  ip: string;
  mac: string;
  announce: 'request' | 'reply';
  sent: number;
  count: number;
  intervalMs: number;
  listenedMs: number;
  /** Other MACs that claimed the address while we announced and listened. */
  conflicts: string[];
  findings: number;
  worst: Severity | null;
  durationMs: number;
  interrupted: boolean;
  ok: boolean;
}

export interface AnnounceResult {
  claims: ClaimRecord[];
  findings: Finding[];
  summary: AnnounceSummary;
  /** The capture died (the interface went away): the run stopped there. */
  linkError?: EnvironmentError;
}

/** Gratuitous ARP for `ip`: sender IP = target IP = ip, broadcast. */
export function announceFrame(ip: string, mac: string, reply = false): Uint8Array {
  return encodeArpFrame({ op: reply ? ArpOp.Reply : ArpOp.Request, senderMac: mac, senderIp: ip, targetMac: reply ? mac : ZERO_MAC, targetIp: ip, ethSrc: mac, ethDst: BROADCAST_MAC });
}

/** RFC 5227 probe for `ip`: sender IP 0.0.0.0, target MAC zero, broadcast. */
export function probeFrame(ip: string, mac: string): Uint8Array {
  return encodeArpFrame({ op: ArpOp.Request, senderMac: mac, senderIp: '0.0.0.0', targetMac: ZERO_MAC, targetIp: ip, ethSrc: mac, ethDst: BROADCAST_MAC });
}

const conflictFinding = (ip: string, ours: string, c: ClaimRecord[], what: string): Finding =>
  finding('ip-conflict', {
    mac: c[0]!.mac,
    ips: [ip],
    message: `${ip} is claimed by ${c[0]!.mac} (${c.map((x) => x.how).join(', ')}) while ${what} at ${ours}`,
    evidence: { macs: [ours, c[0]!.mac], how: c.map((x) => x.how), ours },
  });

function findingsOf(ip: string, ours: string, claims: ClaimRecord[], what: string): Finding[] {
  const byMac = new Map<string, ClaimRecord[]>();
  for (const c of claims) byMac.set(c.mac, [...(byMac.get(c.mac) ?? []), c]);
  return sortFindings([...byMac.values()].map((c) => conflictFinding(ip, ours, c, what)));
}

async function withLink<T>(o: CommonOptions, clock: Clock, fn: (link: Link, signal: AbortSignal, stop: AbortController) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  let link: Link | undefined;
  try {
    link = o.link ?? PcapLink.open(o.iface, { clock, logger: o.logger ?? silentLogger, onError: (e) => stop.abort(e), ...(o.promisc === false ? { promisc: false } : {}) });
    return await fn(link, signal, stop);
  } finally {
    if (!o.link) link?.close();
  }
}

export async function announce(o: AnnounceOptions): Promise<AnnounceResult> {
  assertInterfaceName(o.iface);
  const ip = checkIp(o.ip, 'ip');
  const count = o.count !== undefined ? checkInt(o.count, 'count', 1, 1_000_000) : DEFAULT_ANNOUNCE.count;
  const intervalMs = o.intervalMs !== undefined ? checkNumber(o.intervalMs, 'intervalMs', 0, 3_600_000) : DEFAULT_ANNOUNCE.intervalMs;
  const listenMs = o.listenMs !== undefined ? checkNumber(o.listenMs, 'listenMs', 0, 3_600_000) : DEFAULT_ANNOUNCE.listenMs;
  const mac = o.mac !== undefined ? checkMac(o.mac, 'mac') : interfaceMac(o.iface);
  const timing: AnnounceTiming = { count, intervalMs, listenMs };
  const clock = o.clock ?? systemClock;
  o.logger?.info({ iface: o.iface, ip, mac, reply: !!o.reply, ...timing }, 'announce');
  return withLink(o, clock, async (link, signal, stop) => {
    const r = await runClaims({ link, clock, ip, ownMacs: new Set([mac]), frame: announceFrame(ip, mac, o.reply), plan: announcePlan(timing), probesClaim: false, stopOnClaim: false, onClaim: o.onClaim, signal });
    const findings = findingsOf(ip, mac, r.claims, 'we announce it');
    const conflicts = [...new Set(r.claims.map((c) => c.mac))];
    const summary: AnnounceSummary = { type: 'summary', iface: link.name, ip, mac, announce: o.reply ? 'reply' : 'request', sent: r.sent, count, intervalMs, listenedMs: listenMs, conflicts, findings: findings.length, worst: worstSeverity(findings), durationMs: r.durationMs, interrupted: r.interrupted, ok: conflicts.length === 0 && r.sent === count };
    return { claims: r.claims, findings, summary, ...(stop.signal.reason instanceof EnvironmentError ? { linkError: stop.signal.reason } : {}) };
  });
}

export interface DadOptions extends CommonOptions {
  /** The MAC to probe from (ARP sender, Ethernet source). Default: the interface's. */
  mac?: string;
  /** RFC 5227 timings (default RFC5227; FAST_DAD for tests). */
  timing?: Partial<DadTiming>;
  /** [0, 1) source for PROBE_WAIT and the gaps (default Math.random). */
  random?: () => number;
}

export interface DadSummary {
  type: 'summary';
  iface: string;
  ip: string;
  mac: string;
  /** Probes sent (fewer than probeNum when a claim stopped the run). */
  sent: number;
  timing: DadTiming;
  /** Someone else claims (or is probing for) the address. */
  inUse: boolean;
  /** The MACs that did. */
  by: string[];
  findings: number;
  worst: Severity | null;
  durationMs: number;
  interrupted: boolean;
  /** Free: nobody claimed it, and the run was not cut short. */
  ok: boolean;
}

export interface DadResult {
  claims: ClaimRecord[];
  findings: Finding[];
  summary: DadSummary;
  linkError?: EnvironmentError;
}

/** RFC 5227 address conflict detection (iputils arping -D): is `ip` free on this link? */
export async function dad(o: DadOptions): Promise<DadResult> {
  assertInterfaceName(o.iface);
  const ip = checkIp(o.ip, 'ip');
  const mac = o.mac !== undefined ? checkMac(o.mac, 'mac') : interfaceMac(o.iface);
  const timing: DadTiming = { ...RFC5227, ...o.timing };
  const plan = dadPlan(timing, o.random);
  const clock = o.clock ?? systemClock;
  o.logger?.info({ iface: o.iface, ip, mac, ...timing, plan }, 'dad');
  return withLink(o, clock, async (link, signal, stop) => {
    const r = await runClaims({ link, clock, ip, ownMacs: new Set([mac]), frame: probeFrame(ip, mac), plan, probesClaim: true, stopOnClaim: true, onClaim: o.onClaim, signal });
    const findings = findingsOf(ip, mac, r.claims, 'we probe for it');
    const by = [...new Set(r.claims.map((c) => c.mac))];
    const summary: DadSummary = { type: 'summary', iface: link.name, ip, mac, sent: r.sent, timing, inUse: by.length > 0, by, findings: findings.length, worst: worstSeverity(findings), durationMs: r.durationMs, interrupted: r.interrupted, ok: by.length === 0 && !r.interrupted };
    return { claims: r.claims, findings, summary, ...(stop.signal.reason instanceof EnvironmentError ? { linkError: stop.signal.reason } : {}) };
  });
}
