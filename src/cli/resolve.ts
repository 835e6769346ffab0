/**
 * Host names as targets (sweep TARGET..., probe --tip, both --file), as arp-scan takes them: each
 * name is resolved once, at the start, to one IPv4 address (the resolver's first), and the run
 * uses that address; records carry the IP. The lookup is injectable (tests resolve without DNS).
 * Only the CLI resolves: the library and the target parser see addresses.
 */
import { createRequire } from 'node:module';
import { type ErrorCode, UsageError } from '../errors.js';

/** IPv4 addresses for a host name, best first; rejects (or returns none) when it does not resolve. */
export type Lookup = (name: string) => Promise<string[]>;

// node:dns (with net, dgram and blocklist) loads only when a host name is given: ~5 ms and 1 MB of every run otherwise.
export const systemLookup: Lookup = async (name) =>
  (await (createRequire(import.meta.url)('node:dns/promises') as typeof import('node:dns/promises')).lookup(name, { family: 4, all: true })).map((a) => a.address);

/**
 * A host name by its syntax (RFC 1123 labels, underscores tolerated), with a letter in it, so a
 * malformed address (10.0.0.256, 10.0.0) is reported as one, not looked up.
 */
export function isHostName(text: string): boolean {
  if (text.length === 0 || text.length > 253 || !/[A-Za-z]/.test(text)) return false;
  const labels = text.replace(/\.$/, '').split('.');
  return labels.every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

export interface Resolution {
  name: string;
  ip: string;
  /** How many IPv4 addresses the name has (the first is used). */
  of: number;
}

/**
 * Replace every host name among `texts` by its address. `literal(t)`: t is already a target (an IP,
 * a CIDR block...) and left alone; anything else that is not a host name is left for the parser to
 * refuse. `what` names the option in messages (`--tip`, `target`). Each name is looked up once.
 */
export async function resolveHostNames(
  texts: string[],
  o: {
    literal: (t: string) => boolean;
    lookup?: Lookup;
    /** For messages: `--tip`, `target`. */
    what: string;
    /** The code of the error for a name that does not resolve (default ERR_INVALID_ARGUMENT). */
    code?: ErrorCode;
    /** Called once, before the first lookup (a DNS query leaves the host): the CLI checks the interface there. */
    beforeLookup?: () => void;
  },
): Promise<{ targets: string[]; resolved: Resolution[] }> {
  const lookup = o.lookup ?? systemLookup;
  let first = true;
  const cache = new Map<string, Resolution>();
  const targets: string[] = [];
  for (const t of texts) {
    if (o.literal(t) || !isHostName(t)) {
      targets.push(t);
      continue;
    }
    let r = cache.get(t.toLowerCase());
    if (!r) {
      let ips: string[] = [];
      let why = 'no IPv4 address';
      if (first) {
        first = false;
        o.beforeLookup?.();
      }
      try {
        ips = await lookup(t);
      } catch (e) {
        why = (e as { code?: string }).code ?? (e as Error).message;
      }
      if (ips.length === 0)
        throw new UsageError(o.code ?? 'ERR_INVALID_ARGUMENT', `${o.what}: "${t}" is not an IPv4 address, and it does not resolve as a host name (${why})`, {
          hint: 'give an IPv4 address, or a name this host resolves to one (getent ahostsv4 NAME)',
        });
      r = { name: t, ip: ips[0]!, of: ips.length };
      cache.set(t.toLowerCase(), r);
    }
    targets.push(r.ip);
  }
  return { targets, resolved: [...cache.values()] };
}

/** One line per resolved name, for stderr. */
export const describeResolution = (r: Resolution): string => `resolved ${r.name} to ${r.ip}${r.of > 1 ? ` (the first of its ${r.of} IPv4 addresses)` : ''}`;
