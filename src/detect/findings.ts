/**
 * The verdict of a sweep: pure rules over the replies (and an optional baseline). Every finding has a
 * kind, a severity and its evidence. No I/O, no clock.
 *
 * kinds:
 *  canary-answered  critical  a MAC answered for an address nothing legitimate uses (RFC 5737 canaries or
 *                             --canary): a proxy ARP host routing it via another interface (GRNET case B)
 *  many-ips         warning   one MAC answers for more IPs than --max-ips-per-mac; critical when the same
 *                             MAC also answered a canary or claims IPs that other MACs also answer
 *  ip-conflict      warning   one IP answered by more than one MAC (conflict or spoofing); critical when
 *                             one of the MACs is a hijacker (canary or many-ips)
 *  eth-src-mismatch warning   Ethernet source differs from the ARP sender MAC
 *  unexpected-mac   critical  baseline: the IP is answered by a MAC other than the expected one
 *  missing-host     warning   baseline: an expected IP did not answer
 *  new-host         info      baseline: an IP answered that the baseline does not list
 *  unsolicited      info      replies that answer no request we sent (counted per MAC)
 */
import type { ReplyRecord, UnsolicitedRecord } from '../probe/records.js';

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: Severity[] = ['info', 'warning', 'critical'];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export type FindingKind =
  | 'canary-answered'
  | 'many-ips'
  | 'ip-conflict'
  | 'eth-src-mismatch'
  | 'unexpected-mac'
  | 'missing-host'
  | 'new-host'
  | 'unsolicited';

export interface Finding {
  type: 'finding';
  kind: FindingKind;
  severity: Severity;
  /** The MAC the finding is about (null when it is about an IP only). */
  mac: string | null;
  ips: string[];
  message: string;
  /** Kind-specific evidence (MACs, counts, expected values). */
  evidence: Record<string, unknown>;
}

export interface DetectInput {
  replies: ReplyRecord[];
  unsolicited?: UnsolicitedRecord[];
  /** Canary IPs that were asked. */
  canaries?: string[];
  /** Expected IP -> MAC. */
  baseline?: Map<string, string>;
  /** IPs swept (for missing-host); only needed with a baseline. */
  swept?: (ip: string) => boolean;
  /** Threshold for many-ips (default 32). */
  maxIpsPerMac?: number;
}

export const DEFAULT_MAX_IPS_PER_MAC = 32;
const LIST_LIMIT = 50;

const sample = (ips: string[]): string => (ips.length <= 8 ? ips.join(', ') : `${ips.slice(0, 8).join(', ')} and ${ips.length - 8} more`);

export function detect(input: DetectInput): Finding[] {
  const c = new Observations(input.canaries ?? []);
  for (const r of input.replies) c.add(r);
  for (const u of input.unsolicited ?? []) c.addUnsolicited(u);
  return c.findings(input);
}

/**
 * What the rules need from the replies, gathered incrementally (a sweep feeds it as replies arrive,
 * so a /16 does not have to keep 65,536 reply records to reach a verdict).
 */
export class Observations {
  readonly canarySet: Set<string>;
  readonly ipsByMac = new Map<string, Set<string>>();
  /** IP -> the MAC that claims it, or a Set when several do (one Set per IP would cost 65,536 Sets on a /16). */
  readonly macsOfIp = new Map<string, string | Set<string>>();
  readonly mismatch = new Map<string, { ethSrcs: Set<string>; ips: Set<string> }>();
  readonly unsolicitedByMac = new Map<string, Set<string>>();

  constructor(canaries: string[]) {
    this.canarySet = new Set(canaries);
  }

  add(r: ReplyRecord): void {
    let ips = this.ipsByMac.get(r.mac);
    if (!ips) this.ipsByMac.set(r.mac, (ips = new Set()));
    ips.add(r.tip);
    if (!this.canarySet.has(r.tip)) {
      const m = this.macsOfIp.get(r.tip);
      if (m === undefined) this.macsOfIp.set(r.tip, r.mac);
      else if (typeof m === 'string') {
        if (m !== r.mac) this.macsOfIp.set(r.tip, new Set([m, r.mac]));
      } else m.add(r.mac);
    }
    if (r.ethSrcMismatch) {
      let m = this.mismatch.get(r.mac);
      if (!m) this.mismatch.set(r.mac, (m = { ethSrcs: new Set(), ips: new Set() }));
      m.ethSrcs.add(r.ethSrc);
      m.ips.add(r.tip);
    }
  }

  addUnsolicited(u: UnsolicitedRecord): void {
    let ips = this.unsolicitedByMac.get(u.mac);
    if (!ips) this.unsolicitedByMac.set(u.mac, (ips = new Set()));
    ips.add(u.ip);
  }

  findings(input: Omit<DetectInput, 'replies' | 'unsolicited' | 'canaries'>): Finding[] {
    const threshold = input.maxIpsPerMac ?? DEFAULT_MAX_IPS_PER_MAC;
    const { canarySet, ipsByMac, mismatch, unsolicitedByMac } = this;
    const macsOfIp = this.macsOfIp;
    const macsOf = (ip: string): string[] | undefined => {
      const m = macsOfIp.get(ip);
      return m === undefined ? undefined : typeof m === 'string' ? [m] : [...m];
    };
    const findings: Finding[] = [];
    const hijackers = new Set<string>();

    for (const [mac, ips] of ipsByMac) {
      const canaryIps = [...ips].filter((ip) => canarySet.has(ip));
      if (canaryIps.length === 0) continue;
      hijackers.add(mac);
      findings.push({
        type: 'finding',
        kind: 'canary-answered',
        severity: 'critical',
        mac,
        ips: canaryIps,
        message: `${mac} answers for ${sample(canaryIps)}, which no host on this segment can own: a proxy ARP host that routes these addresses via another interface is hijacking the segment`,
        evidence: { canaries: canaryIps, ipsClaimed: [...ips].filter((ip) => !canarySet.has(ip)).length },
      });
    }

    for (const [mac, ipsAll] of ipsByMac) {
      const ips = [...ipsAll].filter((ip) => !canarySet.has(ip));
      if (ips.length <= threshold) continue;
      const shared = ips.filter((ip) => typeof macsOfIp.get(ip) === 'object');
      const critical = hijackers.has(mac) || shared.length > 0;
      if (critical) hijackers.add(mac);
      findings.push({
        type: 'finding',
        kind: 'many-ips',
        severity: critical ? 'critical' : 'warning',
        mac,
        ips: ips.slice(0, LIST_LIMIT),
        message:
          `${mac} answers for ${ips.length} IPs (threshold ${threshold})` +
          (shared.length ? `, ${shared.length} of them also answered by another MAC` : '') +
          (critical ? ': hijacking' : ': a proxy ARP host; expected if these are its guests'),
        evidence: { count: ips.length, threshold, sharedWithOtherMacs: shared.length },
      });
    }

    for (const [ip, set] of macsOfIp) {
      if (typeof set === 'string') continue;
      const list = [...set];
      const hij = list.filter((m) => hijackers.has(m));
      findings.push({
        type: 'finding',
        kind: 'ip-conflict',
        severity: hij.length ? 'critical' : 'warning',
        mac: hij[0] ?? null,
        ips: [ip],
        message: `${ip} is answered by ${list.length} MACs: ${list.join(', ')}` + (hij.length ? ` (${hij.join(', ')} is hijacking)` : ' (address conflict or spoofing)'),
        evidence: { macs: list },
      });
    }

    for (const [mac, m] of mismatch) {
      const ips = [...m.ips];
      findings.push({
        type: 'finding',
        kind: 'eth-src-mismatch',
        severity: 'warning',
        mac,
        ips,
        message: `replies claiming ${mac} for ${sample(ips)} come from Ethernet source ${[...m.ethSrcs].join(', ')}`,
        evidence: { ethSrcs: [...m.ethSrcs] },
      });
    }

    if (input.baseline) {
      for (const [ip, expected] of input.baseline) {
        const got = macsOf(ip);
        if (!got) {
          if (!input.swept || input.swept(ip))
            findings.push({ type: 'finding', kind: 'missing-host', severity: 'warning', mac: expected, ips: [ip], message: `${ip} (${expected} in the baseline) did not answer`, evidence: { expected } });
          continue;
        }
        const others = got.filter((m) => m !== expected);
        if (others.length)
          findings.push({
            type: 'finding',
            kind: 'unexpected-mac',
            severity: 'critical',
            mac: others[0]!,
            ips: [ip],
            message: `${ip} is answered by ${others.join(', ')}; the baseline expects ${expected}`,
            evidence: { expected, got },
          });
      }
      for (const ip of macsOfIp.keys()) {
        if (input.baseline.has(ip)) continue;
        const macs = macsOf(ip)!;
        findings.push({ type: 'finding', kind: 'new-host', severity: 'info', mac: macs[0]!, ips: [ip], message: `${ip} (${macs.join(', ')}) is not in the baseline`, evidence: { macs } });
      }
    }

    for (const [mac, ips] of unsolicitedByMac)
      findings.push({ type: 'finding', kind: 'unsolicited', severity: 'info', mac, ips: [...ips].slice(0, LIST_LIMIT), message: `${mac} sent replies nobody asked for, claiming ${sample([...ips])}`, evidence: { count: ips.size } });

    // Worst first, then by kind order above, then by MAC.
    const kindOrder: FindingKind[] = ['canary-answered', 'many-ips', 'ip-conflict', 'unexpected-mac', 'eth-src-mismatch', 'missing-host', 'new-host', 'unsolicited'];
    return findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || String(a.mac).localeCompare(String(b.mac)));
  }
}
