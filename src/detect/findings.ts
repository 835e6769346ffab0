/**
 * The verdict of a sweep: pure rules over the replies (and an optional baseline). Every finding has a
 * kind from the one registry (src/findings/finding.ts), a severity and its evidence. No I/O, no clock.
 *
 * What tells a proxy-ARP router from a hijacker (GRNET case B vs a Cisco gateway with a default route):
 * both answer for off-link addresses (the canaries, or targets outside every subnet of the interface:
 * `localNets`). A router answers only those (and its own address or a few); a hijacker also takes
 * on-link addresses: IPs another MAC answers, or more on-link IPs than the threshold that the
 * baseline does not give it. The IPs a baseline assigns to a MAC never count toward its many-ips.
 *
 *  hijack            critical  off-link answers + on-link IPs taken (see above); also a MAC claiming more
 *                              on-link IPs than the threshold, some of which another MAC answers
 *  proxy-arp-router  warning   off-link answers only (at most the threshold of on-link IPs, none taken)
 *  ip-conflict       warning   one IP answered by more than one MAC; critical when one of them hijacks
 *  unexpected-mac    critical  baseline: the IP is answered by a MAC other than the expected one
 *  many-ips          warning   more on-link IPs than the threshold (baseline-given ones not counted)
 *  eth-src-mismatch  warning   Ethernet source differs from the ARP sender MAC
 *  missing-host      warning   baseline: an expected IP did not answer
 *  new-host          info      baseline: an IP answered that the baseline does not list
 *  unsolicited       info      replies that answer no request we sent (counted per MAC)
 */
import { type Finding, finding, sortFindings } from '../findings/finding.js';
import type { ReplyRecord, UnsolicitedRecord } from '../records/records.js';
import { formatIpv4, parseIpv4 } from '../wire/address.js';
import { U32Map } from './u32map.js';

export { type Finding, type FindingKind, SEVERITIES, type Severity, severityRank } from '../findings/finding.js';

/** An IPv4 subnet as numbers: base address and prefix length. */
export interface Net {
  base: number;
  len: number;
}
const inNet = (ip: number, n: Net): boolean => n.len === 0 || ((ip ^ n.base) >>> (32 - n.len)) === 0;

export interface DetectInput {
  replies: ReplyRecord[];
  unsolicited?: UnsolicitedRecord[];
  /** Canary IPs that were asked. */
  canaries?: string[];
  /** The interface's subnets: a target outside all of them is off-link. Empty or absent: every non-canary target is on-link. */
  localNets?: Net[];
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
  const c = new Observations(input.canaries ?? [], input.localNets);
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
  private readonly firstMac: U32Map;
  /** IPs claimed by several MACs: every MAC id, the first one included, in order of arrival. */
  private readonly shared = new Map<number, number[]>();
  /** MAC id -> canary IPs it answered for. */
  private readonly canaryHits = new Map<number, number[]>();
  private readonly mismatch = new Map<number, { ethSrcs: Set<string>; ips: Set<number> }>();
  private readonly unsolicitedByMac = new Map<string, Set<string>>();

  private readonly localNets: Net[];

  /**
   * `expected`: how many addresses may answer (a sweep's targets), so the per-address table is sized
   * once; `range`: they are one block of addresses (a CIDR sweep), kept in a dense table.
   */
  constructor(canaries: string[], localNets: Net[] = [], expected = 256, range?: { base: number; len: number }) {
    this.localNets = localNets;
    this.firstMac = new U32Map(expected, range);
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
    const ip = parseIpv4(r.ip);
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
    if (this.canaryIps.size > 0 && this.canaryIps.has(ip)) {
      const hits = this.canaryHits.get(id);
      if (!hits) this.canaryHits.set(id, [ip]);
      else if (!hits.includes(ip)) hits.push(ip);
    } else {
      const first = this.firstMac.setIfAbsent(ip, id);
      if (first >= 0 && first !== id) {
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

  findings(input: Omit<DetectInput, 'replies' | 'unsolicited' | 'canaries' | 'localNets'>): Finding[] {
    const threshold = input.maxIpsPerMac ?? DEFAULT_MAX_IPS_PER_MAC;
    const { macs, firstMac, shared, canaryHits, mismatch, unsolicitedByMac } = this;
    const findings: Finding[] = [];
    const hijackers = new Set<number>();

    // Non-canary IPs per MAC, sorted: counted first, then filled into one typed array per MAC.
    // Each MAC's first-claimed IPs, grouped in one pass over the table's arrays (no callback per
    // address on a /16): MAC id's are byMac[start[id] .. start[id + 1]).
    const count = new Int32Array(macs.length);
    firstMac.countValues(count);
    const start = new Int32Array(macs.length + 1);
    for (let id = 0; id < macs.length; id++) start[id + 1] = start[id]! + count[id]!;
    const byMac = new Uint32Array(start[macs.length]!);
    firstMac.groupKeys(start.slice(0, macs.length), byMac);
    for (const ids of shared.values()) for (let k = 1; k < ids.length; k++) count[ids[k]!]!++;
    const ipsOf = (id: number): Uint32Array => {
      const out = new Uint32Array(count[id]!);
      out.set(byMac.subarray(start[id]!, start[id + 1]!));
      let n = start[id + 1]! - start[id]!;
      for (const [ip, ids] of shared) if (ids[0] !== id && ids.includes(id)) out[n++] = ip;
      return out.sort();
    };

    // Per MAC: off-link answers (canaries + targets outside every local subnet), on-link claims the
    // baseline does not give it, and on-link IPs it takes from another MAC.
    const nets = this.localNets;
    const offLink = (ip: number) => nets.length > 0 && !nets.some((n) => inNet(ip, n));
    const given = (ip: number, id: number) => input.baseline?.get(formatIpv4(ip)) === macs[id];
    const offIps = new Map<number, number[]>();
    for (const [id, hits] of canaryHits) offIps.set(id, [...hits]);
    const notGiven = new Int32Array(macs.length);
    const taken = new Int32Array(macs.length);
    const claim = (ip: number, id: number, sharedIp: boolean) => {
      if (offLink(ip)) {
        const l = offIps.get(id);
        if (!l) offIps.set(id, [ip]);
        else l.push(ip);
        return;
      }
      if (given(ip, id)) return;
      notGiven[id]!++;
      if (sharedIp) taken[id]!++;
    };
    for (let id = 0; id < macs.length; id++)
      for (let j = start[id]!; j < start[id + 1]!; j++) {
        const ip = byMac[j]!;
        if (shared.size === 0 || !shared.has(ip)) claim(ip, id, false);
      }
    for (const [ip, ids] of shared) for (const id of ids) claim(ip, id, true);

    for (let id = 0; id < macs.length; id++) {
      const mac = macs[id]!;
      const off = offIps.get(id);
      const n = notGiven[id]!;
      const t = taken[id]!;
      const offTexts = off ? ipTexts([...off].sort(byNumber), LIST_LIMIT) : [];
      const canariesHit = ipTexts([...(canaryHits.get(id) ?? [])].sort(byNumber));
      if ((off && (t > 0 || n > threshold)) || (!off && n > threshold && t > 0)) {
        hijackers.add(id);
        findings.push(
          finding('hijack', {
            mac,
            ips: ipTexts(ipsOf(id).filter((ip) => !offLink(ip)), LIST_LIMIT),
            message:
              `${mac} ` +
              (off ? `answers for off-link ${sample(offTexts)} and ` : '') +
              `claims ${n} on-link IPs` +
              (t ? `, ${t} of them also answered by another MAC` : '') +
              (n > threshold ? ` (threshold ${threshold}${input.baseline ? ', baseline-given IPs not counted' : ''})` : '') +
              ': it is taking addresses on this segment (a proxy ARP host answering for every address, or a spoofer)',
            evidence: { offLink: offTexts, canaries: canariesHit, onLinkClaimed: n, takenFromOthers: t, threshold },
          }),
        );
      } else if (off) {
        findings.push(
          finding('proxy-arp-router', {
            mac,
            ips: offTexts,
            message: `${mac} answers for off-link ${sample(offTexts)} and ${n} on-link IP(s): a router with proxy_arp (expected on some segments; never on a VM segment, where it is the start of a hijack)`,
            evidence: { offLink: offTexts, canaries: canariesHit, onLinkClaimed: n, threshold },
          }),
        );
      } else if (n > threshold) {
        findings.push(
          finding('many-ips', {
            mac,
            ips: ipTexts(ipsOf(id), LIST_LIMIT),
            message: `${mac} answers for ${n} on-link IPs (threshold ${threshold}${input.baseline ? '; the baseline gives it the others' : ''}): a proxy ARP host; expected if these are its guests`,
            evidence: { count: n, threshold, sharedWithOtherMacs: t },
          }),
        );
      }
    }

    for (const ip of [...shared.keys()].sort(byNumber)) {
      const ipText = formatIpv4(ip);
      const list = shared.get(ip)!.map((id) => macs[id]!);
      const hij = shared.get(ip)!.filter((id) => hijackers.has(id)).map((id) => macs[id]!);
      findings.push(
        finding('ip-conflict', {
          severity: hij.length ? 'critical' : 'warning',
          mac: hij[0] ?? null,
          ips: [ipText],
          message: `${ipText} is answered by ${list.length} MACs: ${list.join(', ')}` + (hij.length ? ` (${hij.join(', ')} is hijacking)` : ' (address conflict or spoofing)'),
          evidence: { macs: list },
        }),
      );
    }

    for (const [id, m] of mismatch) {
      const mac = macs[id]!;
      const ips = ipTexts([...m.ips].sort(byNumber));
      findings.push(finding('eth-src-mismatch', { mac, ips, message: `replies claiming ${mac} for ${sample(ips)} come from Ethernet source ${[...m.ethSrcs].join(', ')}`, evidence: { ethSrcs: [...m.ethSrcs] } }));
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
            findings.push(finding('missing-host', { mac: expected, ips: [ipText], message: `${ipText} (${expected} in the baseline) did not answer`, evidence: { expected } }));
          continue;
        }
        const others = got.filter((m) => m !== expected);
        if (others.length)
          findings.push(finding('unexpected-mac', { mac: others[0]!, ips: [ipText], message: `${ipText} is answered by ${others.join(', ')}; the baseline expects ${expected}`, evidence: { expected, got } }));
      }
      const fresh: number[] = [];
      firstMac.forEach((ip) => {
        if (!listed.has(ip)) fresh.push(ip);
      });
      for (const ip of fresh.sort(byNumber)) {
        const ipText = formatIpv4(ip);
        const got = this.macIdsOf(ip)!.map((id) => macs[id]!);
        findings.push(finding('new-host', { mac: got[0]!, ips: [ipText], message: `${ipText} (${got.join(', ')}) is not in the baseline`, evidence: { macs: got } }));
      }
    }

    for (const [mac, ips] of unsolicitedByMac) {
      const replies = this.unsolicitedReplies?.get(mac);
      findings.push(
        finding('unsolicited', {
          mac,
          ips: [...ips].slice(0, LIST_LIMIT),
          message: `${mac} sent ${replies !== undefined ? `${replies} ` : ''}replies nobody asked for, claiming ${sample([...ips])}`,
          evidence: { count: ips.size, ...(replies !== undefined ? { replies } : {}) },
        }),
      );
    }

    return sortFindings(findings);
  }
}
