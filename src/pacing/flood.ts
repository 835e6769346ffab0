/**
 * Pacing policy shared by every command that sends many frames (probe, sweep): the default rate and
 * the flood guard. Pure.
 */
import { UsageError } from '../errors.js';

/** Requests per second when the caller gives no rate (arp-scan's default order of magnitude). */
export const DEFAULT_RATE_PPS = 500;

/** The flood guard (refused without yesFlood): unpaced above this many targets... */
export const FLOOD_UNPACED_MAX = 4096;
/** ...or faster than this many pps with more than FLOOD_FRAMES_MAX frames to send. */
export const FLOOD_PPS_MAX = 10_000;
export const FLOOD_FRAMES_MAX = 10_000;

/**
 * Refuse a send plan that floods the segment unless the caller said yes: unpaced (rate 0) with more
 * than `unpacedMax` requests (sweep: targets; probe: requests per round), or faster than FLOOD_PPS_MAX
 * with more than FLOOD_FRAMES_MAX frames. The refusal says what would have been sent.
 */
export function assertNotFlood(p: { what: string; unpacedCount: number; frames: number; ratePps: number; yesFlood?: boolean | undefined }): void {
  if (p.yesFlood) return;
  const unpaced = p.ratePps === 0 && p.unpacedCount > FLOOD_UNPACED_MAX;
  const fast = p.ratePps > FLOOD_PPS_MAX && p.frames > FLOOD_FRAMES_MAX;
  if (!unpaced && !fast) return;
  const how = p.ratePps === 0 ? 'unpaced (--rate 0: as fast as the link takes them, ~200,000 pps on a veth)' : `at ${Math.round(p.ratePps)} pps, about ${(p.frames / p.ratePps).toFixed(1)} s`;
  const why = unpaced ? `--rate 0 for more than ${FLOOD_UNPACED_MAX} ${p.what}` : `more than ${FLOOD_PPS_MAX} pps for more than ${FLOOD_FRAMES_MAX} frames`;
  throw new UsageError('ERR_FLOOD', `refusing to flood: this would send up to ${p.frames} ARP frames (${p.unpacedCount} ${p.what}) ${how}; ${why} needs --yes-flood`, {
    hint: `lower --rate (default ${DEFAULT_RATE_PPS} pps), or add --yes-flood if the segment is yours to flood`,
  });
}


/**
 * A bandwidth in bits per second, as arp-scan's --bandwidth takes it: a number with an optional
 * K, M or G suffix (decimal multiples, either case): `256000`, `256k`, `1M`, `1.5M`. The result
 * must be a whole number of bits per second. undefined: not a bandwidth.
 */
export function parseBandwidth(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kKmMgG]?)\s*$/.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  // Decimal arithmetic on the digits: 1.1M is 1100000, not 1100000.0000000002.
  const [int, frac = ''] = m[1]!.split('.');
  const digits = Math.log10(mult);
  if (frac.replace(/0+$/, '').length > digits) return undefined;
  return Number((int || '0') + frac.padEnd(digits, '0'));
}

/** What parseBandwidth takes, for messages. */
export const BANDWIDTH_FORMS = 'bits per second, a whole number with an optional K, M or G suffix: 256000, 256k, 1M, 1.5M';
