/**
 * probe(): the library's main entry. Craft who-has (or any ARP) frames with the fields you choose,
 * send them on an interface through libpcap, capture and correlate every reply.
 */
import { DEFAULT_RING_BYTES, PcapLink } from '../link/pcap-link.js';
import { assertInterfaceName, chooseSenderIp, interfaceMac, localNetsOf } from '../link/interfaces.js';
import { DEFAULT_MAX_IPS_PER_MAC, type Net, detect } from '../detect/findings.js';
import { type Finding, type Severity, finding, sortFindings, worstSeverity } from '../findings/finding.js';
import type { Link } from '../link/link.js';
import { PcapWriter } from '../link/pcap-file.js';
import { type Logger, silentLogger } from '../log.js';
import { BROADCAST_MAC, ZERO_MAC } from '../wire/address.js';
import { ArpOp } from '../wire/codes.js';
import { encodeArpFrame } from '../wire/frame.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { type Clock, systemClock } from '../time/clock.js';
import { checkInt, checkIp, checkMac, checkNumber, checkOp } from './options.js';
import { DEFAULT_RATE_PPS, assertNotFlood } from '../pacing/flood.js';
import type { ProbeRecord } from '../records/records.js';
import { DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS, type PlannedRequest, type SessionOptions, type SessionResult, runSession } from './session.js';

export interface ProbeOptions {
  /** Interface to send on and capture from. */
  iface: string;
  /** Target IPs (ARP tpa). */
  targets: string[];
  /** Sender IP (spa). Default: 0.0.0.0 when sha/ethSrc is spoofed, else see defaultSenderIp (interface address, else the kernel's route source, borrowed). */
  sip?: string;
  /** Sender MAC (sha). Default: the interface's MAC. */
  sha?: string;
  /** Target MAC (tha). Default 00:00:00:00:00:00. */
  tha?: string;
  /** Ethernet source. Default: sha. */
  ethSrc?: string;
  /** Ethernet destination. Default: broadcast. */
  ethDst?: string;
  /** ARP opcode (default 1, request). */
  op?: number | 'request' | 'reply';
  /** 802.1Q VLAN id to tag the requests with. */
  vlan?: number;
  /** 802.1p priority for the tag (default 0). */
  vlanPriority?: number;
  /** Rounds (default 1); 0 = until the signal, deadlineMs or untilReplies ends the run (ping without -c). */
  count?: number;
  /** Between the starts of two rounds, ms; fractions allowed (200.5). */
  intervalMs?: number;
  timeoutMs?: number;
  waitMs?: number;
  /** Stop this long after the start, whatever was sent or is pending (arping -w). Fractions allowed. */
  deadlineMs?: number;
  /** Stop once this many replies arrived (arping -C). */
  untilReplies?: number;
  /** Running statistics every `everyMs` while the probe runs. */
  progress?: SessionOptions['progress'];
  /** Write every frame sent and received to this classic pcap file (nanosecond kernel stamps). */
  pcap?: string;
  /** The interface's subnets, for off-link targets (default: read from the interface; none with a caller's link). */
  localNets?: Net[];
  /** Requests per second (default 500, as sweep); 0 = every request of a round at once. */
  ratePps?: number;
  /** Allow what the flood guard refuses: --rate 0 above 4096 requests per round, or > 10,000 pps for > 10,000 frames. */
  yesFlood?: boolean;
  /** many-ips threshold (default 32). */
  maxIpsPerMac?: number;
  /** Promiscuous capture (default true: replies to a spoofed sha are addressed to another MAC). */
  promisc?: boolean;
  onRecord?: (r: ProbeRecord) => void;
  signal?: AbortSignal;
  logger?: Logger;
  /** Use this link instead of opening libpcap on `iface` (tests, replays). Not closed by probe(). */
  link?: Link;
  clock?: Clock;
}

/**
 * How long a probe keeps listening after its last request by default: a proxy ARP host answers a
 * broadcast who-has after a random delay of up to proxy_delay (0.8 s by default), so a second
 * responder shows up to 0.8 s after the first. `waitMs: 0` is the fast path (first replies only).
 */
export const DEFAULT_LISTEN_MS = 1000;

export interface ProbeResult extends SessionResult {
  /** Findings over the replies (ip-conflict, hijack, proxy-arp-router, eth-src-mismatch, capture-drops, unsolicited). */
  findings: Finding[];
  worst: Severity | null;
  /** How long the probe listened after its last request (0: first replies only). */
  listenedMs: number;
  /** The fields actually used, after defaults. */
  fields: { sip: string; sha: string; tha: string; ethSrc: string; ethDst: string; op: number; vlan: number | null; sipRule: string };
  /** The environment error that stopped the run there (summary.interrupted): the pcap could not be written (disk full; the file holds the whole records before it), or the capture died (the interface went away). */
  fileError?: EnvironmentError;
}

export interface ResolvedProbe {
  requests: PlannedRequest[];
  fields: ProbeResult['fields'];
  /** Why the sender IP is not the obvious one (spoofed MAC: 0.0.0.0; an address borrowed from another interface). */
  sipWarning?: string;
}

/** Validate options and build the frames, without touching the network. */
export function planProbe(o: ProbeOptions): ResolvedProbe {
  assertInterfaceName(o.iface);
  if (o.targets.length === 0) throw new UsageError('ERR_INVALID_ARGUMENT', 'no target: give at least one --tip');
  const targets = [...new Set(o.targets.map((t) => checkIp(t, 'targets')))];
  const sha = o.sha !== undefined ? checkMac(o.sha, 'sha') : interfaceMac(o.iface);
  const ethSrc = o.ethSrc !== undefined ? checkMac(o.ethSrc, 'ethSrc') : sha;
  let sip: string;
  let sipRule = 'given';
  let sipWarning: string | undefined;
  if (o.sip !== undefined) sip = checkIp(o.sip, 'sip');
  else {
    const d = chooseSenderIp(o.iface, targets[0]!, { sha: o.sha !== undefined ? sha : undefined, ethSrc: o.ethSrc !== undefined ? ethSrc : undefined });
    sip = d.ip;
    sipRule = d.rule;
    sipWarning = d.warning;
  }
  const tha = o.tha !== undefined ? checkMac(o.tha, 'tha') : ZERO_MAC;
  const ethDst = o.ethDst !== undefined ? checkMac(o.ethDst, 'ethDst') : BROADCAST_MAC;
  const op = o.op !== undefined ? checkOp(o.op) : ArpOp.Request;
  const vlan = o.vlan !== undefined ? checkInt(o.vlan, 'vlan', 0, 4094) : undefined;
  const pcp = o.vlanPriority !== undefined ? checkInt(o.vlanPriority, 'vlanPriority', 0, 7) : 0;
  const vlans = vlan === undefined ? [] : [{ vid: vlan, pcp }];
  const requests = targets.map((tip) => ({
    tip,
    frame: encodeArpFrame({ op, senderMac: sha, senderIp: sip, targetMac: tha, targetIp: tip, ethSrc, ethDst, vlans }),
  }));
  return { requests, fields: { sip, sha, tha, ethSrc, ethDst, op, vlan: vlan ?? null, sipRule }, ...(sipWarning !== undefined ? { sipWarning } : {}) };
}

export async function probe(o: ProbeOptions): Promise<ProbeResult> {
  const log = o.logger ?? silentLogger;
  const rounds = o.count !== undefined ? checkInt(o.count, 'count', 0, 1_000_000) : 1;
  /** 0 = until stopped (Ctrl-C, the deadline, untilReplies). */
  const count = rounds === 0 ? Number.POSITIVE_INFINITY : rounds;
  const intervalMs = o.intervalMs !== undefined ? checkNumber(o.intervalMs, 'intervalMs', 0, 3_600_000) : DEFAULT_INTERVAL_MS;
  const deadlineMs = o.deadlineMs !== undefined ? checkNumber(o.deadlineMs, 'deadlineMs', 0, 86_400_000 * 365) : undefined;
  const untilReplies = o.untilReplies !== undefined ? checkInt(o.untilReplies, 'untilReplies', 1, 1_000_000_000) : undefined;
  const timeoutMs = o.timeoutMs !== undefined ? checkInt(o.timeoutMs, 'timeoutMs', 1, 3_600_000) : DEFAULT_TIMEOUT_MS;
  const waitMs = o.waitMs !== undefined ? checkInt(o.waitMs, 'waitMs', 0, 86_400_000) : DEFAULT_LISTEN_MS;
  const ratePps = o.ratePps !== undefined ? checkInt(o.ratePps, 'ratePps', 0, 10_000_000) : DEFAULT_RATE_PPS;
  const plan = planProbe(o);
  assertNotFlood({ what: 'requests per round', unpacedCount: plan.requests.length, frames: plan.requests.length * count, ratePps, yesFlood: o.yesFlood });
  if (count === Number.POSITIVE_INFINITY && intervalMs < 1 && !o.yesFlood)
    throw new UsageError('ERR_FLOOD', `refusing to flood: count 0 (until stopped) with an interval of ${intervalMs} ms sends rounds back to back, without end; that needs --yes-flood`, {
      hint: 'give an interval of 1 ms or more (e.g. --interval 0.2s), or add --yes-flood if the segment is yours to flood',
      option: 'intervalMs',
    });
  if (plan.sipWarning) log.warn({ sip: plan.fields.sip, sipRule: plan.fields.sipRule }, plan.sipWarning);
  log.info({ iface: o.iface, ...plan.fields, targets: plan.requests.length }, 'probe');
  const clock = o.clock ?? systemClock;
  let link: Link | undefined;
  let pcap: PcapWriter | undefined;
  // A pcap that cannot be written ends the run like Ctrl-C: what was collected is still reported.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  try {
    // Twice the default ring (16 MiB, ~50,000 frames at snaplen 256): ~200 ms of a 240 kpps flood.
    // With 8 MiB (~100 ms) the capture test's probe under that flood lost ~900 frames in 2 of ~12
    // runs (the start is faster now, so it overlaps more of the flood: native-notes/startup.md).
    link = o.link ?? PcapLink.open(o.iface, { clock, logger: log, bufferSize: 2 * DEFAULT_RING_BYTES, onError: (e) => stop.abort(e), ...(o.promisc === false ? { promisc: false } : {}) });
    // Only now, after every check (privileges, interface, capture): a failed start leaves an earlier capture alone.
    pcap = o.pcap !== undefined ? PcapWriter.open(o.pcap, { nanosecond: true, onError: (e) => stop.abort(e) }) : undefined;
    const w = pcap;
    const result = await runSession({
      link,
      clock,
      requests: plan.requests,
      count,
      intervalMs,
      timeoutMs,
      waitMs,
      ratePps,
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      ...(untilReplies !== undefined ? { untilReplies } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      onRecord: o.onRecord,
      onCaptured: w ? (f) => w.writeCaptured(f) : undefined,
      signal,
      logger: log,
    });
    w?.close();
    const findings = probeFindings(result, o.localNets ?? (o.link ? [] : localNetsOf(o.iface)), o.maxIpsPerMac ?? DEFAULT_MAX_IPS_PER_MAC);
    return { ...result, findings, worst: worstSeverity(findings), listenedMs: waitMs, fields: plan.fields, ...(stop.signal.reason instanceof EnvironmentError ? { fileError: stop.signal.reason } : {}) };
  } finally {
    if (!o.link) link?.close();
    pcap?.close();
  }
}

/** The sweep's rules over a probe's replies (no canaries: off-link = outside the interface's subnets), plus capture drops. */
export function probeFindings(r: Pick<SessionResult, 'replies' | 'unsolicited' | 'summary'>, localNets: Net[], maxIpsPerMac = DEFAULT_MAX_IPS_PER_MAC): Finding[] {
  const findings = detect({ replies: r.replies, unsolicited: r.unsolicited, localNets, maxIpsPerMac });
  if (r.summary.dropped > 0)
    findings.push(
      finding('capture-drops', {
        mac: null,
        ips: [],
        message: `the kernel dropped ${r.summary.dropped} frame(s) while we listened (capture ring full): replies, and so findings, may be missing`,
        evidence: { dropped: r.summary.dropped },
      }),
    );
  return sortFindings(findings);
}
