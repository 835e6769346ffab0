/**
 * Sweep targets: CIDR blocks, net:mask blocks (arp-scan's 10.0.0.0:255.255.255.0), ranges (a-b, or
 * a-N for the last octet), single IPs, one per argument
 * or per line of a file (# comments). Expanded to a deduplicated Uint32Array in the order given.
 * For prefixes shorter than /31 the network and broadcast addresses are left out (they are never
 * answered: the kernel rejects ARP for broadcast targets), unless includeEdges is set.
 */
import { UsageError } from '../errors.js';
import { forEachLine } from '../read-input.js';
import { U32Map } from '../detect/u32map.js';
import { formatIpv4, parseIpv4 } from '../wire/address.js';

export const DEFAULT_MAX_TARGETS = 65_536;

export interface TargetOptions {
  includeEdges?: boolean;
  /** Refuse more than this many targets (default 65,536: a /16). */
  maxTargets?: number;
}

export interface TargetBlock {
  first: number;
  last: number;
  text: string;
}

/** The target forms, for hints. */
export const TARGET_FORMS = 'use 10.0.0.0/24, 10.0.0.0:255.255.255.0, 10.0.0.10-10.0.0.99, 10.0.0.10-99 or 10.0.0.7';

/** The prefix length of a netmask (uint32), or -1 when its one bits are not contiguous from the top. */
export function prefixOfMask(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  return 32 - Math.log2(inv + 1);
}

/** Parse one target expression into an inclusive block. */
export function parseTarget(text: string, opts: TargetOptions = {}): TargetBlock {
  const t = text.trim();
  const bad = (why: string) => new UsageError('ERR_INVALID_ARGUMENT', `target "${text}": ${why}`, { hint: TARGET_FORMS });
  const slash = t.indexOf('/');
  const colon = t.indexOf(':');
  if (slash >= 0 || colon >= 0) {
    const sep = slash >= 0 ? '/' : ':';
    const at = slash >= 0 ? slash : colon;
    const base = parseIpv4(t.slice(0, at));
    const after = t.slice(at + 1);
    if (base === undefined) throw bad(`not an IPv4 address before "${sep}"`);
    let len: number;
    if (sep === '/') {
      len = /^\d{1,2}$/.test(after) ? Number(after) : NaN;
      if (!(len >= 0 && len <= 32)) throw bad('prefix length must be 0-32');
    } else {
      const m = parseIpv4(after);
      if (m === undefined) throw bad('not a netmask after ":" (dotted quad, e.g. 255.255.255.0)');
      len = prefixOfMask(m);
      if (len < 0) throw bad(`netmask ${formatIpv4(m)} is not contiguous (its one bits must come first, as 255.255.255.0 or 255.255.240.0)`);
    }
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    let first = (base & mask) >>> 0;
    let last = (first | (~mask >>> 0)) >>> 0;
    if (len < 31 && !opts.includeEdges) {
      first += 1;
      last -= 1;
    }
    return { first, last, text: t };
  }
  const dash = t.indexOf('-');
  if (dash >= 0) {
    const a = parseIpv4(t.slice(0, dash));
    const rest = t.slice(dash + 1);
    if (a === undefined) throw bad('not an IPv4 address before "-"');
    let b = parseIpv4(rest);
    if (b === undefined && /^\d{1,3}$/.test(rest) && Number(rest) <= 255) b = ((a & 0xffffff00) | Number(rest)) >>> 0;
    if (b === undefined) throw bad('not an IPv4 address or last octet after "-"');
    if (b < a) throw bad('range end is before its start');
    return { first: a, last: b, text: t };
  }
  const ip = parseIpv4(t);
  if (ip === undefined) throw bad('not an IPv4 address, CIDR block or range');
  return { first: ip, last: ip, text: t };
}

/** The targets on one line of a targets file: # comments dropped; several per line, space or comma separated. */
const lineTargets = (l: string): string[] => l.replace(/#.*/, '').trim().split(/[\s,]+/).filter(Boolean);

/** Lines of a targets file: blank lines and # comments skipped; several targets per line allowed. */
export function targetsFromText(text: string): string[] {
  return text.split('\n').flatMap(lineTargets);
}

/** Longest line a targets file may have: an IP range is 31 characters, a line of them 4 KiB. */
export const MAX_TARGET_LINE_BYTES = 4096;
/** Most bytes read from a targets file or pipe (a /16, one IP a line, is 0.9 MiB). */
export const MAX_TARGET_FILE_BYTES = 64 * 1024 * 1024;

export interface StreamTargetOptions extends TargetOptions {
  /** For messages: the file name, or "stdin". */
  name: string;
  maxLineBytes?: number;
  maxBytes?: number;
}

/**
 * Read targets from a stream of chunks, line by line: each target is checked as it comes (the line
 * is named in the message), and reading stops at the first line, byte or target count over its limit,
 * so /dev/zero or `yes` is refused after a few KiB instead of filling memory.
 * `keep`: tokens the parser refuses that the caller takes as they are (host names, resolved later), one target each.
 */
export async function targetsFromChunks(chunks: AsyncIterable<Uint8Array>, opts: StreamTargetOptions & { keep?: (token: string) => boolean }): Promise<string[]> {
  const max = opts.maxTargets ?? DEFAULT_MAX_TARGETS;
  const out: string[] = [];
  let total = 0;
  await forEachLine(
    chunks,
    {
      name: opts.name,
      maxLineBytes: opts.maxLineBytes ?? MAX_TARGET_LINE_BYTES,
      maxBytes: opts.maxBytes ?? MAX_TARGET_FILE_BYTES,
      what: 'a targets file',
      hintLine: 'give one or more targets per line (CIDR, range or IP), # for comments',
      hintBytes: 'give CIDR blocks or ranges instead of one IP a line',
    },
    (line, lineNo) => {
      for (const t of lineTargets(line)) {
        let size: number;
        try {
          const b = parseTarget(t, opts);
          size = b.last >= b.first ? b.last - b.first + 1 : 0;
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          if (!opts.keep?.(t)) throw new UsageError(e.code, `${opts.name}, line ${lineNo}: ${e.message}`, e.hint !== undefined ? { hint: e.hint } : {});
          size = 1;
        }
        total += size;
        if (total > max)
          throw new UsageError('ERR_INPUT_TOO_LARGE', `${opts.name}: more than ${max} targets by line ${lineNo} (the limit)`, { hint: 'a sweep that large takes a while and floods the segment: raise the limit explicitly with --max-targets' });
        out.push(t);
      }
    },
  );
  return out;
}

/** Expand and deduplicate, keeping the order given. Throws before allocating for oversized input. */
export function expandTargets(texts: string[], opts: TargetOptions = {}): Uint32Array {
  const max = opts.maxTargets ?? DEFAULT_MAX_TARGETS;
  const blocks = texts.map((t) => parseTarget(t, opts));
  let total = 0;
  for (const b of blocks) total += b.last >= b.first ? b.last - b.first + 1 : 0;
  if (total === 0) throw new UsageError('ERR_INVALID_ARGUMENT', 'no targets to sweep', { hint: 'give CIDR blocks, ranges or IPs, or --file FILE' });
  if (total > max) {
    throw new UsageError('ERR_INVALID_ARGUMENT', `${total} targets is more than the limit of ${max}`, {
      hint: `a sweep that large takes a while and floods the segment: raise the limit explicitly with --max-targets ${total}`,
    });
  }
  const out = new Uint32Array(total);
  let n = 0;
  // Blocks that do not overlap (the usual case: one CIDR) need no check per address; else the
  // addresses seen are kept in a typed-array set (a JS Set of a /16 is megabytes of heap).
  const sorted = blocks.filter((b) => b.last >= b.first).sort((a, b) => a.first - b.first);
  let disjoint = true;
  for (let k = 1; k < sorted.length; k++) if (sorted[k]!.first <= sorted[k - 1]!.last) disjoint = false;
  const seen = disjoint ? undefined : new U32Map(total);
  for (const b of blocks)
    for (let ip = b.first; ip <= b.last; ip++) {
      if (seen) {
        if (seen.has(ip)) continue;
        seen.set(ip, 0);
      }
      out[n++] = ip;
      if (ip === 0xffffffff) break;
    }
  return out.subarray(0, n);
}

/** Deterministic PRNG (mulberry32) for --random --seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates in place. */
export function shuffle(a: Uint32Array, rnd: () => number): Uint32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Canary addresses: one per documentation range (RFC 5737) that no target block overlaps. Nothing
 * legitimate lives there; an answer means a host proxies for addresses routed elsewhere.
 */
export function defaultCanaries(targets: Uint32Array): string[] {
  // The three /24s as numbers: a /16 of targets is 65,536 comparisons, not 65,536 strings.
  const ranges = [0xc0000200, 0xc6336400, 0xcb007100];
  const used = [false, false, false];
  for (let k = 0; k < targets.length; k++) {
    const net = (targets[k]! & 0xffffff00) >>> 0;
    if (net === ranges[0]) used[0] = true;
    else if (net === ranges[1]) used[1] = true;
    else if (net === ranges[2]) used[2] = true;
  }
  return ranges.filter((_r, i) => !used[i]).map((r) => `${formatIpv4(r).slice(0, -1)}234`);
}
