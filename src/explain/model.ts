/**
 * Will the kernel answer this ARP request, and why? A pure model of arp_rcv/arp_process
 * (net/ipv4/arp.c) and the parts of ip_route_input_slow/__mkroute_input/fib_validate_source it relies on,
 * over a snapshot of the state (read-linux.ts reads it). Follows ../shared/research/kernel-arp-model.md §8.
 * The routing decision itself comes from the kernel (RTM_GETROUTE with iif: `ip route get TIP from SIP
 * iif DEV`), which runs the same input lookup ARP does; the model corrects for the places where an IP
 * lookup and the ARP one differ (§6.1) and evaluates the ARP-only checks itself.
 * Covers Linux 5.11+ (proxy_arp_pvlan combined with `all` by OR, arp_accept tri-state, per-device
 * proxy queue); written against 6.18.
 */
import { inPrefix, parseIpv4 } from '../wire/address.js';

export const MODEL_KERNELS = 'Linux 5.11 and later (checked against 6.18)';

/** The per-device (or `all`) IPv4 conf values the model reads. */
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

/** Result of `ip route get TIP from SIP iif DEV` (or another lookup). */
export type RouteLookup =
  | { ok: true; type: string; dev: string; gateway?: string; table?: string; dst: string }
  | { ok: false; error: string };

export interface ExplainState {
  kernel: string;
  dev: string;
  devMac: string;
  devUp: boolean;
  devNoarp: boolean;
  all: Conf;
  conf: Conf;
  /** medium_id of the output device, when the route leaves via another one. */
  outMediumId?: number;
  /** neigh/DEV/proxy_delay in USER_HZ (1/100 s), proxy_qlen. */
  proxyDelay: number;
  proxyQlen: number;
  /** Every IPv4 address in the namespace. */
  addrs: Addr[];
  /** Local-table `local` routes (addresses and AnyIP prefixes): "10.0.0.1", "127.0.0.0/8". */
  localRoutes: string[];
  /** The input route lookup for the request. */
  route: RouteLookup;
  /** Output lookup `ip route get SIP from TIP` (arp_filter), when arp_filter is on and tip is local. */
  reverse?: RouteLookup;
  /** Output lookup `ip route get SIP` (to explain rp_filter failures). */
  sipRoute?: RouteLookup;
  /** Static proxy entries: `ip neigh add proxy IP [dev DEV]`. */
  pneigh: Array<{ ip: string; dev?: string }>;
  /** nftables/arptables rules in the arp family: not modelled. */
  arpFiltering: boolean;
}

export interface ExplainRequest {
  tip: string;
  sip: string;
  /** The request's Ethernet destination: undefined/broadcast, DEV's MAC (unicast to us), or another MAC. */
  ethDst?: string;
  /** Default 1 (request). */
  op?: number;
}

export type StepResult = 'pass' | 'fail' | 'reply' | 'no-reply' | 'warn' | 'info';

export interface Step {
  step: string;
  result: StepResult;
  detail: string;
}

export interface Explanation {
  type: 'explain';
  verdict: 'reply' | 'no-reply';
  /** Reply delay: 0, or up to proxy_delay when the request is queued. */
  delayMs: { min: number; max: number };
  reason: string;
  /** For a no-reply: what would change it. */
  fix?: string;
  steps: Step[];
  warnings: string[];
  inputs: { dev: string; tip: string; sip: string; ethDst: string | null; kernel: string; model: string };
}

const ip = (s: string): number => parseIpv4(s) ?? 0;
const orconf = (s: ExplainState, k: keyof Conf): number => (s.all[k] || s.conf[k] ? 1 : 0);
const maxconf = (s: ExplainState, k: keyof Conf): number => Math.max(s.all[k], s.conf[k]);
const showConf = (s: ExplainState, k: keyof Conf): string => `${k}=${s.conf[k]} (${s.dev}), all/${k}=${s.all[k]}`;

/** inet_ifa_match: is `addr` inside the prefix of this ifa (built from ifa_address, the peer if any)? */
const ifaMatch = (addr: number, a: Addr): boolean => inPrefix(addr, ip(a.address), a.prefixLen);
const scopeRank = (scope: string): number => (scope === 'host' ? 254 : scope === 'link' ? 253 : scope === 'global' ? 0 : 200);

/**
 * confirm_addr_indev (devinet.c): an address `local` configured on `addrs` with scope <= `scope`,
 * and an ifa whose prefix covers local (and dst, when given).
 */
function confirmAddr(addrs: Addr[], dst: number, local: number, scope: number): boolean {
  const hasLocal = addrs.some((a) => ip(a.local) === local && scopeRank(a.scope) <= scope);
  const same = addrs.some((a) => ifaMatch(local, a) && (dst === 0 || ifaMatch(dst, a)));
  return hasLocal && same;
}

/** arp_ignore(in_dev, sip, tip): true when the kernel must NOT reply. */
export function arpIgnoreBlocks(s: ExplainState, sip: string, tip: string): { blocks: boolean; why: string } {
  const v = maxconf(s, 'arp_ignore');
  const onDev = s.addrs.filter((a) => a.dev === s.dev);
  switch (v) {
    case 1:
      return confirmAddr(onDev, 0, ip(tip), 254)
        ? { blocks: false, why: `arp_ignore=1: ${tip} is configured on ${s.dev}` }
        : { blocks: true, why: `arp_ignore=1: ${tip} is not an address of ${s.dev} (with a prefix covering it)` };
    case 2:
      return confirmAddr(onDev, ip(sip), ip(tip), 254)
        ? { blocks: false, why: `arp_ignore=2: ${tip} is on ${s.dev} in a subnet that also holds ${sip}` }
        : { blocks: true, why: `arp_ignore=2: ${tip} is not on ${s.dev} in a subnet that also holds the sender ${sip}` };
    case 3: {
      const devs = [...new Set(s.addrs.map((a) => a.dev))];
      const ok = devs.some((d) => confirmAddr(s.addrs.filter((a) => a.dev === d), 0, ip(tip), 253));
      return ok ? { blocks: false, why: `arp_ignore=3: ${tip} has scope global or link` } : { blocks: true, why: `arp_ignore=3: ${tip} is host-scoped (or not configured on any device)` };
    }
    case 8:
      return { blocks: true, why: 'arp_ignore=8: never reply' };
    default:
      return { blocks: false, why: `arp_ignore=${v}: reply for any local address` };
  }
}

const isLocal = (s: ExplainState, tip: string): boolean =>
  s.localRoutes.some((r) => {
    const [base, len] = r.split('/');
    return inPrefix(ip(tip), ip(base!), len === undefined ? 32 : Number(len));
  });

/** Why an input route lookup failed, in words, using the refinements of kernel-arp-model.md §6.3. */
function explainRouteError(s: ExplainState, req: ExplainRequest, err: string): { detail: string; fix: string } {
  const rp = maxconf(s, 'rp_filter');
  if (/unreachable|no route/i.test(err) && !s.conf.forwarding)
    return { detail: `forwarding=0 on ${s.dev}: the kernel does not route (or proxy) for packets arriving on it (${err})`, fix: `sysctl -w net.ipv4.conf.${s.dev}.forwarding=1` };
  if (/unreachable/i.test(err)) return { detail: `no route to ${req.tip} (${err})`, fix: `add a route for ${req.tip}` };
  if (s.addrs.some((a) => a.local === req.sip) && !orconf(s, 'accept_local'))
    return { detail: `the sender ${req.sip} is one of this host's own addresses (martian source; accept_local=0)`, fix: 'use a sender IP that is not local here, or set accept_local=1' };
  if (rp > 0) {
    const sr = s.sipRoute;
    if (!sr || !sr.ok)
      return { detail: `rp_filter=${rp} (max of ${s.dev}=${s.conf.rp_filter}, all=${s.all.rp_filter}): no route back to the sender ${req.sip}`, fix: `add a route to ${req.sip}, or set net.ipv4.conf.all.rp_filter and .${s.dev}.rp_filter to 0 (the max of the two applies)` };
    if (rp === 1 && sr.dev !== s.dev)
      return { detail: `rp_filter=1 (strict; max of ${s.dev}=${s.conf.rp_filter}, all=${s.all.rp_filter}): the route back to ${req.sip} leaves via ${sr.dev}, not ${s.dev}`, fix: `set rp_filter to 2 or 0 on both all and ${s.dev} (the max applies), or route ${req.sip} via ${s.dev}` };
  }
  return { detail: `the kernel rejects the input route (${err}): martian source or destination`, fix: 'check the sender and target addresses' };
}

export function explain(s: ExplainState, req: ExplainRequest): Explanation {
  const steps: Step[] = [];
  const warnings: string[] = [];
  const delay0 = { min: 0, max: 0 };
  const inputs = { dev: s.dev, tip: req.tip, sip: req.sip, ethDst: req.ethDst ?? null, kernel: s.kernel, model: MODEL_KERNELS };
  const done = (verdict: 'reply' | 'no-reply', reason: string, extra: { fix?: string; delayMs?: { min: number; max: number } } = {}): Explanation => ({
    type: 'explain',
    verdict,
    delayMs: extra.delayMs ?? delay0,
    reason,
    ...(extra.fix ? { fix: extra.fix } : {}),
    steps,
    warnings,
    inputs,
  });
  const no = (step: string, detail: string, fix?: string) => {
    steps.push({ step, result: 'no-reply', detail });
    return done('no-reply', detail, fix ? { fix } : {});
  };
  const pass = (step: string, detail: string) => steps.push({ step, result: 'pass', detail });

  if (s.arpFiltering) warnings.push('arptables/nftables rules in the arp family are present: they are not modelled and may drop the request or the reply');
  if ((req.op ?? 1) !== 1) return no('opcode', `op ${req.op}: only requests are answered`);

  // arp_rcv
  if (!s.devUp) return no('arp_rcv', `${s.dev} is down`, `ip link set ${s.dev} up`);
  if (s.devNoarp) return no('arp_rcv', `${s.dev} has NOARP set: ARP is ignored on it`, `ip link set ${s.dev} arp on`);
  const ethDst = req.ethDst?.toLowerCase();
  const unicastToUs = ethDst !== undefined && ethDst === s.devMac.toLowerCase();
  if (ethDst !== undefined && ethDst !== 'ff:ff:ff:ff:ff:ff' && !unicastToUs && (parseInt(ethDst.slice(0, 2), 16) & 1) === 0)
    return no('arp_rcv', `the frame is unicast to ${ethDst}, not to ${s.dev} (${s.devMac}): PACKET_OTHERHOST is dropped even in promiscuous mode`, `send it to ${s.devMac} or to the broadcast address`);
  pass('arp_rcv', `${s.dev} is up and does ARP; Ethernet destination ${ethDst ?? 'broadcast'}`);

  // arp_process header checks
  const tipN = ip(req.tip);
  const sipN = ip(req.sip);
  if (tipN >>> 28 === 0xe) return no('target', `${req.tip} is multicast`);
  if (tipN >>> 24 === 127 && !orconf(s, 'route_localnet')) return no('target', `${req.tip} is loopback and route_localnet is off`);
  if (sipN === tipN && orconf(s, 'drop_gratuitous_arp')) return no('gratuitous', `sender IP = target IP and ${showConf(s, 'drop_gratuitous_arp')}`);

  // DAD probe
  if (sipN === 0) {
    if (!isLocal(s, req.tip)) return no('dad', `sender 0.0.0.0 (duplicate address detection) and ${req.tip} is not a local address: DAD probes are never proxied`);
    const ig = arpIgnoreBlocks(s, req.sip, req.tip);
    if (ig.blocks) return no('arp_ignore', ig.why, `lower arp_ignore on ${s.dev} and all`);
    steps.push({ step: 'dad', result: 'reply', detail: `duplicate address probe for local ${req.tip}; ${ig.why}` });
    return done('reply', `${req.tip} is a local address (DAD probe answered at once)`);
  }

  // The input route lookup, as for an IP packet sip -> tip arriving on DEV.
  const r = s.route;
  if (!r.ok) {
    const e = explainRouteError(s, req, r.error);
    return no('route', `ip route get ${req.tip} from ${req.sip} iif ${s.dev}: ${e.detail}`, e.fix);
  }
  if (r.type === 'broadcast') return no('route', `${req.tip} is a broadcast address here: ARP for broadcast targets is never answered`);
  if (r.type === 'local') {
    pass('route', `${req.tip} is a local address (ip route get: local)`);
    const ig = arpIgnoreBlocks(s, req.sip, req.tip);
    if (ig.blocks) return no('arp_ignore', ig.why + ` (${showConf(s, 'arp_ignore')}; the max applies)`, `set arp_ignore to 0 on ${s.dev} and all, or configure ${req.tip} on ${s.dev}`);
    pass('arp_ignore', ig.why);
    if (orconf(s, 'arp_filter')) {
      const rv = s.reverse;
      if (!rv || !rv.ok) return no('arp_filter', `${showConf(s, 'arp_filter')}: no route back to ${req.sip} from ${req.tip}`);
      if (rv.dev !== s.dev) return no('arp_filter', `${showConf(s, 'arp_filter')}: the route back to ${req.sip} leaves via ${rv.dev}, not ${s.dev}`, `set arp_filter=0, or route ${req.sip} via ${s.dev}`);
      pass('arp_filter', `the route back to ${req.sip} leaves via ${s.dev}`);
    }
    warnings.push(`the local reply needs a neighbour entry for ${req.sip}: it is not sent when the ARP table is full (gc_thresh3)`);
    steps.push({ step: 'reply', result: 'reply', detail: `local address: answered at once with ${s.dev}'s MAC ${s.devMac}` });
    return done('reply', `${req.tip} is a local address of this host`);
  }
  if (r.type !== 'unicast') return no('route', `route type ${r.type} for ${req.tip}: only unicast routes are proxied`);

  // Forwarding branch: the kernel has a unicast route out of OUT.
  const out = r.dev;
  const via = `${r.gateway ? `via ${r.gateway} ` : ''}dev ${out}${r.table ? ` (table ${r.table})` : ''}`;
  if (!s.conf.forwarding) return no('forwarding', `forwarding=0 on ${s.dev}: nothing arriving on it is routed or proxied`, `sysctl -w net.ipv4.conf.${s.dev}.forwarding=1`);
  const pvlan = orconf(s, 'proxy_arp_pvlan');
  let how: string;
  if (out === s.dev) {
    if (!pvlan)
      return no('route', `route to ${req.tip} from ${req.sip} iif ${s.dev}: ${via} = ${s.dev}: the route leaves via the interface the request came in on, and proxy_arp_pvlan is off`, 'nothing to do if this is intended (the target is on this segment); proxy_arp_pvlan=1 would answer for it');
    if (sipN === tipN) return no('proxy_arp_pvlan', 'sender IP = target IP: the kernel does not answer its own probes on the same interface');
    pass('route', `route to ${req.tip}: ${via} (the same interface)`);
    how = `proxy_arp_pvlan (${showConf(s, 'proxy_arp_pvlan')})`;
  } else {
    pass('route', `route to ${req.tip} from ${req.sip} iif ${s.dev}: ${via} ≠ ${s.dev}`);
    const proxy = orconf(s, 'proxy_arp');
    const imi = s.conf.medium_id;
    const omi = s.outMediumId ?? 0;
    const mediumOk = imi === 0 || (imi !== -1 && omi !== imi && omi !== -1);
    const pn = s.pneigh.find((p) => p.ip === req.tip && (p.dev === undefined || p.dev === s.dev));
    if (proxy && mediumOk) {
      how = `proxy_arp (${showConf(s, 'proxy_arp')}); forwarding=1 (${s.dev})${imi !== 0 ? `; medium_id ${s.dev}=${imi}, ${out}=${omi}` : ''}`;
    } else if (pn) {
      how = `static proxy entry: ip neigh add proxy ${pn.ip}${pn.dev ? ` dev ${pn.dev}` : ''}`;
    } else if (proxy && !mediumOk) {
      return no('medium_id', `proxy_arp is on, but medium_id ${s.dev}=${imi} and ${out}=${omi}: ${imi === -1 ? 'medium_id -1 disables proxying' : 'both interfaces are on the same medium'}`, `give ${s.dev} and ${out} different medium_id values (or 0 on ${s.dev})`);
    } else {
      return no('proxy', `${req.tip} is routed via ${out}, but ${showConf(s, 'proxy_arp')} and there is no static proxy entry for it`, `sysctl -w net.ipv4.conf.${s.dev}.proxy_arp=1, or ip neigh add proxy ${req.tip} dev ${s.dev}`);
    }
  }
  const delayed = !unicastToUs && s.proxyDelay > 0;
  const maxMs = s.proxyDelay * 10;
  steps.push({
    step: 'proxy',
    result: 'reply',
    detail: `${how} → proxy reply with ${s.dev}'s MAC ${s.devMac}` + (delayed ? ` after up to ${maxMs} ms (proxy_delay=${s.proxyDelay})` : unicastToUs ? ' at once (unicast to this host skips proxy_delay)' : ' at once (proxy_delay=0)'),
  });
  if (delayed) warnings.push(`delayed replies are queued: at most proxy_qlen=${s.proxyQlen} requests per device can wait; more are dropped silently`);
  return done('reply', `${req.tip} is routed ${via}, not via ${s.dev}: ${how}`, { delayMs: delayed ? { min: 0, max: maxMs } : delay0 });
}
