/**
 * When announce and dad send, and when they stop listening: pure plans (offsets from the start, in
 * ms), so the schedules are tested on the fake clock and the runner only follows them.
 */
import { UsageError } from '../errors.js';

/** RFC 5227 section 1.1 constants (seconds there, ms here). */
export const RFC5227 = {
  /** Initial random delay before the first probe: uniform in [0, PROBE_WAIT]. */
  probeWaitMs: 1000,
  /** Number of probes. */
  probeNum: 3,
  /** Minimum and maximum delay between probes (uniform in [PROBE_MIN, PROBE_MAX]). */
  probeMinMs: 1000,
  probeMaxMs: 2000,
  /** Listening after the last probe before the address may be used. */
  announceWaitMs: 2000,
} as const;

export interface DadTiming {
  probeWaitMs: number;
  probeNum: number;
  probeMinMs: number;
  probeMaxMs: number;
  announceWaitMs: number;
}

/**
 * `--fast`: the same shape, a tenth of the waits (about 0.5 s instead of 6-9 s), for tests and CI on a
 * segment you control. A host that answers a probe answers at once (the kernel does: no proxy_delay
 * for a local address), so a 200 ms final wait still catches it; a slow or lossy host may be missed.
 */
export const FAST_DAD: DadTiming = { probeWaitMs: 100, probeNum: 3, probeMinMs: 100, probeMaxMs: 200, announceWaitMs: 200 };

export interface SendPlan {
  /** When each frame leaves, ms after the start, in order. */
  sendAtMs: number[];
  /** When listening ends (and the run with it), ms after the start. */
  endAtMs: number;
}

/** Uniform in [min, max] from a [0, 1) source. */
const uniform = (random: () => number, min: number, max: number): number => min + (max - min) * random();

/**
 * RFC 5227 2.1.1: wait PROBE_WAIT (random), send PROBE_NUM probes PROBE_MIN..PROBE_MAX apart
 * (random each time), then listen ANNOUNCE_WAIT after the last one.
 */
export function dadPlan(t: DadTiming, random: () => number = Math.random): SendPlan {
  checkDadTiming(t);
  const sendAtMs: number[] = [];
  let at = uniform(random, 0, t.probeWaitMs);
  for (let i = 0; i < t.probeNum; i++) {
    if (i > 0) at += uniform(random, t.probeMinMs, t.probeMaxMs);
    sendAtMs.push(at);
  }
  return { sendAtMs, endAtMs: at + t.announceWaitMs };
}

export function checkDadTiming(t: DadTiming): void {
  const bad = (what: string, v: number, rule: string) => new UsageError('ERR_INVALID_NUMBER', `${what}: "${v}" ${rule}`, { option: what });
  for (const [k, v] of Object.entries(t) as Array<[keyof DadTiming, number]>) {
    if (!Number.isFinite(v) || v < 0 || v > 3_600_000) throw bad(k, v, 'must be a number of ms from 0 to 3,600,000');
  }
  if (!Number.isInteger(t.probeNum) || t.probeNum < 1 || t.probeNum > 100) throw bad('probeNum', t.probeNum, 'must be a whole number from 1 to 100');
  if (t.probeMinMs > t.probeMaxMs) throw bad('probeMinMs', t.probeMinMs, `must not exceed probeMaxMs (${t.probeMaxMs})`);
}

export interface AnnounceTiming {
  /** Frames to send (default 1). */
  count: number;
  /** Between two frames (ms). */
  intervalMs: number;
  /** Keep listening for a conflicting claim this long after the last frame (ms). */
  listenMs: number;
}

export const DEFAULT_ANNOUNCE: AnnounceTiming = { count: 1, intervalMs: 1000, listenMs: 1000 };

/** count frames intervalMs apart from the start, then listenMs of listening. */
export function announcePlan(t: AnnounceTiming): SendPlan {
  const sendAtMs = Array.from({ length: t.count }, (_, i) => i * t.intervalMs);
  return { sendAtMs, endAtMs: (t.count - 1) * t.intervalMs + t.listenMs };
}
