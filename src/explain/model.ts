/**
 * Will the kernel answer this ARP request, and why? A pure model of arp_rcv/arp_process
 * (net/ipv4/arp.c) and the parts of ip_route_input_slow/__mkroute_input/fib_validate_source it relies
 * on, over a snapshot of the state (read-linux.ts reads it). Follows
 * shared/research/kernel-arp-model.md §8; section numbers below refer to that note.
 *
 * The routing decision itself comes from the kernel: RTM_GETROUTE with iif (`ip route get TIP from
 * SIP iif DEV`) runs the same input lookup ARP does, policy rules, rp_filter and all. The model
 * corrects for the places where that IP lookup and the ARP one differ (§6.1) and evaluates the
 * ARP-only checks itself. Pure: no node:* imports, no I/O.
 */
import { inPrefix, parseIpv4 } from '../wire/address.js';

/** The kernels whose behaviour this model encodes (older ones: the known differences are applied, unverified). */
export const MODEL_KERNELS = 'Linux 5.11 to 6.18 (verified against 6.18)';
const VERIFIED: readonly [number, number] = [6, 18];

/** The per-device (or `all`) IPv4 conf values the model reads: /proc/sys/net/ipv4/conf/{DEV,all}/*. */
export interface Conf {
  forwarding: number;
  proxy_arp: number;
  proxy_arp_pvlan: number;
  medium_id: number;
  rp_filter: number;
  accept_local: number;
  route_localnet: number;
  arp_ignore: number;
  arp_filter: number;
  drop_gratuitous_arp: number;
}

export interface Addr {
  dev: string;
  /** ifa_local */
  local: string;
  /** ifa_address: the peer for point-to-point addresses, else = local */
  address: string;
  prefixLen: number;
  scope: 'global' | 'link' | 'host' | string;
}

/** Result of `ip -d route get ...` (one lookup). */
export type RouteLookup =
  | { ok: true; type: string; dev: string; gateway?: string; table?: string; dst: string }
  | { ok: false; error: string };

/** The FIB entry that matched (`ip route get fibmatch ...`): prefix, and every nexthop of a multipath route. */
export interface RouteMatch {
  /** "default" or a prefix, e.g. "10.0.0.0/29". */
  dst: string;
  table?: string;
  gateway?: string;
  dev?: string;
  nexthops?: Array<{ dev: string; gateway?: string }>;
}

/** One policy routing rule (`ip -j rule show`), the selectors an input lookup is matched against. */
export interface Rule {
  priority: number;
  /** Table looked up (action "lookup"). */
  table?: string;
  /** Non-lookup action: unreachable, prohibit, blackhole, goto, nop. */
  action?: string;
  not?: boolean;
  iif?: string;
  oif?: string;
  /** Prefixes; undefined = all. */
  src?: string;
  dst?: string;
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  /** Selectors ARP and `ip route get` see differently (§6.1): ipproto, sport, dport, uidrange, l3mdev. */
  special?: string[];
}

/** A route entry found by listing (local table entries; blackhole/unreachable/prohibit/throw anywhere). */
export interface TableRoute {
  /** "default" or prefix (a bare address = /32). */
  dst: string;
  type: string;
  table: string;
}

export interface ExplainState {
  kernel: string;
  /** The device arp_rcv sees (for a bridge or bond port: its master, see `port`). */
  dev: string;
  /** Set when the request arrives on a port: the kernel processes ARP on the master instead. */
  port?: { name: string; master: string; kind: string; mac?: string; bridgeProxy?: string[] };
  devMac: string;
  devUp: boolean;
  devNoarp: boolean;
  all: Conf;
  conf: Conf;
  /** medium_id of the output device, when the route leaves via another one (DEV value only, §3). */
  outMediumId?: number;
  /** medium_id of every device a nexthop uses (multipath). */
  mediumIds?: Record<string, number>;
  /** neigh/DEV/proxy_delay in USER_HZ (1/100 s), proxy_qlen. */
  proxyDelay: number;
  proxyQlen: number;
  /** Every IPv4 address in the namespace. */
  addrs: Addr[];
  /** Local-table `local` routes (addresses and AnyIP prefixes): "10.0.0.1", "127.0.0.0/8". */
  localRoutes: string[];
  /** Every entry of the local table (local, broadcast, ...), for longest-prefix decisions. */
  localTable?: TableRoute[];
  /** Devices whose route_localnet is on (OR with all): it lowers host scope to link (§5.7). */
  routeLocalnetDevs?: string[];
  /** The input route lookup for the request: `ip route get TIP from SIP iif DEV`. */
  route: RouteLookup;
  /** The FIB entry behind `route` (fibmatch). */
  routeMatch?: RouteMatch;
  /** Output lookup `ip route get SIP from TIP` (arp_filter), when tip is local. */
  reverse?: RouteLookup;
  /** Output lookup `ip route get SIP` (to explain rp_filter failures). */
  sipRoute?: RouteLookup;
  /** Output lookup `ip route get TIP` (to explain input lookup failures). */
  tipRoute?: RouteLookup;
  rules?: Rule[];
  /** blackhole/unreachable/prohibit/throw routes in every table. */
  specialRoutes?: TableRoute[];
  /** Static proxy entries: `ip neigh add proxy IP [dev DEV]`. */
  pneigh: Array<{ ip: string; dev?: string }>;
  /** nftables/arptables rules in the arp family: not modelled. */
  arpFiltering: boolean;
  /** Hooks ahead of arp_rcv found on DEV (XDP, tc ingress filters, nft netdev): not modelled. */
  ingressHooks?: string[];
  /** What the reader could not check, e.g. "nft is not installed". */
  unchecked?: string[];
  /** Neighbour entries in this namespace; gc_thresh3 when readable (init namespace only). */
  neigh?: { entries: number; gcThresh3?: number };
}

export interface ExplainRequest {
  tip: string;
  sip: string;
  /** The request's Ethernet destination: undefined/broadcast, DEV's MAC (unicast to us), or another MAC. */
  ethDst?: string;
  /** Default 1 (request). */
  op?: number;
}

export type StepResult = 'pass' | 'reply' | 'no-reply' | 'info';

export interface Step {
  step: string;
  result: StepResult;
  detail: string;
  /** Where the kernel makes this decision. */
  ref?: string;
}

export interface Explanation {
  type: 'explain';
  verdict: 'reply' | 'no-reply';
  /** False when the state does not decide it (multipath: ARP hashes its own bytes, §2 R9). */
  certain: boolean;
  /** Reply delay: 0, or up to proxy_delay when the request is queued. */
  delayMs: { min: number; max: number };
  /** The reply waits in the proxy queue (pneigh_enqueue) and can be dropped when the queue is full. */
  queued: boolean;
  reason: string;
  /** For a no-reply: what would change it. */
  fix?: string;
  steps: Step[];
  /** Risks found in the state. */
  warnings: string[];
  /** What the model cannot see (not modelled, or not checked on this machine). */
  unseen: string[];
  inputs: { dev: string; iface: string; tip: string; sip: string; ethDst: string | null; kernel: string; model: string };
}

const ip = (s: string): number => parseIpv4(s) ?? 0;
const orconf = (s: ExplainState, k: keyof Conf): number => (s.all[k] || s.conf[k] ? 1 : 0);
const maxconf = (s: ExplainState, k: keyof Conf): number => Math.max(s.all[k], s.conf[k]);
/** "proxy_arp=1 (vlan0), all=0" */
export const showConf = (s: ExplainState, k: keyof Conf): string => `${k}=${s.conf[k]} (${s.dev}), all=${s.all[k]}`;

/** "a.b.c.d/len", "a.b.c.d" (= /32) or "default" → [base, len]. */
export function parsePrefix(p: string): [number, number] | undefined {
  if (p === 'default') return [0, 0];
  const [base, len] = p.split('/');
  const b = parseIpv4(base ?? '');
  const l = len === undefined ? 32 : Number(len);
  return b === undefined || !Number.isInteger(l) || l < 0 || l > 32 ? undefined : [b, l];
}
const covers = (prefix: string, addr: number): boolean => {
  const p = parsePrefix(prefix);
  return p !== undefined && inPrefix(addr, p[0], p[1]);
};

/** Kernel release "6.18.44-..." → [6, 18]; undefined if unreadable. */
export function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
const atLeast = (v: [number, number] | undefined, maj: number, min: number): boolean => v === undefined || v[0] > maj || (v[0] === maj && v[1] >= min);

/** Behaviour that changed between kernels (§5), for the running one. Unknown version = current. */
export function kernelRules(release: string): { pvlanOrAll: boolean; queuePerDevice: boolean; verified: boolean; known: boolean } {
  const v = kernelVersion(release);
  return {
    pvlanOrAll: atLeast(v, 5, 11),
    queuePerDevice: atLeast(v, 6, 0),
    verified: v !== undefined && v[0] === VERIFIED[0] && v[1] === VERIFIED[1],
    known: v !== undefined && atLeast(v, 4, 14),
  };
}

/** inet_ifa_match: is `addr` inside the prefix of this ifa (built from ifa_address, the peer if any)? */
const ifaMatch = (addr: number, a: Addr): boolean => inPrefix(addr, ip(a.address), a.prefixLen);
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const scopeRank = (scope: string): number => SCOPES[scope] ?? (Number.isInteger(Number(scope)) ? Number(scope) : 200);

/**
 * confirm_addr_indev (devinet.c) for one device: an address `local` configured there with scope
 * (lowered to link by route_localnet) <= `scope`, and an ifa of the same device whose prefix covers
 * local (and dst, when given).
 */
function confirmAddr(addrs: Addr[], dst: number, local: number, scope: number, localnet: boolean): boolean {
  const hasLocal = addrs.some((a) => ip(a.local) === local && Math.min(scopeRank(a.scope), localnet ? 253 : 254) <= scope);
  const same = addrs.some((a) => ifaMatch(local, a) && (dst === 0 || ifaMatch(dst, a)));
  return hasLocal && same;
}

/** arp_ignore(in_dev, sip, tip) (§1.6), value = MAXCONF: blocks = the kernel must NOT reply. */
export function arpIgnoreBlocks(s: ExplainState, sip: string, tip: string): { blocks: boolean; why: string } {
  const v = maxconf(s, 'arp_ignore');
  const localnet = (d: string) => (s.routeLocalnetDevs ?? []).includes(d) || (d === s.dev && orconf(s, 'route_localnet') === 1);
  const onDev = s.addrs.filter((a) => a.dev === s.dev);
  const tag = `arp_ignore=${v} (max of ${s.dev}=${s.conf.arp_ignore}, all=${s.all.arp_ignore})`;
  switch (v) {
    case 1:
      return confirmAddr(onDev, 0, ip(tip), 254, localnet(s.dev))
        ? { blocks: false, why: `${tag}: ${tip} is configured on ${s.dev}` }
        : { blocks: true, why: `${tag}: ${tip} is not an address of ${s.dev} with a prefix of ${s.dev} covering it${holder(s, tip)}` };
    case 2:
      return confirmAddr(onDev, ip(sip), ip(tip), 254, localnet(s.dev))
        ? { blocks: false, why: `${tag}: ${tip} is on ${s.dev}, in a subnet of ${s.dev} that also holds the sender ${sip}` }
        : { blocks: true, why: `${tag}: ${tip} is not on ${s.dev} in a subnet that also holds the sender ${sip}${holder(s, tip)}` };
    case 3: {
      const devs = [...new Set(s.addrs.map((a) => a.dev))];
      const ok = devs.some((d) => confirmAddr(s.addrs.filter((a) => a.dev === d), 0, ip(tip), 253, localnet(d)));
      return ok
        ? { blocks: false, why: `${tag}: ${tip} has scope global or link` }
        : { blocks: true, why: `${tag}: no device holds ${tip} with scope global or link and a prefix covering it${holder(s, tip)}` };
    }
    case 8:
      return { blocks: true, why: `${tag}: never reply` };
    default:
      return { blocks: false, why: `${tag}: any local address is answered, on any interface` };
  }
}

/** " (it is on lo, scope host)" */
function holder(s: ExplainState, tip: string): string {
  const a = s.addrs.filter((x) => x.local === tip);
  return a.length ? ` (it is on ${a.map((x) => `${x.dev}, ${x.local}/${x.prefixLen}${x.address !== x.local ? ` peer ${x.address}` : ''} scope ${x.scope}`).join('; ')})` : '';
}

/** Longest-prefix match over the local table: the type of the entry covering `addr` (local, broadcast, ...). */
export function localTableType(s: ExplainState, addr: string): string | undefined {
  const n = ip(addr);
  const entries = s.localTable ?? s.localRoutes.map((dst) => ({ dst, type: 'local', table: 'local' }));
  let best: { len: number; type: string } | undefined;
  for (const e of entries) {
    const p = parsePrefix(e.dst);
    if (p && inPrefix(n, p[0], p[1]) && (!best || p[1] > best.len)) best = { len: p[1], type: e.type };
  }
  return best?.type;
}

/** fib_rule_match + fib4_rule_match for an ARP input lookup: iif DEV, mark 0, tos 0, no oif, no ports. */
export function ruleMatches(r: Rule, f: { iif: string; src: string; dst: string }): boolean {
  let m = true;
  if (r.iif !== undefined && r.iif !== f.iif) m = false;
  if (r.oif !== undefined) m = false;
  if (r.src !== undefined && !covers(r.src, ip(f.src))) m = false;
  if (r.dst !== undefined && !covers(r.dst, ip(f.dst))) m = false;
  if (r.fwmark !== undefined && (r.fwmark & (r.fwmask ?? 0xffffffff)) !== 0) m = false;
  if (r.tos !== undefined && r.tos !== 0) m = false;
  if ((r.special ?? []).some((x) => x === 'ipproto' || x === 'sport' || x === 'dport' || x === 'l3mdev')) m = false;
  return r.not ? !m : m;
}

/** The rules an ARP input lookup walks, in order. */
export function matchingRules(s: ExplainState, req: { tip: string; sip: string }): Rule[] {
  return [...(s.rules ?? [])].sort((a, b) => a.priority - b.priority).filter((r) => ruleMatches(r, { iif: s.dev, src: req.sip, dst: req.tip }));
}

const ruleText = (r: Rule): string => `${r.priority}: ${r.not ? 'not ' : ''}${r.iif ? `iif ${r.iif} ` : ''}${r.src ? `from ${r.src} ` : ''}${r.dst ? `to ${r.dst} ` : ''}${r.action && r.action !== 'lookup' ? r.action : `lookup ${r.table}`}`;

/** "table main, rule 32766" for the route the kernel chose. */
function tableAndRule(s: ExplainState, req: ExplainRequest, table: string | undefined): string {
  const t = table ?? 'main';
  if (!s.rules) return `table ${t}`;
  const r = matchingRules(s, req).find((x) => (x.action === undefined || x.action === 'lookup') && x.table === t);
  return r ? `table ${t}, rule ${r.priority}` : `table ${t}`;
}

/** The route as evidence: "default via 203.0.113.1 dev eth0 (table main, rule 32766)". */
function describeRoute(s: ExplainState, req: ExplainRequest, r: Extract<RouteLookup, { ok: true }>): string {
  const m = s.routeMatch;
  const prefix = m?.dst ?? r.dst;
  const nh = m?.nexthops && m.nexthops.length > 1 ? ` (multipath: ${m.nexthops.map((n) => `${n.gateway ? `via ${n.gateway} ` : ''}dev ${n.dev}`).join(', ')}; chosen ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev})` : ` ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev}`;
  return `${r.type === 'local' ? 'local ' : ''}${prefix}${nh} (${tableAndRule(s, req, m?.table ?? r.table)})`;
}

const isMulticast = (n: number) => n >>> 28 === 0xe;
const isZeronet = (n: number) => n >>> 24 === 0;
const isLoopback = (n: number) => n >>> 24 === 127;

/** medium_ok (§1.8 A): imi == 0 || (imi != -1 && omi != imi && omi != -1). */
export const mediumOk = (imi: number, omi: number): boolean => imi === 0 || (imi !== -1 && omi !== imi && omi !== -1);

interface Diagnosis {
  detail: string;
  fix?: string;
}

/**
 * Why `ip route get TIP from SIP iif DEV` failed, in words (§2, §6.3). On 6.13+ every input failure
 * reads "Invalid argument" (EINVAL); earlier kernels pass the errno through (EXDEV for rp_filter).
 * The verdict does not depend on this: any failure is a no-reply.
 */
export function diagnoseRouteError(s: ExplainState, req: ExplainRequest, err: string): Diagnosis {
  const tip = ip(req.tip);
  const sip = ip(req.sip);
  const e = err.toLowerCase();
  const localnet = orconf(s, 'route_localnet');
  const dev = s.dev;
  const rules = matchingRules(s, req);
  const ruleList = rules.length ? ` (rules for iif ${dev} from ${req.sip}: ${rules.map(ruleText).join(', ')})` : '';
  const special = (type: string): string | undefined => {
    const r = (s.specialRoutes ?? []).filter((x) => x.type === type && covers(x.dst, tip)).sort((a, b) => (parsePrefix(b.dst)?.[1] ?? 0) - (parsePrefix(a.dst)?.[1] ?? 0))[0];
    if (r) return `a "${type}" route ${r.dst} (table ${r.table}) covers ${req.tip}`;
    const rr = rules.find((x) => x.action === type);
    return rr ? `rule ${ruleText(rr)} matches` : undefined;
  };
  // Address classes, in the order ip_route_input_slow checks them (§2 R2-R5).
  if (isMulticast(sip) || sip === 0xffffffff) return { detail: `the sender ${req.sip} is a multicast/broadcast address: martian source` };
  if (isZeronet(sip)) return { detail: `the sender ${req.sip} is in 0.0.0.0/8: martian source` };
  if (isZeronet(tip)) return { detail: `the target ${req.tip} is in 0.0.0.0/8: martian destination` };
  if (isLoopback(sip) && !localnet) return { detail: `the sender ${req.sip} is in 127.0.0.0/8 and ${showConf(s, 'route_localnet')}: martian source`, fix: `sysctl -w net.ipv4.conf.${dev}.route_localnet=1 (or use a sender outside 127/8)` };
  // fib_lookup failed (§2 R7) or forwarding is off (R8c): the skb gets an error route.
  if (!s.conf.forwarding && /no route to host/.test(e))
    return { detail: `forwarding=0 on ${dev} (conf/all is not consulted): the kernel neither routes nor proxies for anything arriving on ${dev}, and ${req.tip} is not local (${err})`, fix: `sysctl -w net.ipv4.conf.${dev}.forwarding=1` };
  if (/no route to host/.test(e)) {
    const why = special('unreachable');
    return { detail: `${why ?? 'an unreachable route or rule matches'}: the lookup ends in an error route (${err})`, fix: `remove the unreachable route/rule for ${req.tip}` };
  }
  if (/permission denied/.test(e)) {
    const why = special('prohibit');
    return { detail: `${why ?? 'a prohibit route or rule matches'}: the lookup ends in an error route (${err})`, fix: `remove the prohibit route/rule for ${req.tip}` };
  }
  if (/network is unreachable/.test(e)) {
    const thr = special('throw');
    return {
      detail: `no route to ${req.tip} in the tables the rules select${thr ? `; ${thr}` : ''}${ruleList} (${err})`,
      fix: `add a route for ${req.tip} (via another interface, for proxy ARP)`,
    };
  }
  // EINVAL (all input failures on 6.13+) or EXDEV (rp_filter, before 6.13).
  const bh = special('blackhole');
  if (bh) return { detail: `${bh}: the lookup ends in an error route (${err})`, fix: `remove the blackhole route/rule for ${req.tip}` };
  const sipLocal = localTableType(s, req.sip) === 'local' || s.addrs.some((a) => a.local === req.sip);
  if (sipLocal && !orconf(s, 'accept_local'))
    return { detail: `the sender ${req.sip} is one of this host's own addresses and ${showConf(s, 'accept_local')}: martian source (fib_validate_source)`, fix: `use a sender IP that is not local here, or set net.ipv4.conf.${dev}.accept_local=1` };
  if (localTableType(s, req.sip) === 'broadcast') return { detail: `the sender ${req.sip} is a broadcast address here: martian source` };
  const rp = maxconf(s, 'rp_filter');
  const rpTag = `rp_filter=${rp} (max of ${dev}=${s.conf.rp_filter}, all=${s.all.rp_filter})`;
  const rpFix = `set rp_filter to 0${rp === 1 ? ' or 2' : ''} on both all and ${dev} (the max applies), or add a route back to ${req.sip}${rp === 1 ? ` via ${dev}` : ''}`;
  if (rp > 0) {
    const sr = s.sipRoute;
    if (!sr || !sr.ok) return { detail: `${rpTag}: no route back to the sender ${req.sip}${sr && !sr.ok ? ` (ip route get ${req.sip}: ${sr.error})` : ''}`, fix: rpFix };
    if (rp === 1 && sr.dev !== dev) return { detail: `${rpTag}, strict: the route back to ${req.sip} leaves via ${sr.dev}, not ${dev}`, fix: rpFix };
    // __fib_validate_source: no dev match and no IPv4 address on DEV → last_resort → rejected, loose mode too.
    if (sr.dev !== dev && !s.addrs.some((a) => a.dev === dev))
      return {
        detail: `${rpTag}: the route back to ${req.sip} leaves via ${sr.dev}, not ${dev}, and ${dev} has no IPv4 address, so even loose mode rejects it (__fib_validate_source: no_addr → last_resort)`,
        fix: `route ${req.sip} via ${dev} (ip route add ${req.sip} dev ${dev}), or set rp_filter to 0 on both all and ${dev} (the max applies)`,
      };
  }
  if (/cross-device/.test(e)) return { detail: `${rpTag}: the reverse path check failed (${err})`, fix: rpFix };
  const tr = s.tipRoute;
  if (tr && tr.ok && !['unicast', 'local', 'broadcast'].includes(tr.type)) return { detail: `${req.tip} has a route of type ${tr.type}: only unicast routes are proxied (martian destination)` };
  return { detail: `the kernel rejects the input route (${err}); the model cannot tell which check failed (martian address or reverse path)`, fix: `sysctl -w net.ipv4.conf.all.log_martians=1 and read dmesg` };
}

export function explain(s: ExplainState, req: ExplainRequest): Explanation {
  const steps: Step[] = [];
  const warnings: string[] = [];
  const unseen: string[] = [];
  const k = kernelRules(s.kernel);
  const inputs = { dev: s.dev, iface: s.port?.name ?? s.dev, tip: req.tip, sip: req.sip, ethDst: req.ethDst ?? null, kernel: s.kernel, model: MODEL_KERNELS };
  let certain = true;
  const done = (verdict: 'reply' | 'no-reply', reason: string, extra: { fix?: string; delayMs?: { min: number; max: number }; queued?: boolean } = {}): Explanation => ({
    type: 'explain',
    verdict,
    certain,
    delayMs: extra.delayMs ?? { min: 0, max: 0 },
    queued: extra.queued ?? false,
    reason,
    ...(extra.fix ? { fix: extra.fix } : {}),
    steps,
    warnings,
    unseen,
    inputs,
  });
  const no = (step: string, ref: string, detail: string, fix?: string) => {
    steps.push({ step, result: 'no-reply', detail, ref });
    return done('no-reply', detail, fix ? { fix } : {});
  };
  const pass = (step: string, ref: string, detail: string) => steps.push({ step, result: 'pass', detail, ref });
  const dev = s.dev;

  // What the model cannot see.
  if (!k.known) warnings.push(`kernel ${s.kernel} is older than the model knows (${MODEL_KERNELS}): treat the verdict as a guess`);
  else if (!k.verified) unseen.push(`kernel ${s.kernel}: the model is verified against ${VERIFIED.join('.')}; known differences of older kernels are applied (proxy_arp_pvlan ${k.pvlanOrAll ? 'ORed with all' : 'per device only'}, proxy queue ${k.queuePerDevice ? 'per device' : 'global'})`);
  if (s.arpFiltering) warnings.push('arptables/nftables rules in the arp family are loaded: they are not modelled and may drop the request or the reply');
  for (const h of s.ingressHooks ?? []) warnings.push(`${h} on ${s.port?.name ?? dev}: it runs before arp_rcv and may drop the request (not modelled)`);
  for (const u of s.unchecked ?? []) unseen.push(u);

  if ((req.op ?? 1) !== 1) return no('opcode', 'arp_process', `op ${req.op}: only requests are answered`);

  // arp_rcv (§1.1)
  if (s.port) {
    steps.push({ step: 'port', result: 'info', detail: `${s.port.name} is a ${s.port.kind} port of ${s.port.master}: the request is processed on ${s.port.master}`, ref: 'netif_receive_skb rx_handler' });
    if (s.port.bridgeProxy?.length) warnings.push(`bridge port flags ${s.port.bridgeProxy.join(', ')} on ${s.port.name}: the bridge itself may answer from its neighbour table (br_do_proxy_suppress_arp, not modelled)`);
  }
  if (!s.devUp) return no('arp_rcv', 'arp_rcv', `${dev} is down`, `ip link set ${dev} up`);
  if (s.devNoarp) return no('arp_rcv', 'arp_rcv', `${dev} has NOARP set: arp_rcv ignores every ARP frame on it`, `ip link set ${dev} arp on`);
  const ethDst = req.ethDst?.toLowerCase();
  // A bridge delivers frames for its own MAC and its ports' MACs (local fdb entries) as PACKET_HOST.
  const unicastToUs = ethDst !== undefined && (ethDst === s.devMac.toLowerCase() || (s.port?.kind === 'bridge' && ethDst === s.port.mac?.toLowerCase()));
  const group = ethDst !== undefined && (parseInt(ethDst.slice(0, 2), 16) & 1) === 1;
  if (ethDst !== undefined && !unicastToUs && !group)
    return no('arp_rcv', 'arp_rcv', `the frame is unicast to ${ethDst}, not to ${dev} (${s.devMac}): PACKET_OTHERHOST is dropped, even in promiscuous mode`, `send it to ${s.devMac} or to ff:ff:ff:ff:ff:ff`);
  pass('arp_rcv', 'arp_rcv', `${dev} is up and does ARP; Ethernet destination ${ethDst === undefined || ethDst === 'ff:ff:ff:ff:ff:ff' ? 'broadcast' : unicastToUs ? `${ethDst} (${dev} itself: PACKET_HOST)` : `${ethDst} (multicast)`}`);

  // arp_process header checks (§1.2)
  const tipN = ip(req.tip);
  const sipN = ip(req.sip);
  if (isMulticast(tipN)) return no('target', 'arp_process', `${req.tip} is a multicast address: never answered`);
  if (isLoopback(tipN) && !orconf(s, 'route_localnet')) return no('target', 'arp_process', `${req.tip} is in 127.0.0.0/8 and ${showConf(s, 'route_localnet')}`, `sysctl -w net.ipv4.conf.${dev}.route_localnet=1`);
  if (sipN === tipN && orconf(s, 'drop_gratuitous_arp'))
    return no('gratuitous', 'arp_process', `sender IP = target IP (gratuitous ARP) and ${showConf(s, 'drop_gratuitous_arp')} (OR)`, `set drop_gratuitous_arp=0 on both ${dev} and all`);

  // sip == 0: duplicate address detection (§1.3), never routed or proxied.
  if (sipN === 0) {
    const t = localTableType(s, req.tip);
    if (t !== 'local')
      return no('dad', 'arp_process', `sender 0.0.0.0 (duplicate address detection) and ${req.tip} is not in the local table${t ? ` (it is ${t} there)` : ''}: DAD probes are answered only for the host's own addresses, never proxied`);
    const ig = arpIgnoreBlocks(s, req.sip, req.tip);
    if (ig.blocks) return no('arp_ignore', 'arp_ignore', ig.why, `lower arp_ignore on both ${dev} and all (the max applies)`);
    steps.push({ step: 'dad', result: 'reply', detail: `duplicate address probe for the local address ${req.tip}; ${ig.why} → reply at once (sender IP 0.0.0.0 in the reply's target fields)`, ref: 'arp_process' });
    return done('reply', `${req.tip} is a local address: the DAD probe is answered at once`);
  }

  // The input route lookup, as for an IP packet sip -> tip arriving on DEV (§1.4, §2).
  const r = s.route;
  const routeQ = `route to ${req.tip} from ${req.sip} iif ${dev}`;
  if (!r.ok) {
    const d = diagnoseRouteError(s, req, r.error);
    return no('route', 'ip_route_input_slow', `${routeQ}: ${d.detail}`, d.fix);
  }
  if (r.type === 'broadcast') return no('route', 'ip_route_input_slow', `${routeQ}: ${req.tip} is a broadcast address here (brd_input accepts only IP): ARP for broadcast targets is never answered`);

  if (r.type === 'local') {
    const on = s.addrs.filter((a) => a.local === req.tip).map((a) => `${a.dev}${a.scope !== 'global' ? `, scope ${a.scope}` : ''}`);
    pass('route', 'ip_route_input_slow', `${routeQ}: ${describeRoute(s, req, r)}: ${req.tip} is local (${on.length ? `on ${on.join('; ')}` : 'a local route'}); the weak host model answers for it on any interface unless arp_ignore says otherwise`);
    const ig = arpIgnoreBlocks(s, req.sip, req.tip);
    if (ig.blocks) {
      const v = maxconf(s, 'arp_ignore');
      const fix =
        v === 8 ? `lower arp_ignore on both ${dev} and all (the max applies)`
        : v === 3 ? `give ${req.tip} scope global or link, or lower arp_ignore on both ${dev} and all`
        : v === 2 ? `configure ${req.tip} on ${dev} in a subnet that holds ${req.sip}, or lower arp_ignore on both ${dev} and all (the max applies)`
        : `configure ${req.tip} on ${dev}, or set arp_ignore=0 on both ${dev} and all (the max applies)`;
      return no('arp_ignore', 'arp_ignore', ig.why, fix);
    }
    pass('arp_ignore', 'arp_ignore', ig.why);
    if (orconf(s, 'arp_filter')) {
      const rv = s.reverse;
      const tag = `${showConf(s, 'arp_filter')} (OR)`;
      if (!rv || !rv.ok) return no('arp_filter', 'arp_filter', `${tag}: no route back to ${req.sip} from ${req.tip}${rv && !rv.ok ? ` (${rv.error})` : ''}`, `set arp_filter=0 on both ${dev} and all, or add a route to ${req.sip} via ${dev}`);
      if (rv.dev !== dev) return no('arp_filter', 'arp_filter', `${tag}: the route back to ${req.sip} from ${req.tip} leaves via ${rv.dev}, not ${dev}`, `set arp_filter=0 on both ${dev} and all, or route ${req.sip} via ${dev}`);
      pass('arp_filter', 'arp_filter', `${tag}: the route back to ${req.sip} from ${req.tip} leaves via ${dev}`);
    }
    unseen.push('whether the neighbour table is full: gc_thresh3 counts the entries of every namespace, the model sees only this one');
    const n = s.neigh;
    const limit = n?.gcThresh3 ?? 1024;
    if (n && n.entries >= limit * 0.9) {
      certain = false;
      warnings.push(`the neighbour table holds ${n.entries} entries in this namespace (gc_thresh3=${n.gcThresh3 ?? '1024, the default'}): the local reply needs an entry for ${req.sip} and is not sent when none can be created`);
    }
    steps.push({
      step: 'reply',
      result: 'reply',
      detail: `local address: reply at once with ${dev}'s MAC ${s.devMac} (local replies are never delayed; ${req.sip} is learned as a neighbour, which the reply needs${n ? `; ${n.entries} entries in this namespace` : ''})`,
      ref: 'arp_process',
    });
    return done('reply', `${req.tip} is a local address of this host (${on.length ? `on ${on.join('; ')}` : 'local route'}): answered at once with ${dev}'s MAC`);
  }
  if (r.type !== 'unicast') return no('route', 'ip_route_input_slow', `${routeQ}: route type ${r.type}: only unicast routes are proxied`);

  // Forwarding branch (§1.8): the kernel has a unicast route to tip out of OUT.
  if (!s.conf.forwarding) return no('forwarding', 'arp_process', `forwarding=0 on ${dev}: nothing arriving on it is routed or proxied (conf/all is not consulted)`, `sysctl -w net.ipv4.conf.${dev}.forwarding=1`);
  const route = describeRoute(s, req, r);
  const pvlan = k.pvlanOrAll ? orconf(s, 'proxy_arp_pvlan') : s.conf.proxy_arp_pvlan ? 1 : 0;
  const pvlanTag = k.pvlanOrAll ? showConf(s, 'proxy_arp_pvlan') : `proxy_arp_pvlan=${s.conf.proxy_arp_pvlan} (${dev}; all is ignored before 5.11)`;
  const medium = (out: string) => (out === r.dev && s.outMediumId !== undefined ? s.outMediumId : (s.mediumIds?.[out] ?? 0));
  const pn = s.pneigh.find((p) => p.ip === req.tip && (p.dev === undefined || p.dev === dev));

  /** The proxy decision for one output device: how it answers, or why not. */
  const decide = (out: string): { ok: true; how: string; short: string } | { ok: false; step: string; why: string; fix?: string } => {
    if (out === dev) {
      if (!pvlan)
        return { ok: false, step: 'route', why: `the route leaves via the interface the request came in on, and proxy_arp_pvlan is off (${pvlanTag}): __mkroute_input refuses it for ARP`, fix: `nothing, if ${req.tip} really is on ${dev}'s segment (its owner answers); proxy_arp_pvlan=1 on ${dev} would answer for it` };
      if (sipN === tipN) return { ok: false, step: 'proxy_arp_pvlan', why: `sender IP = target IP on the same interface: arp_fwd_pvlan does not answer self probes`, fix: 'none (by design)' };
      return { ok: true, how: `${pvlanTag}${k.pvlanOrAll ? ' (OR)' : ''}: the route leaves via ${dev} itself and the sender is not the target (private VLAN, RFC 3069; proxy_arp is not needed)`, short: pvlanTag };
    }
    const proxy = orconf(s, 'proxy_arp');
    const imi = s.conf.medium_id;
    const omi = medium(out);
    if (proxy && mediumOk(imi, omi)) {
      const med = imi !== 0 ? `; medium_id ${dev}=${imi} ≠ ${out}=${omi}` : '';
      return { ok: true, how: `${showConf(s, 'proxy_arp')} (OR)${med}: ${req.tip} is routed out of another interface (${out})`, short: `${showConf(s, 'proxy_arp')}${med}` };
    }
    if (pn) {
      const entry = `static proxy entry ${pn.ip}${pn.dev ? ` dev ${pn.dev}` : ' (no dev: every interface)'}`;
      return { ok: true, how: `${entry}${proxy ? '' : ` (proxy_arp is off: ${showConf(s, 'proxy_arp')})`}`, short: entry };
    }
    if (proxy)
      return {
        ok: false,
        step: 'medium_id',
        why: `proxy_arp is on (${showConf(s, 'proxy_arp')}), but medium_id ${dev}=${imi}, ${out}=${omi}: ${imi === -1 ? `medium_id -1 on ${dev} disables proxying` : omi === -1 ? `medium_id -1 on ${out}` : `both interfaces are on the same medium`}`,
        fix: `give ${dev} and ${out} different medium_id values (or 0 on ${dev}), or ip neigh add proxy ${req.tip} dev ${dev}`,
      };
    return { ok: false, step: 'proxy_arp', why: `${showConf(s, 'proxy_arp')} (OR) and no static proxy entry for ${req.tip}`, fix: `sysctl -w net.ipv4.conf.${dev}.proxy_arp=1, or ip neigh add proxy ${req.tip} dev ${dev}` };
  };

  // Multipath: ARP picks a nexthop by hashing its own header bytes with a per-boot key (§2 R9).
  const nhs = s.routeMatch?.nexthops ?? [];
  if (nhs.length > 1) {
    const outcomes = nhs.map((n) => ({ n, d: decide(n.dev) }));
    const yes = outcomes.filter((o) => o.d.ok).map((o) => o.n.dev);
    const nos = outcomes.filter((o) => !o.d.ok).map((o) => o.n.dev);
    if (yes.length && nos.length) {
      certain = false;
      warnings.push(`multipath route: ARP picks the nexthop by hashing the ARP header with a per-boot key, not as \`ip route get\` does: via ${yes.join(', ')} → reply, via ${nos.join(', ')} → no reply; the verdict follows the nexthop \`ip route get\` chose (${r.dev})`);
    } else steps.push({ step: 'multipath', result: 'info', detail: `multipath route: every nexthop (${nhs.map((n) => n.dev).join(', ')}) gives the same outcome`, ref: 'fib_select_multipath' });
  }
  const d = decide(r.dev);
  if (!d.ok) {
    if (d.step === 'route') return no('route', '__mkroute_input', `${routeQ}: ${route} = ${dev}: ${d.why}`, d.fix);
    pass('route', 'ip_route_input_slow', `${routeQ}: ${route} ≠ ${dev}`);
    pass('forwarding', 'arp_process', `forwarding=1 (${dev})`);
    return no(d.step, d.step === 'proxy_arp_pvlan' ? 'arp_fwd_pvlan' : 'arp_fwd_proxy', d.why, d.fix);
  }
  pass('route', 'ip_route_input_slow', `${routeQ}: ${route} ${r.dev === dev ? '=' : '≠'} ${dev}`);
  pass('forwarding', 'arp_process', `forwarding=1 (${dev})`);
  const ref = r.dev === dev ? 'arp_fwd_pvlan' : d.how.startsWith('static') ? 'pneigh_lookup' : 'arp_fwd_proxy';
  steps.push({ step: ref === 'arp_fwd_pvlan' ? 'proxy_arp_pvlan' : ref === 'pneigh_lookup' ? 'pneigh' : 'proxy_arp', result: 'pass', detail: d.how, ref });
  if (s.routeMatch?.dst === 'default' && r.dev !== dev)
    warnings.push(`${req.tip} matched only the default route: this host proxies for every address it routes away from ${dev} (the GRNET "ARP proxy going rogue" case); a specific route back via ${dev} stops it`);

  // Immediate or queued (§1.8 step 15, §4).
  const delayed = !unicastToUs && s.proxyDelay > 0;
  const maxMs = s.proxyDelay * 10;
  const qscope = k.queuePerDevice ? `per device (${dev})` : 'shared by every device and namespace (before 6.0)';
  steps.push({
    step: 'delay',
    result: 'reply',
    detail: delayed
      ? `proxy_delay=${s.proxyDelay} (${maxMs} ms) on ${dev}: the request is queued and answered after a random 0-${maxMs} ms; at most proxy_qlen=${s.proxyQlen} requests wait ${qscope}, more are dropped silently; a unicast request to ${s.devMac} is answered at once`
      : unicastToUs ? `unicast to ${dev}'s MAC (PACKET_HOST): answered at once, proxy_delay=${s.proxyDelay} is skipped`
      : `proxy_delay=0 on ${dev}: answered at once`,
    ref: delayed ? 'pneigh_enqueue' : 'arp_process',
  });
  if (delayed) unseen.push(`the proxy queue's fill level: with more than proxy_qlen=${s.proxyQlen} requests waiting ${qscope} this one is dropped; a queued request is re-evaluated when it leaves the queue (parp_redo)`);
  const via = `out of ${r.dev}${r.gateway ? ` via ${r.gateway}` : ''}`;
  const when = delayed ? `after up to ${maxMs} ms` : 'at once';
  const where = `${s.routeMatch?.dst ?? r.dst}, ${tableAndRule(s, req, s.routeMatch?.table ?? r.table)}`;
  const reason =
    r.dev === dev
      ? `${req.tip} is routed back out of ${dev} (${where}); ${d.short}; forwarding=1 (${dev}) → proxy reply ${when}`
      : `${req.tip} is routed ${via}, not ${dev} (${where}); ${d.short}; forwarding=1 (${dev}) → proxy reply ${when}`;
  return done('reply', reason, { delayMs: delayed ? { min: 0, max: maxMs } : { min: 0, max: 0 }, queued: delayed });
}
