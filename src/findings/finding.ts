/**
 * The one findings model: one `Finding` shape for every command (probe, sweep, watch, trigger), one
 * registry of kinds (default severity, one-line meaning, README anchor), one worst/fails-on rule.
 * A new rule is a row here plus the code that raises it. Pure: no I/O, no clock (the vendor name of
 * `mac` comes from a read-only table, read once on first use: src/records/vendor.ts).
 */
import { vendorOf } from '../records/vendor.js';

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export interface KindInfo {
  /** The severity it is raised with unless its rule says otherwise (the rules below say when). */
  severity: Severity;
  /** Which commands raise it. */
  raisedBy: ReadonlyArray<'probe' | 'sweep' | 'watch' | 'trigger' | 'announce' | 'dad'>;
  /** One line: what it means. */
  meaning: string;
}

/** Every kind of finding, in the order a person should read them. README.md "Findings" is generated from this table's rows. */
export const FINDING_KINDS = {
  hijack: {
    severity: 'critical',
    raisedBy: ['probe', 'sweep'],
    meaning:
      'a MAC that answers for off-link addresses (canaries, or outside every subnet of the interface) also takes on-link ones: it claims IPs another MAC answers, or more on-link IPs than the threshold that the baseline does not give it (GRNET case B)',
  },
  'proxy-arp-router': {
    severity: 'warning',
    raisedBy: ['probe', 'sweep'],
    meaning: 'a MAC answers only for off-link addresses (and at most the threshold of on-link ones): a router with proxy_arp, as a Cisco gateway by default; expected on some segments, never on a VM segment',
  },
  'ip-conflict': {
    severity: 'warning',
    raisedBy: ['probe', 'sweep', 'watch', 'announce', 'dad'],
    meaning: 'one IP is answered by more than one MAC (an address conflict, or spoofing); critical when one of the MACs is a hijacker; announce and dad: another MAC claims the address announced or probed for',
  },
  'unexpected-mac': { severity: 'critical', raisedBy: ['sweep'], meaning: 'baseline: the IP is answered by a MAC other than the expected one' },
  'mac-changed': {
    severity: 'warning',
    raisedBy: ['watch'],
    meaning:
      "an active station's IP is now claimed by another MAC (arpwatch's \"changed ethernet address\": ARP spoofing, or a replaced NIC / failover); critical when the IP is a gateway or the same MAC took another station within the flip window",
  },
  'flip-flop': { severity: 'warning', raisedBy: ['watch'], meaning: 'an IP changed back to its previous MAC within the flip window (arpwatch\'s "flip flop": a conflict, or a spoofer fighting the owner)' },
  'reply-storm': { severity: 'critical', raisedBy: ['watch'], meaning: 'one MAC replied for many distinct IPs within the storm window (a proxy ARP host answering everything)' },
  'many-ips': { severity: 'warning', raisedBy: ['sweep'], meaning: 'one MAC answers for more on-link IPs than the threshold, not counting the IPs the baseline gives it: a proxy ARP host (its guests?)' },
  'eth-src-mismatch': { severity: 'warning', raisedBy: ['probe', 'sweep', 'watch'], meaning: 'the Ethernet source of a reply differs from its ARP sender MAC' },
  'host-scoped-sender': { severity: 'critical', raisedBy: ['watch', 'trigger'], meaning: 'an ARP request carries a sender IP configured scope host (the ARP bubble: every neighbour learns it)' },
  'loopback-sender': { severity: 'critical', raisedBy: ['watch', 'trigger'], meaning: 'an ARP frame carries a 127/8 sender IP' },
  'link-local-sender': { severity: 'critical', raisedBy: ['trigger'], meaning: "the kernel's ARP request carries a 169.254/16 address that is not the interface's own" },
  bogon: { severity: 'warning', raisedBy: ['watch'], meaning: "a sender IP outside every subnet of the link (the interface's, or --local-net): a proxy answering off-link, a misconfigured host or a spoofer (arpwatch's \"bogon\"); a DAD probe from 0.0.0.0 is not one" },
  'bogus-sender': { severity: 'warning', raisedBy: ['watch'], meaning: 'a sender IP no host should announce (169.254/16 outside DAD, 0.0.0.0 in a reply, multicast or broadcast)' },
  'foreign-sender': { severity: 'warning', raisedBy: ['trigger'], meaning: "the kernel's ARP request carries an address of another device (arp_announce=0 accepts any local source)" },
  'unspecified-sender': { severity: 'warning', raisedBy: ['trigger'], meaning: "the kernel's ARP request carries 0.0.0.0: no address of this host may be announced there" },
  'missing-host': { severity: 'warning', raisedBy: ['sweep'], meaning: 'baseline: an expected IP did not answer' },
  'capture-drops': { severity: 'warning', raisedBy: ['probe', 'sweep', 'watch'], meaning: 'the kernel dropped frames while we listened (capture ring full): replies and findings may be missing' },

  'new-host': { severity: 'info', raisedBy: ['sweep'], meaning: 'baseline: an IP answered that the baseline does not list' },
  gratuitous: { severity: 'info', raisedBy: ['watch'], meaning: 'a gratuitous ARP (sender IP = target IP): an announcement' },
  'new-station': { severity: 'info', raisedBy: ['watch'], meaning: "an (IP, VLAN) seen for the first time (arpwatch's \"new station\"); not raised for stations in the --state file" },
  'ip-moved': { severity: 'info', raisedBy: ['watch'], meaning: 'another MAC claims an IP whose station had been silent for longer than --stale (default 1 h): a replaced host or a reused address; mac-changed when the station was active' },
  malformed: { severity: 'info', raisedBy: ['watch'], meaning: 'a frame that is not valid Ethernet/IPv4 ARP (counted, shown with its raw fields, dropped)' },
  unsolicited: { severity: 'info', raisedBy: ['probe', 'sweep', 'watch'], meaning: 'replies that answer no request (counted per MAC: one finding per MAC, not per frame)' },
} as const satisfies Record<string, KindInfo>;

export type FindingKind = keyof typeof FINDING_KINDS;
export const KIND_NAMES = Object.keys(FINDING_KINDS) as FindingKind[];

export interface Finding {
  type: 'finding';
  kind: FindingKind;
  severity: Severity;
  /** The MAC the finding is about (null when it is about an IP only). */
  mac: string | null;
  /** Vendor of `mac` (src/records/vendor.ts), null when unknown or when there is no MAC. */
  vendor: string | null;
  ips: string[];
  /** One sentence for a person. */
  message: string;
  /** Kind-specific evidence (MACs, counts, expected values). */
  evidence: Record<string, unknown>;
  /** When it was raised (ISO 8601), for findings raised while capturing (watch, trigger); omitted by batch rules. */
  time?: string;
  /** VLAN the finding is about, when it is about one. */
  vlan?: number | null;
}

/** Build a finding with the kind's default severity unless the rule says otherwise. */
export function finding(kind: FindingKind, f: Omit<Finding, 'type' | 'kind' | 'severity' | 'vendor'> & { severity?: Severity }): Finding {
  return { type: 'finding', kind, severity: f.severity ?? FINDING_KINDS[kind].severity, mac: f.mac, vendor: f.mac !== null ? vendorOf(f.mac) : null, ips: f.ips, message: f.message, evidence: f.evidence, ...(f.time !== undefined ? { time: f.time } : {}), ...(f.vlan !== undefined ? { vlan: f.vlan } : {}) };
}

/** The worst severity among the findings, or null when there are none. */
export function worstSeverity(findings: Iterable<Pick<Finding, 'severity'>>): Severity | null {
  let worst: Severity | null = null;
  for (const f of findings) if (worst === null || severityRank(f.severity) > severityRank(worst)) worst = f.severity;
  return worst;
}

/** `--fail-on LEVEL`: does a finding at or above LEVEL exist? `none` never fails. */
export function failsOn(worst: Severity | null, level: Severity | 'none' | undefined): boolean {
  if (level === undefined || level === 'none' || worst === null) return false;
  return severityRank(worst) >= severityRank(level);
}

/** Worst first, then in the registry's order, then by MAC (stable within a kind and MAC). */
export function sortFindings<F extends Pick<Finding, 'severity' | 'kind' | 'mac'>>(findings: F[]): F[] {
  return findings.sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || KIND_NAMES.indexOf(a.kind) - KIND_NAMES.indexOf(b.kind) || String(a.mac).localeCompare(String(b.mac)),
  );
}
