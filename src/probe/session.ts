/**
 * One probe run over any Link and Clock: send rounds of requests, pair every reply with the request
 * it answers, time out the unanswered ones, keep listening for the --wait window, then summarise.
 * All replies are kept (several MACs for one IP, duplicates, late ones); replies that answer nothing
 * we sent are reported as unsolicited. No I/O of its own: everything goes through link/clock/callbacks.
 */
import type { Link, Captured } from '../link/link.js';
import { type Logger, silentLogger } from '../log.js';
import { ArpOp } from '../wire/codes.js';
import { type ArpFrame, decodeArpFrame, frameVlan } from '../wire/frame.js';
import { formatMacCached, parseIpv4, readU32 } from '../wire/address.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { keyOf, matchKey } from '../correlate/match.js';
import { type Pairing, PendingTable } from '../correlate/pending.js';
import { type ProbeRecord, type ProbeSummary, type ReplyRecord, type TimeoutRecord, type UnsolicitedRecord, replyRecord, unsolicitedRecord } from '../records/records.js';

export interface PlannedRequest {
  tip: string;
  /** The exact bytes to send. */
  frame: Uint8Array;
}

export interface SessionOptions {
  link: Link;
  clock: Clock;
  /** One round: every request is sent once per round, in order. */
  requests: PlannedRequest[];
  /** Rounds (default 1); Infinity: until the signal, the deadline or untilReplies stops it. */
  count?: number;
  /** Stop this long after the start, whatever was sent or is still pending (arping -w). */
  deadlineMs?: number;
  /** Stop once this many replies arrived (arping -C). */
  untilReplies?: number;
  /** Running statistics every `everyMs` while the session runs (probe --count 0 prints them on stderr). */
  progress?: { everyMs: number; fn: (s: RunningStats) => void };
  /** Time between the starts of two rounds (default 1000 ms). */
  intervalMs?: number;
  /** How long a request waits for its first reply before it is reported as a timeout (default 1000 ms). */
  timeoutMs?: number;
  /** Keep listening this long after the last send, even when everything is answered. */
  waitMs?: number;
  /** Requests per second within a round (token-bucket-like spacing); 0 or absent = a round at once. */
  ratePps?: number;
  onRecord?: (r: ProbeRecord) => void;
  /** Every frame the link captured, our own requests (as the wire carried them) included: for --pcap. */
  onCaptured?: (f: Captured) => void;
  signal?: AbortSignal;
  logger?: Logger;
}

/** ping-style statistics: requests sent, requests answered, loss, RTT over first replies. */
export interface RunningStats {
  sent: number;
  /** Requests with at least one reply. */
  received: number;
  /** 100 * (sent - received) / sent, one decimal; 0 when nothing was sent. */
  lossPct: number;
  rttMs: { min: number; avg: number; max: number; mdev: number } | null;
}

/** Why a session stopped before its plan ran out (null: it ran out, or an interruption: see `interrupted`). */
export type StoppedBy = 'deadline' | 'until-replies' | null;

export interface SessionResult {
  records: ProbeRecord[];
  replies: ReplyRecord[];
  timeouts: TimeoutRecord[];
  unsolicited: UnsolicitedRecord[];
  summary: ProbeSummary;
}


export const DEFAULT_TIMEOUT_MS = 1000;
/** Distinct unsolicited sources (MAC, or MAC + target IP) that get a record; the rest are counted. */
export const MAX_UNSOLICITED_KEYS = 1024;
export const DEFAULT_INTERVAL_MS = 1000;

export function runSession(opts: SessionOptions): Promise<SessionResult> {
  const { link, clock } = opts;
  const log = opts.logger ?? silentLogger;
  const count = opts.count ?? 1;
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const waitMs = opts.waitMs ?? 0;
  const ratePps = opts.ratePps ?? 0;

  // Decode our own requests once: their key is fixed by what we send.
  const plan = opts.requests.map((r) => {
    const d = decodeArpFrame(r.frame);
    const vlan = d.ok ? frameVlan(d.value.eth) : undefined;
    const key = d.ok && d.value.arp.op === ArpOp.Request ? matchKey(d.value)! : keyOf(r.tip, vlan);
    return { ...r, vlan, key };
  });

  const records: ProbeRecord[] = [];
  const replies: ReplyRecord[] = [];
  const timeouts: TimeoutRecord[] = [];
  const unsolicited: UnsolicitedRecord[] = [];
  const pending = new PendingTable();
  const macsByTip = new Map<string, Set<string>>();
  const tips = new Set(plan.map((p) => p.tip));
  // Target IPs as numbers, for the fast path over stray replies (a storm must not outrun us).
  const tipNums = new Set<number>();
  for (const t of tips) {
    const v = parseIpv4(t);
    if (v !== undefined) tipNums.add(v);
  }
  /** Unsolicited replies by source: counted always, recorded once per source (bounded). */
  /** Sources that already have their record (their frames are counted in strayByMac). */
  const strayKeys = new Set<string>();
  const strayByMac = new Map<string, number>();
  let strayCount = 0;
  let strayOther = 0;
  let malformed = 0;
  let sent = 0;
  let round = 0;
  let allSent = plan.length === 0 || count <= 0;
  let unresolved = 0;
  let waitOver = waitMs <= 0;
  let stoppedBy: StoppedBy = null;
  /** Requests with a reply; RTTs of every reply but duplicates (Welford: mean and mdev as they come). */
  let received = 0;
  let rttN = 0;
  let rttMean = 0;
  let rttM2 = 0;
  let rttMin = Infinity;
  let rttMax = -Infinity;
  const startedAt = clock.now();
  const timers = new Set<TimerHandle>();

  return new Promise<SessionResult>((resolve, reject) => {
    let finished = false;

    const emit = (r: ProbeRecord) => {
      records.push(r);
      opts.onRecord?.(r);
    };

    const timer = (ms: number, fn: () => void) => {
      const h = clock.setTimer(ms, () => {
        timers.delete(h);
        fn();
      });
      timers.add(h);
    };

    const finish = (interrupted: boolean) => {
      if (finished) return;
      finished = true;
      unsubscribe();
      for (const h of timers) clock.clearTimer(h);
      timers.clear();
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ records, replies, timeouts, unsolicited, summary: summarise(interrupted) });
    };

    const fail = (err: unknown) => {
      if (finished) return;
      finished = true;
      unsubscribe();
      for (const h of timers) clock.clearTimer(h);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    };

    const maybeDone = () => {
      if (allSent && unresolved === 0 && waitOver) finish(false);
    };

    const onFrame = (f: Captured) => {
      opts.onCaptured?.(f);
      if (f.sentId !== undefined) {
        onEcho(f);
        return;
      }
      const b = f.bytes;
      // Fast path, untagged Ethernet II + IPv4-over-Ethernet ARP: requests carry no answer, and a
      // reply for an IP we did not ask about is a stray, counted by its sender MAC without a decode.
      if (b.length >= 42 && b[12] === 0x08 && b[13] === 0x06 && b[14] === 0 && b[15] === 1 && b[16] === 8 && b[17] === 0 && b[18] === 6 && b[19] === 4 && b[20] === 0) {
        if (b[21] === ArpOp.Request) return;
        if (b[21] === ArpOp.Reply && !tipNums.has(readU32(b, 28))) {
          stray(f, formatMacCached(b, 22), undefined);
          return;
        }
      }
      const d = decodeArpFrame(b);
      if (!d.ok) {
        // Hostile or odd frames are counted and dropped, never thrown.
        malformed++;
        log.debug({ issue: d.issue }, 'dropped undecodable frame');
        return;
      }
      const fr = d.value;
      if (fr.arp.op !== ArpOp.Reply) return; // requests (ours echoed by a second handle, or others') carry no answer
      const pairing = pending.pair(matchKey(fr)!, fr.arp.senderMac, f.time);
      if (!pairing) {
        stray(f, fr.arp.senderMac, fr);
        return;
      }
      handleReply(fr, f.time, pairing);
    };

    /**
     * A reply that answers nothing we sent: counted, and recorded the first time its source is seen
     * (a MAC; a MAC + IP when it claims one of our targets). A storm gives one record per MAC, not per frame.
     */
    const stray = (f: Captured, mac: string, decoded: ArpFrame | undefined) => {
      strayCount++;
      // Two map operations for a known source: under a flood this runs for every frame.
      const seen = strayByMac.get(mac);
      if (seen !== undefined) strayByMac.set(mac, seen + 1);
      else if (strayByMac.size < MAX_UNSOLICITED_KEYS) strayByMac.set(mac, 1);
      else strayOther++;
      let fr = decoded;
      const claimsTarget = fr !== undefined && tips.has(fr.arp.senderIp);
      const key = claimsTarget ? `${mac}|${fr!.arp.senderIp}|${frameVlan(fr!.eth) ?? ''}` : mac;
      if (strayKeys.has(key) || strayKeys.size >= MAX_UNSOLICITED_KEYS) return;
      strayKeys.add(key);
      if (!fr) {
        const d = decodeArpFrame(f.bytes);
        if (!d.ok) return;
        fr = d.value;
      }
      const u = unsolicitedRecord(link.name, fr, f.time);
      unsolicited.push(u);
      emit(u);
    };

    /** Our own request as the wire carried it: its kernel time is where its RTT starts. */
    const onEcho = (f: Captured) => {
      const d = decodeArpFrame(f.bytes);
      if (d.ok && d.value.arp.op === ArpOp.Request) pending.echo(matchKey(d.value)!, f.time);
    };

    const handleReply = (fr: ArpFrame, time: number, p: Pairing) => {
      const req = p.request;
      const mac = fr.arp.senderMac;
      let tipMacs = macsByTip.get(req.tip);
      if (!tipMacs) macsByTip.set(req.tip, (tipMacs = new Set()));
      tipMacs.add(mac);
      const r = replyRecord(link.name, fr, time, req, { late: p.late, duplicate: p.duplicate, multipleMacs: tipMacs.size > 1 });
      replies.push(r);
      emit(r);
      if (p.first) received++;
      if (!p.duplicate) {
        rttN++;
        const d = r.rttMs - rttMean;
        rttMean += d / rttN;
        rttM2 += d * (r.rttMs - rttMean);
        if (r.rttMs < rttMin) rttMin = r.rttMs;
        if (r.rttMs > rttMax) rttMax = r.rttMs;
      }
      if (opts.untilReplies !== undefined && replies.length >= opts.untilReplies) {
        stoppedBy = 'until-replies';
        finish(false);
        return;
      }
      if (p.first && !req.timedOut) {
        unresolved--;
        maybeDone();
      }
    };

    // Pacing: request j of a round leaves at roundStart + j * gapMs (every request due by now is sent
    // in one go; a timer brings the next ones). gapMs 0 = a round at once.
    const gapMs = ratePps > 0 ? 1000 / ratePps : 0;
    let roundStart = 0;
    let j = 0;
    const sendRound = () => {
      if (finished) return;
      roundStart = clock.now();
      j = 0;
      sendDue();
    };
    const sendDue = () => {
      if (finished) return;
      const now = clock.now();
      for (; j < plan.length; j++) {
        if (finished) return;
        if (gapMs > 0 && roundStart + j * gapMs > now + 1e-9) {
          timer(roundStart + j * gapMs - now, sendDue);
          return;
        }
        const p = plan[j]!;
        // Register before sending (scapy's order): a link may deliver the echo, or even the reply,
        // while send() runs.
        const req = pending.register(p.tip, p.key, p.vlan, clock.now(), timeoutMs);
        unresolved++;
        try {
          link.send(p.frame);
        } catch (err) {
          fail(err);
          return;
        }
        sent++;
        timer(timeoutMs, () => {
          // A reply already in the capture ring, not yet delivered, is not a timeout.
          link.flush?.();
          if (finished || req.macs.size > 0) return;
          req.timedOut = true;
          const t: TimeoutRecord = { type: 'timeout', iface: link.name, ip: req.tip, seq: req.seq, requestId: req.id, vlan: req.vlan ?? null, timeoutMs };
          timeouts.push(t);
          emit(t);
          unresolved--;
          maybeDone();
        });
      }
      round++;
      if (round < count) {
        // The next round starts intervalMs after this one started (or at once when pacing made it longer).
        timer(Math.max(0, roundStart + intervalMs - clock.now()), sendRound);
      } else {
        allSent = true;
        if (!waitOver) {
          timer(waitMs, () => {
            link.flush?.();
            waitOver = true;
            maybeDone();
          });
        }
        maybeDone();
      }
    };

    const summarise = (interrupted: boolean): ProbeSummary => {
      const claims: Record<string, string[]> = {};
      for (const [tip, set] of macsByTip) claims[tip] = [...set];
      const stats = runningStats();
      const answered = macsByTip.size;
      return {
        type: 'summary',
        iface: link.name,
        targets: tips.size,
        sent,
        replies: replies.length,
        answered,
        unanswered: tips.size - answered,
        unsolicited: strayCount,
        unsolicitedByMac: topCounts(strayByMac, 16, strayOther),
        malformed,
        dropped: link.stats().dropped,
        claims,
        conflicts: Object.keys(claims).filter((t) => claims[t]!.length > 1),
        rttMs: stats.rttMs,
        received: stats.received,
        lossPct: stats.lossPct,
        durationMs: Math.round((clock.now() - startedAt) * 1000) / 1000,
        interrupted,
        stoppedBy,
      };
    };

    const round3 = (v: number) => Math.round(v * 1000) / 1000;
    const runningStats = (): RunningStats => ({
      sent,
      received,
      lossPct: sent === 0 ? 0 : Math.round((1000 * (sent - received)) / sent) / 10,
      rttMs: rttN === 0 ? null : { min: rttMin, avg: round3(rttMean), max: rttMax, mdev: round3(Math.sqrt(rttM2 / rttN)) },
    });

    const onAbort = () => finish(true);
    const unsubscribe = link.onFrame(onFrame);
    if (opts.signal?.aborted) {
      finish(true);
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.deadlineMs !== undefined)
      timer(opts.deadlineMs, () => {
        // A reply already in the capture ring, not yet delivered, still counts.
        link.flush?.();
        if (finished) return;
        stoppedBy = 'deadline';
        finish(false);
      });
    if (opts.progress) {
      const { everyMs, fn } = opts.progress;
      const tick = () =>
        timer(everyMs, () => {
          fn(runningStats());
          tick();
        });
      tick();
    }
    if (allSent) {
      maybeDone();
      return;
    }
    sendRound();
  });
}

/** The n largest counts of a map, as a plain object, with everything else under "other". */
export function topCounts(m: Map<string, number>, n: number, other = 0): Record<string, number> {
  const rows = [...m].sort((a, b) => b[1] - a[1]);
  const out: Record<string, number> = {};
  for (const [k, v] of rows.slice(0, n)) out[k] = v;
  const rest = rows.slice(n).reduce((a, r) => a + r[1], other);
  if (rest > 0) out.other = rest;
  return out;
}
