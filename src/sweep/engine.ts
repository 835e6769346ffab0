/**
 * The sweep scheduler: many targets, paced by a token bucket (pps), retried with backoff per target
 * (arp-scan's model: a target's next attempt waits for its own timeout, timeout x backoff each time),
 * canaries first, a listening window after the last send, an overall deadline. Correlation is O(1)
 * per frame (Map from IPv4 to target index); per-target state lives in typed arrays.
 * No timers per target: retry queues are FIFOs per attempt number, ordered by due time by construction.
 */
import type { Captured, Link } from '../link/link.js';
import { type Logger, silentLogger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { type ReplyRecord, type UnsolicitedRecord, replyRecord, unsolicitedRecord } from '../records/records.js';
import { MAX_UNSOLICITED_KEYS, topCounts } from '../probe/session.js';
import { U32Map } from '../detect/u32map.js';
import { formatIpv4, formatMac, readU32 } from '../wire/address.js';
import { ARP } from '../wire/arp.js';
import { ArpOp } from '../wire/codes.js';
import { arpOffsetOf, decodeArpFrame, frameVlan, scanArpFrame, vlanOf } from '../wire/frame.js';
import { pickRequest } from '../correlate/pick.js';

export interface SweepProgress {
  sent: number;
  /** Targets + canaries. */
  total: number;
  answered: number;
  /** First-attempt sends done. */
  firstPassDone: number;
}

export interface EngineOptions {
  link: Link;
  clock: Clock;
  /** Target IPs (uint32), in send order. */
  targets: Uint32Array;
  /** Canary IPs (uint32): sent before the targets, so a proxy's queue limit cannot hide them. */
  canaries?: number[];
  /** Builds the request for one IP (frames are built on demand: no per-target buffers kept). */
  buildFrame: (ip: number) => Uint8Array;
  /** VLAN id the requests carry (replies must match), or undefined. */
  vlan?: number;
  /** Sends per second (token bucket); 0 = as fast as possible. */
  ratePps: number;
  /** Extra attempts for unanswered targets. */
  retries: number;
  /** First attempt's timeout; attempt k waits timeoutMs * backoff^(k-1). */
  timeoutMs: number;
  backoff: number;
  /** Keep listening this long after the last send. */
  waitMs: number;
  /** Stop everything this long after the start. */
  deadlineMs?: number;
  /** Stop at once when this many targets (not canaries) have answered (arp-scan --limit). */
  limit?: number;
  /** Flow-control window: sends allowed ahead of the captured frames while replies flow (default 2048). */
  maxAhead?: number;
  /** Every reply paired with a target, with that target as a number (no parsing needed downstream). */
  onReply?: (r: ReplyRecord, ip: number) => void;
  /**
   * Every reply paired with a target, as numbers and its frame's bytes (no record built unless
   * view.record() is called): the allocation-free path. The view is one object, reused: valid only
   * during the call. Called before onReply for the same reply.
   */
  onReplyView?: (v: ReplyView) => void;
  /**
   * A reply that answers nothing we sent, the first time its source is seen (a MAC; a MAC + IP when
   * it claims one of our targets), as probe does: a storm gives one record per MAC, not per frame.
   * Every such reply is counted (unsolicitedCount, unsolicitedByMac); at most MAX_UNSOLICITED_KEYS
   * sources get a record.
   */
  onUnsolicited?: (r: UnsolicitedRecord) => void;
  /** Keep those first-per-source records in the result (default true); a caller streaming them can say false. */
  keepUnsolicited?: boolean;
  /** Every frame the link captured, our own requests (as the wire carried them) included: for --pcap. */
  onCaptured?: (f: Captured) => void;
  onProgress?: (p: SweepProgress) => void;
  signal?: AbortSignal;
  logger?: Logger;
}

/** One reply, read from its frame at fixed offsets: what a reply record holds, without its strings. */
export interface ReplyView {
  iface: string;
  /** The captured frame (Ethernet header first) and its ARP packet's offset in it. */
  bytes: Uint8Array;
  arpOffset: number;
  /** The target it answers (the reply's ARP sender IP), as a number. */
  ip: number;
  /** The ARP sender MAC: its number among the MACs that answered this run (0, 1, ...), and its text (one string per MAC). */
  macId: number;
  mac: string;
  /** Ethernet source differs from the ARP sender MAC. */
  ethSrcMismatch: boolean;
  /** Innermost VLAN id, undefined when untagged. */
  vlan: number | undefined;
  /** Capture time (epoch ms) and the request's send and wire times (wireAt NaN: its echo was not captured). */
  time: number;
  sentAt: number;
  wireAt: number;
  /** The record's rttMs, seq, requestId, late, duplicate; multipleMacs and canary make its flags. */
  rttMs: number;
  seq: number;
  requestId: number;
  late: boolean;
  duplicate: boolean;
  multipleMacs: boolean;
  canary: boolean;
  /** This reply's record (what onReply receives), built now. */
  record(): ReplyRecord;
}

/** The record of a reply view: replyRecord on the decoded frame, as onReply receives it. */
export function replyViewRecord(v: ReplyView): ReplyRecord {
  const d = decodeArpFrame(v.bytes);
  if (!d.ok) throw new Error('unreachable: a reply view holds a decodable frame');
  return replyRecord(
    v.iface,
    d.value,
    v.time,
    { tip: formatIpv4(v.ip), sentAt: v.sentAt, wireAt: Number.isNaN(v.wireAt) ? undefined : v.wireAt, seq: v.seq, id: v.requestId },
    { late: v.late, duplicate: v.duplicate, multipleMacs: v.multipleMacs, ...(v.canary ? { extraFlags: CANARY_FLAGS } : {}) },
  );
}

export interface EngineResult {
  /** Count of reply records (they went to onReply). */
  replies: number;
  /** The unsolicited records (one per source, bounded), unless keepUnsolicited was false. */
  unsolicited: UnsolicitedRecord[];
  /** Every unsolicited reply. */
  unsolicitedCount: number;
  /** Unsolicited replies by sender MAC, the 16 largest (the rest under "other"), as probe's summary. */
  unsolicitedByMac: Record<string, number>;
  /** Unsolicited replies of each MAC tracked (at most MAX_UNSOLICITED_KEYS MACs; the rest in unsolicitedOther). */
  unsolicitedCounts: Map<string, number>;
  unsolicitedOther: number;
  sent: number;
  /** Targets (not canaries) answered at least once. */
  answered: number;
  canariesAnswered: number;
  malformed: number;
  durationMs: number;
  interrupted: boolean;
  deadlineReached: boolean;
  /** Stopped because `limit` targets answered. */
  limitReached: boolean;
  /** Targets never asked (the run stopped first: limit, deadline, interrupt). */
  notAsked: number;
  /**
   * Whether the run saw a target's outcome: it answered, or every attempt was sent and timed out.
   * A target never asked, or still waiting when the run stopped early, is not settled: a verdict on
   * silence (missing-host) must not be raised for it. False for IPs that are not targets.
   */
  settled: (ip: number) => boolean;
}

/**
 * IP -> target index (canaries first, then the targets; the first occurrence of an IP wins), for the
 * lookup every captured frame makes. Targets in one ascending run (a CIDR block, a range: the usual
 * sweep) are found by subtraction, with no table; others in a typed-array hash map.
 */
export function targetIndex(canaries: readonly number[], targets: Uint32Array): { get(ip: number): number; has(ip: number): boolean } {
  const nCanary = canaries.length;
  const len = targets.length;
  const base = len > 0 ? targets[0]! : 0;
  let run = len > 0;
  for (let k = 1; k < len && run; k++) if (targets[k] !== base + k) run = false;
  const map = new U32Map(run ? nCanary : nCanary + len);
  for (let i = 0; i < nCanary; i++) map.setIfAbsent(canaries[i]!, i);
  if (!run) for (let k = 0; k < len; k++) map.setIfAbsent(targets[k]!, nCanary + k);
  const get = run
    ? (ip: number): number => {
        const c = nCanary > 0 ? map.get(ip) : -1;
        if (c >= 0) return c;
        const d = ip - base;
        return d >= 0 && d < len ? nCanary + d : -1;
      }
    : (ip: number): number => map.get(ip);
  return { get, has: (ip) => get(ip) >= 0 };
}

/** At most this many sends per timer tick, so capture callbacks get the loop in between. */
const MAX_BATCH = 256;
/**
 * Flow control: while replies are flowing, keep at most `maxAhead` sends ahead of the frames captured
 * (our own echoes not counted). It protects a proxy ARP host's queue (sweep.ts: PROXY_WINDOW) and the
 * capture ring (a quarter of its slots: each request is captured twice, as its echo and its reply).
 * A silent segment is not throttled: the window applies only while frames keep arriving.
 */
const DEFAULT_MAX_AHEAD = 2048;
const CANARY_FLAGS = ['canary'];
const FLOWING_MS = 50;

export function runSweepEngine(o: EngineOptions): Promise<EngineResult> {
  const { link, clock } = o;
  const log = o.logger ?? silentLogger;
  const canaries = o.canaries ?? [];
  const nCanary = canaries.length;
  const n = nCanary + o.targets.length;
  const ipOf = (i: number): number => (i < nCanary ? canaries[i]! : o.targets[i - nCanary]!);
  const index = targetIndex(canaries, o.targets);

  // Per-target state in typed arrays: nothing per target for the collector to walk on a /16.
  const attempts = new Uint8Array(n);
  // Per attempt (index i * maxAttempts + k), for the one pick policy (correlate/pick.ts): its send
  // time, its time on the wire (the echo; NaN until captured), its global send number, and the MACs
  // that answered it (the first one here, more in a map: rare).
  const A = 1 + o.retries;
  const sentAtA = new Float64Array(n * A);
  const wireAtA = new Float64Array(n * A).fill(NaN);
  const reqIdA = new Uint32Array(n * A);
  const firstMacA = new Int32Array(n * A);
  const moreMacsA = new Map<number, number[]>();
  let sendSeq = 0;
  /** When target i's latest attempt was sent. */
  const lastSent = (i: number): number => sentAtA[i * A + attempts[i]! - 1]!;
  /** Id + 1 of the first MAC that answered the target; 0 = unanswered. */
  const firstMac = new Int32Array(n);
  /** Targets answered by several MACs: every MAC id, in order. */
  const moreMacs = new Map<number, number[]>();
  /** MAC (48 bits as a number) -> id, and each id's text: one string per MAC, not per reply. */
  const macIds = new Map<number, number>();
  const macTexts: string[] = [];
  const maxAttempts = 1 + o.retries;
  const timeoutFor = (attempt: number) => o.timeoutMs * Math.pow(o.backoff, attempt - 1);
  // retryQ[k]: targets whose attempt k (1-based) was sent, FIFO by due time = sentAt + timeoutFor(k).
  const retryQ: number[][] = Array.from({ length: maxAttempts + 1 }, () => []);
  const retryHead = new Array<number>(maxAttempts + 1).fill(0);

  let replies = 0;
  const unsolicited: UnsolicitedRecord[] = [];
  let unsolicitedCount = 0;
  /** Unsolicited replies by source, bounded like probe's: counted always, one record per source. */
  const strayByMac = new Map<string, number>();
  const strayKeys = new Set<string>();
  let strayOther = 0;
  const keepUnsolicited = o.keepUnsolicited !== false;
  let next = 0;
  let sent = 0;
  let answeredTargets = 0;
  let answeredCanaries = 0;
  let malformed = 0;
  let lastSendAt = 0;
  let lastReplyAt = 0;
  let framesIn = 0;
  let lastFrameAt = -Infinity;
  let aheadSince: number | undefined;
  let lastReleaseAt = -Infinity;
  const maxAhead = Math.max(1, o.maxAhead ?? DEFAULT_MAX_AHEAD);
  const maxBatch = Math.max(1, Math.min(MAX_BATCH, maxAhead));
  let resolveBy = 0;
  let tokens = 1;
  const start = clock.now();
  let lastTick = start;
  const rate = o.ratePps > 0 ? o.ratePps : Infinity;

  return new Promise<EngineResult>((resolve, reject) => {
    let finished = false;
    let tickTimer: TimerHandle | undefined;
    let endTimer: TimerHandle | undefined;
    let deadlineTimer: TimerHandle | undefined;

    const stopTimers = () => {
      for (const t of [tickTimer, endTimer, deadlineTimer]) if (t) clock.clearTimer(t);
    };
    const finish = (interrupted: boolean, deadlineReached = false, limitReached = false) => {
      if (finished) return;
      finished = true;
      const end = clock.now();
      const complete = !interrupted && !deadlineReached && !limitReached;
      let notAsked = 0;
      for (let i = nCanary; i < n; i++) if (attempts[i] === 0) notAsked++;
      const settled = (ip: number): boolean => {
        const i = index.get(ip);
        if (i < nCanary) return false;
        if (firstMac[i] !== 0) return true;
        return attempts[i] === maxAttempts && (complete || lastSent(i) + timeoutFor(maxAttempts) <= end);
      };
      stopTimers();
      unsubscribe();
      o.signal?.removeEventListener('abort', onAbort);
      o.onProgress?.(progress());
      log.debug({ lastSendMs: Math.round(lastSendAt - start), lastReplyMs: Math.round(lastReplyAt - start), endMs: Math.round(clock.now() - start) }, 'sweep engine timeline');
      resolve({
        replies,
        unsolicited,
        unsolicitedCount,
        unsolicitedByMac: topCounts(strayByMac, 16, strayOther),
        unsolicitedCounts: strayByMac,
        unsolicitedOther: strayOther,
        sent,
        answered: answeredTargets,
        canariesAnswered: answeredCanaries,
        malformed,
        durationMs: Math.round((clock.now() - start) * 1000) / 1000,
        interrupted,
        deadlineReached,
        limitReached,
        notAsked,
        settled,
      });
    };
    const progress = (): SweepProgress => ({ sent, total: n, answered: answeredTargets + answeredCanaries, firstPassDone: next });

    // The pick policy's questions about the reply in hand (set before each call: no closure per reply).
    let pickBase = 0;
    let pickMac = 0;
    const answeredBy = (k: number): boolean => {
      const m = firstMacA[pickBase + k]!;
      return m === pickMac + 1 || (m !== 0 && (moreMacsA.get(pickBase + k)?.includes(pickMac) ?? false));
    };
    const deadlineOf = (k: number): number => sentAtA[pickBase + k]! + timeoutFor(k + 1);
    const view: ReplyView = {
      iface: link.name,
      bytes: new Uint8Array(0),
      arpOffset: 0,
      ip: 0,
      macId: 0,
      mac: '',
      ethSrcMismatch: false,
      vlan: undefined,
      time: 0,
      sentAt: 0,
      wireAt: NaN,
      rttMs: 0,
      seq: 0,
      requestId: 0,
      late: false,
      duplicate: false,
      multipleMacs: false,
      canary: false,
      record(): ReplyRecord {
        return replyViewRecord(this);
      },
    };

    const onFrame = (f: Captured) => {
      if (finished) return; // stopped (--limit) while the link delivers the rest of a batch
      o.onCaptured?.(f);
      if (f.sentId !== undefined) {
        // Our own request on the wire: its kernel time starts the RTT of this attempt. Read at fixed
        // offsets (scanArpFrame gives decodeArpFrame's verdict): an echo per request, nothing decoded.
        const s = scanArpFrame(f.bytes);
        const p = arpOffsetOf(s);
        if (s >= 0 && ((f.bytes[p + ARP.op]! << 8) | f.bytes[p + ARP.op + 1]!) !== ArpOp.Reply) {
          const i = index.get(readU32(f.bytes, p + ARP.tpa(6, 4)));
          // echoes come in send order: this target's oldest attempt not yet seen on the wire
          if (i >= 0)
            for (let k = 0; k < attempts[i]!; k++)
              if (Number.isNaN(wireAtA[i * A + k]!)) {
                wireAtA[i * A + k] = f.time;
                break;
              }
        }
        return;
      }
      framesIn++;
      lastFrameAt = f.time;
      if (wakeOnFrame && sent - framesIn < maxAhead) {
        // Room in the window again: tick after this poll's frames are all in (an immediate, not the 1 ms timer).
        wakeOnFrame = false;
        if (tickTimer) clock.clearTimer(tickTimer);
        tickTimer = clock.setTimer(0, tick);
      }
      const b = f.bytes;
      const scan = scanArpFrame(b);
      if (scan < 0) {
        malformed++;
        return;
      }
      const p = arpOffsetOf(scan);
      if (((b[p + ARP.op]! << 8) | b[p + ARP.op + 1]!) !== ArpOp.Reply) return;
      const ip = readU32(b, p + ARP.spa(6, 4));
      const vlan = vlanOf(scan);
      const i = vlan === o.vlan ? index.get(ip) : -1;
      if (i < 0 || attempts[i] === 0) return stray(f, ip);
      lastReplyAt = f.time;
      // The sender MAC as a number (16 + 32 bits): a Map lookup, no string.
      const sha = p + ARP.sha(6, 4);
      const macLo = ((b[sha + 2]! << 24) | (b[sha + 3]! << 16) | (b[sha + 4]! << 8) | b[sha + 5]!) >>> 0;
      const macKey = ((b[sha]! << 8) | b[sha + 1]!) * 0x1_0000_0000 + macLo;
      let macId = macIds.get(macKey);
      if (macId === undefined) {
        macIds.set(macKey, (macId = macIds.size));
        macTexts.push(formatMac(b, sha));
      }
      // Per target: the MACs that claimed it (answered counts, multiple-macs).
      const first = firstMac[i]! - 1;
      let multipleMacs = false;
      if (first < 0) {
        firstMac[i] = macId + 1;
        if (i < nCanary) answeredCanaries++;
        else answeredTargets++;
      } else if (first === macId) {
        multipleMacs = moreMacs.has(i);
      } else {
        multipleMacs = true;
        const list = moreMacs.get(i);
        if (!list) moreMacs.set(i, [first, macId]);
        else if (!list.includes(macId)) list.push(macId);
      }
      // Per request: which attempt it answers, by the one pick policy.
      const base = i * A;
      pickBase = base;
      pickMac = macId;
      const k = pickRequest(attempts[i]!, deadlineOf, answeredBy, f.time);
      const duplicate = answeredBy(k);
      if (!duplicate) {
        if (firstMacA[base + k] === 0) firstMacA[base + k] = macId + 1;
        else {
          const l = moreMacsA.get(base + k);
          if (l) l.push(macId);
          else moreMacsA.set(base + k, [macId]);
        }
      }
      const wire = wireAtA[base + k]!;
      const sentAt = sentAtA[base + k]!;
      let ethSrcMismatch = false;
      for (let j = 0; j < 6; j++) if (b[6 + j] !== b[sha + j]) ethSrcMismatch = true;
      const v = view;
      v.bytes = b;
      v.arpOffset = p;
      v.ip = ip;
      v.macId = macId;
      v.mac = macTexts[macId]!;
      v.ethSrcMismatch = ethSrcMismatch;
      v.vlan = vlan;
      v.time = f.time;
      v.sentAt = sentAt;
      v.wireAt = wire;
      v.rttMs = Math.round((f.time - (Number.isNaN(wire) ? sentAt : wire)) * 1000) / 1000;
      v.seq = k + 1;
      v.requestId = reqIdA[base + k]!;
      v.late = f.time > deadlineOf(k);
      v.duplicate = duplicate;
      v.multipleMacs = multipleMacs;
      v.canary = i < nCanary;
      replies++;
      o.onReplyView?.(v);
      if (o.onReply) o.onReply(v.record(), ip);
      if (first < 0 && i >= nCanary && o.limit !== undefined && answeredTargets >= o.limit) return finish(false, false, true);
      if (answeredTargets + answeredCanaries === n && next === n) scheduleEnd();
    };

    /** A reply that answers nothing we sent (rare: decoded in full). */
    const stray = (f: Captured, ip: number) => {
      const d = decodeArpFrame(f.bytes);
      if (!d.ok) return;
      const fr = d.value;
      unsolicitedCount++;
      const mac = fr.arp.senderMac;
      if (strayByMac.size < MAX_UNSOLICITED_KEYS || strayByMac.has(mac)) strayByMac.set(mac, (strayByMac.get(mac) ?? 0) + 1);
      else strayOther++;
      // One record per source: the MAC, or the MAC and the IP when it claims one of our targets.
      const key = index.has(ip) ? `${mac}|${formatIpv4(ip)}|${frameVlan(fr.eth) ?? ''}` : mac;
      if (strayKeys.has(key) || strayKeys.size >= MAX_UNSOLICITED_KEYS) return;
      strayKeys.add(key);
      const u = unsolicitedRecord(link.name, fr, f.time);
      if (keepUnsolicited) unsolicited.push(u);
      o.onUnsolicited?.(u);
    };

    /** Register the attempt (before it is sent: its echo or reply may come while send runs). */
    const register = (i: number, t: number) => {
      const a = ++attempts[i]!;
      sentAtA[i * A + a - 1] = t;
      reqIdA[i * A + a - 1] = ++sendSeq;
      lastSendAt = t;
      resolveBy = Math.max(resolveBy, t + timeoutFor(a));
      if (a < maxAttempts) retryQ[a]!.push(i);
    };
    const sendFailed = (err: unknown) => {
      if (!finished) {
        finished = true;
        stopTimers();
        unsubscribe();
        reject(err);
      }
    };
    // A batch packed end to end in one buffer, reused (sendPacked): nothing allocated per request.
    let pack = new Uint8Array(maxBatch * 64);
    const packLens = new Uint32Array(maxBatch);
    const packAll = (batch: number[]): number => {
      let total = 0;
      for (let j = 0; j < batch.length; j++) {
        const fr = o.buildFrame(ipOf(batch[j]!));
        if (total + fr.length > pack.length) {
          const bigger = new Uint8Array(Math.max(pack.length * 2, total + fr.length));
          bigger.set(pack.subarray(0, total));
          pack = bigger;
        }
        pack.set(fr, total);
        packLens[j] = fr.length;
        total += fr.length;
      }
      return total;
    };
    /** One tick's requests in one call when the link can batch (sendmmsg on the live link). */
    const sendAll = (batch: number[]): boolean => {
      if (batch.length === 0) return true;
      const t = clock.now();
      const packed = link.sendPacked && batch.length > 1;
      // buildFrame may reuse one buffer (sweep.ts does): copy each frame of a batch.
      const total = packed ? packAll(batch) : 0;
      const frames = packed ? [] : batch.length === 1 ? [o.buildFrame(ipOf(batch[0]!))] : batch.map((i) => o.buildFrame(ipOf(i)).slice());
      for (const i of batch) register(i, t);
      try {
        if (packed) link.sendPacked!(pack.subarray(0, total), packLens.subarray(0, batch.length));
        else if (link.sendBatch && frames.length > 1) link.sendBatch(frames);
        else for (const f of frames) link.send(f);
      } catch (err) {
        sendFailed(err);
        return false;
      }
      sent += batch.length;
      return true;
    };

    /** The retry queue whose head is due first (and its due time), skipping answered heads. */
    const dueRetry = (): { k: number; due: number } | undefined => {
      let best: { k: number; due: number } | undefined;
      for (let k = 1; k < maxAttempts; k++) {
        const q = retryQ[k]!;
        while (retryHead[k]! < q.length && firstMac[q[retryHead[k]!]!] !== 0) retryHead[k]!++;
        if (retryHead[k]! >= q.length) {
          if (q.length > 4096) {
            q.length = 0; // drained: release memory
            retryHead[k] = 0;
          }
          continue;
        }
        const i = q[retryHead[k]!]!;
        const due = lastSent(i) + timeoutFor(k);
        if (!best || due < best.due) best = { k, due };
      }
      return best;
    };

    /** The tick is held back by the window: the next frame that opens it brings the tick forward. */
    let wakeOnFrame = false;
    const tick = () => {
      tickTimer = undefined;
      wakeOnFrame = false;
      if (finished) return;
      // --limit: replies already in the capture ring count before anything more is asked (a timer
      // can run before the poll that would deliver them: the limit reached, one more request sent).
      if (o.limit !== undefined) {
        link.flush?.();
        if (finished) return;
      }
      const now = clock.now();
      // Token bucket; an unpaced sweep (rate 0 = Infinity) gets a full batch every tick.
      tokens = rate === Infinity ? maxBatch : Math.min(Math.max(1, rate * 0.005), tokens + ((now - lastTick) * rate) / 1000);
      lastTick = now;
      let batch = 0;
      // Ahead of the capture by more than the window while frames keep coming: hold back, but let one
      // batch through every FLOWING_MS so a segment with steady stray replies cannot stall the sweep
      // (unanswered requests never leave the window); a segment that stays silent is not held back.
      let releasing = false;
      let held = false;
      const picked: number[] = [];
      const throttled = (): boolean => {
        if (sent + picked.length - framesIn <= maxAhead) {
          aheadSince = undefined;
          return false;
        }
        aheadSince ??= now;
        if (now - Math.max(lastFrameAt, aheadSince) >= FLOWING_MS) return false;
        if (now - lastReleaseAt >= FLOWING_MS && batch === 0) {
          lastReleaseAt = now;
          releasing = true;
        }
        held = !releasing;
        return held;
      };
      while (tokens >= 1 && batch < maxBatch && !finished && !throttled()) {
        const r = dueRetry();
        let i: number | undefined;
        if (r && r.due <= now) i = retryQ[r.k]![retryHead[r.k]!++];
        else if (next < n) i = next++;
        else break;
        if (i === undefined) break;
        picked.push(i);
        tokens -= 1;
        batch++;
      }
      if (!sendAll(picked)) return;
      if (finished) return;
      o.onProgress?.(progress());
      const r = dueRetry();
      if (next < n || (r && r.due <= clock.now())) {
        // Held back by the window: come back after a millisecond (the capture runs meanwhile), or as
        // soon as a captured reply opens the window (onFrame: wakeOnFrame), whichever comes first.
        const wait = held ? 1 : tokens >= 1 ? 0 : ((1 - tokens) * 1000) / rate;
        tickTimer = clock.setTimer(Math.min(wait, 1000), tick);
        wakeOnFrame = held;
      } else if (r) {
        tickTimer = clock.setTimer(r.due - clock.now(), tick);
      } else {
        scheduleEnd();
      }
    };

    /**
     * Nothing left to send: end when the last timeout and the listening window have passed, or, once
     * everything is answered, when the listening window alone has (called again then: moves the end earlier).
     */
    let endAt = Infinity;
    const scheduleEnd = () => {
      if (finished) return;
      const allAnswered = answeredTargets + answeredCanaries === n;
      const at = Math.max(allAnswered ? lastSendAt : resolveBy, lastSendAt + o.waitMs);
      if (at >= endAt) return;
      endAt = at;
      if (endTimer) clock.clearTimer(endTimer);
      endTimer = clock.setTimer(Math.max(0, at - clock.now()), () => {
        // Replies already captured but not yet delivered still count.
        link.flush?.();
        finish(false);
      });
    };

    const onAbort = () => finish(true);
    const unsubscribe = link.onFrame(onFrame);
    if (o.signal?.aborted) return finish(true);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.deadlineMs !== undefined) deadlineTimer = clock.setTimer(o.deadlineMs, () => finish(false, true));
    log.debug({ targets: o.targets.length, canaries: nCanary, rate: o.ratePps, retries: o.retries }, 'sweep start');
    if (n === 0) return scheduleEnd();
    tick();
  });
}
