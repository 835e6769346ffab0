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
import { formatIpv4, parseIpv4 } from '../wire/address.js';
import { U32Map } from './u32map.js';

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

/** What a reply contributes to the verdict. */
export type ReplyFacts = Pick<ReplyRecord, 'mac' | 'ethSrc' | 'ethSrcMismatch'>;

const byNumber = (a: number, b: number) => a - b;
const ipTexts = (ips: ArrayLike<number>, limit = Infinity): string[] => {
  const out: string[] = [];
  for (let k = 0; k < ips.length && k < limit; k++) out.push(formatIpv4(ips[k]!));
  return out;
};

/**
 * What the rules need from the replies, gathered incrementally (a sweep feeds it as replies arrive,
 * so a /16 does not have to keep 65,536 reply records to reach a verdict). Per address it keeps one
 * MAC id in a typed-array table; lists exist only for addresses several MACs claim.
 */
export class Observations {
  private readonly canaryIps = new U32Map();
  private readonly macIds = new Map<string, number>();
  private readonly macs: string[] = [];
  /** Non-canary IP -> id of the first MAC that claimed it. */
  private readonly firstMac = new U32Map(256);
  /** IPs claimed by several MACs: every MAC id, the first one included, in order of arrival. */
  private readonly shared = new Map<number, number[]>();
  /** MAC id -> canary IPs it answered for. */
  private readonly canaryHits = new Map<number, number[]>();
  private readonly mismatch = new Map<number, { ethSrcs: Set<string>; ips: Set<number> }>();
  private readonly unsolicitedByMac = new Map<string, Set<string>>();

  constructor(canaries: string[]) {
    for (const c of canaries) {
      const ip = parseIpv4(c);
      if (ip !== undefined) this.canaryIps.set(ip, 0);
    }
  }

  /** Distinct MACs that answered (canaries included). */
  get responders(): number {
    return this.macs.length;
  }

  add(r: ReplyRecord): void {
    const ip = parseIpv4(r.tip);
    if (ip !== undefined) this.addIp(ip, r);
  }

  /** add() for a caller that already has the target as a number (the sweep engine): no parsing. */
  addIp(ip: number, r: ReplyFacts): void {
    let id = this.macIds.get(r.mac);
    if (id === undefined) {
      id = this.macs.length;
      this.macIds.set(r.mac, id);
      this.macs.push(r.mac);
    }
    if (this.canaryIps.has(ip)) {
      const hits = this.canaryHits.get(id);
      if (!hits) this.canaryHits.set(id, [ip]);
      else if (!hits.includes(ip)) hits.push(ip);
    } else {
      const first = this.firstMac.get(ip);
      if (first < 0) this.firstMac.set(ip, id);
      else if (first !== id) {
        const list = this.shared.get(ip);
        if (!list) this.shared.set(ip, [first, id]);
        else if (!list.includes(id)) list.push(id);
      }
    }
    if (r.ethSrcMismatch) {
      let m = this.mismatch.get(id);
      if (!m) this.mismatch.set(id, (m = { ethSrcs: new Set(), ips: new Set() }));
      m.ethSrcs.add(r.ethSrc);
      m.ips.add(ip);
    }
  }

  /** Unsolicited replies per MAC, counted by the caller (sweep's engine): every frame, not only the recorded ones. */
  private unsolicitedReplies: Map<string, number> | undefined;

  countUnsolicited(byMac: Map<string, number>): void {
    this.unsolicitedReplies = byMac;
  }

  addUnsolicited(u: UnsolicitedRecord): void {
    let ips = this.unsolicitedByMac.get(u.mac);
    if (!ips) this.unsolicitedByMac.set(u.mac, (ips = new Set()));
    ips.add(u.ip);
  }

  /** MAC ids claiming `ip`, first first; undefined when nobody answered for it. */
  private macIdsOf(ip: number): number[] | undefined {
    const list = this.shared.get(ip);
    if (list) return list;
    const first = this.firstMac.get(ip);
    return first < 0 ? undefined : [first];
  }

  findings(input: Omit<DetectInput, 'replies' | 'unsolicited' | 'canaries'>): Finding[] {
    const threshold = input.maxIpsPerMac ?? DEFAULT_MAX_IPS_PER_MAC;
    const { macs, firstMac, shared, canaryHits, mismatch, unsolicitedByMac } = this;
    const findings: Finding[] = [];
    const hijackers = new Set<number>();

    // Non-canary IPs per MAC, sorted: counted first, then filled into one typed array per MAC.
    const count = new Int32Array(macs.length);
    const sharedCount = new Int32Array(macs.length);
    firstMac.forEach((_ip, id) => count[id]!++);
    for (const ids of shared.values())
      for (let k = 0; k < ids.length; k++) {
        if (k > 0) count[ids[k]!]!++;
        sharedCount[ids[k]!]!++;
      }
    const ipsOf = (id: number): Uint32Array => {
      const out = new Uint32Array(count[id]!);
      let n = 0;
      firstMac.forEach((ip, m) => {
        if (m === id) out[n++] = ip;
      });
      for (const [ip, ids] of shared) if (ids[0] !== id && ids.includes(id)) out[n++] = ip;
      return out.sort();
    };

    for (const [id, hits] of canaryHits) {
      const mac = macs[id]!;
      const canaryIps = ipTexts([...hits].sort(byNumber));
      hijackers.add(id);
      findings.push({
        type: 'finding',
        kind: 'canary-answered',
        severity: 'critical',
        mac,
        ips: canaryIps,
        message: `${mac} answers for ${sample(canaryIps)}, which no host on this segment can own: a proxy ARP host that routes these addresses via another interface is hijacking the segment`,
        evidence: { canaries: canaryIps, ipsClaimed: count[id]! },
      });
    }

    for (let id = 0; id < macs.length; id++) {
      const n = count[id]!;
      if (n <= threshold) continue;
      const mac = macs[id]!;
      const sharedN = sharedCount[id]!;
      const critical = hijackers.has(id) || sharedN > 0;
      if (critical) hijackers.add(id);
      findings.push({
        type: 'finding',
        kind: 'many-ips',
        severity: critical ? 'critical' : 'warning',
        mac,
        ips: ipTexts(ipsOf(id), LIST_LIMIT),
        message:
          `${mac} answers for ${n} IPs (threshold ${threshold})` +
          (sharedN ? `, ${sharedN} of them also answered by another MAC` : '') +
          (critical ? ': hijacking' : ': a proxy ARP host; expected if these are its guests'),
        evidence: { count: n, threshold, sharedWithOtherMacs: sharedN },
      });
    }

    for (const ip of [...shared.keys()].sort(byNumber)) {
      const ipText = formatIpv4(ip);
      const list = shared.get(ip)!.map((id) => macs[id]!);
      const hij = shared.get(ip)!.filter((id) => hijackers.has(id)).map((id) => macs[id]!);
      findings.push({
        type: 'finding',
        kind: 'ip-conflict',
        severity: hij.length ? 'critical' : 'warning',
        mac: hij[0] ?? null,
        ips: [ipText],
        message: `${ipText} is answered by ${list.length} MACs: ${list.join(', ')}` + (hij.length ? ` (${hij.join(', ')} is hijacking)` : ' (address conflict or spoofing)'),
        evidence: { macs: list },
      });
    }

    for (const [id, m] of mismatch) {
      const mac = macs[id]!;
      const ips = ipTexts([...m.ips].sort(byNumber));
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
      const listed = new U32Map(input.baseline.size);
      for (const [ipText, expected] of input.baseline) {
        const ip = parseIpv4(ipText);
        if (ip === undefined) continue;
        listed.set(ip, 0);
        const got = this.macIdsOf(ip)?.map((id) => macs[id]!);
        if (!got) {
          if (!input.swept || input.swept(ipText))
            findings.push({ type: 'finding', kind: 'missing-host', severity: 'warning', mac: expected, ips: [ipText], message: `${ipText} (${expected} in the baseline) did not answer`, evidence: { expected } });
          continue;
        }
        const others = got.filter((m) => m !== expected);
        if (others.length)
          findings.push({
            type: 'finding',
            kind: 'unexpected-mac',
            severity: 'critical',
            mac: others[0]!,
            ips: [ipText],
            message: `${ipText} is answered by ${others.join(', ')}; the baseline expects ${expected}`,
            evidence: { expected, got },
          });
      }
      const fresh: number[] = [];
      firstMac.forEach((ip) => {
        if (!listed.has(ip)) fresh.push(ip);
      });
      for (const ip of fresh.sort(byNumber)) {
        const ipText = formatIpv4(ip);
        const got = this.macIdsOf(ip)!.map((id) => macs[id]!);
        findings.push({ type: 'finding', kind: 'new-host', severity: 'info', mac: got[0]!, ips: [ipText], message: `${ipText} (${got.join(', ')}) is not in the baseline`, evidence: { macs: got } });
      }
    }

    for (const [mac, ips] of unsolicitedByMac) {
      const replies = this.unsolicitedReplies?.get(mac);
      findings.push({
        type: 'finding', kind: 'unsolicited', severity: 'info', mac, ips: [...ips].slice(0, LIST_LIMIT),
        message: `${mac} sent ${replies !== undefined ? `${replies} ` : ''}replies nobody asked for, claiming ${sample([...ips])}`,
        evidence: { count: ips.size, ...(replies !== undefined ? { replies } : {}) },
      });
    }

    // Worst first, then by kind order above, then by MAC (stable: IP order within a kind and MAC).
    const kindOrder: FindingKind[] = ['canary-answered', 'many-ips', 'ip-conflict', 'unexpected-mac', 'eth-src-mismatch', 'missing-host', 'new-host', 'unsolicited'];
    return findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || String(a.mac).localeCompare(String(b.mac)));
  }
}
