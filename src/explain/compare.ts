/**
 * Prediction vs the real kernel (--verify-from): pure. verify.ts runs the prober and hands the
 * per-target observations here.
 */
import type { Explanation } from './model.js';

/** What the prober saw for one target. */
export interface Observation {
  tip: string;
  /** Every reply: the MAC that answered (ARP sender hardware address) and its round trip in ms. */
  replies: Array<{ mac: string; rttMs: number }>;
}

export interface Verification {
  /** Interface the request was injected on, and its namespace. */
  from: string;
  netns: string | null;
  timeoutMs: number;
  /** Did the explained device answer (its MAC among the replies)? */
  observed: 'reply' | 'no-reply';
  /** Prediction confirmed (an uncertain prediction agrees with either outcome). */
  agrees: boolean;
  /** The explained device's MAC, if it answered. */
  macs: string[];
  /** Other MACs that answered (other hosts on a shared segment): not this kernel's doing. */
  otherMacs: string[];
  rttMs: number | null;
  note?: string;
}

/**
 * How long to wait for a reply: proxy_delay (USER_HZ) plus slack. The kernel's timer wheel rounds an
 * 800 ms timer up by up to 64 ms, and the prober needs a moment to start capturing.
 */
export function verifyTimeoutMs(proxyDelay: number): number {
  return Math.max(300, Math.ceil(proxyDelay * 10 * 1.15) + 300);
}

export function compareWithKernel(e: Explanation, devMac: string, obs: Observation, opts: { from: string; netns?: string; timeoutMs: number }): Verification {
  const mac = devMac.toLowerCase();
  const mineR = obs.replies.filter((r) => r.mac.toLowerCase() === mac);
  const mine = [...new Set(mineR.map((r) => r.mac))];
  const others = [...new Set(obs.replies.filter((r) => r.mac.toLowerCase() !== mac).map((r) => r.mac))];
  const rttMs = mineR.length ? Math.min(...mineR.map((r) => r.rttMs)) : null;
  const observed = mine.length > 0 ? 'reply' : 'no-reply';
  const agrees = e.certain ? observed === e.verdict : true;
  const notes: string[] = [];
  if (!e.certain) notes.push(`the prediction was uncertain; the kernel ${observed === 'reply' ? 'replied' : 'did not reply'}`);
  if (others.length) notes.push(`${others.join(', ')} also answered (another host, not this kernel)`);
  const slack = 50 + e.delayMs.max * 0.15;
  if (rttMs !== null && rttMs > e.delayMs.max + slack) notes.push(`the reply took ${rttMs} ms, more than the predicted ${e.delayMs.max} ms`);
  return {
    from: opts.from,
    netns: opts.netns ?? null,
    timeoutMs: opts.timeoutMs,
    observed,
    agrees,
    macs: mine,
    otherMacs: others,
    rttMs,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}
