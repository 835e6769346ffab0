/**
 * Reads the state explain() needs from the running kernel, in this network namespace:
 * /proc/sys/net/ipv4, and iproute2's JSON output (`ip -j`). No decisions here: model.ts makes them,
 * parse-ip.ts reshapes the JSON. Run it where the request arrives (`ip netns exec NS ...`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { EnvironmentError } from '../errors.js';
import { assertInterfaceName, interfaceExists, runIpJson } from '../link/interfaces.js';
import type { Conf, ExplainRequest, ExplainState, RouteLookup, TableRoute } from './model.js';
import { parseAddrs, parseFibMatch, parseProxyEntries, parseRouteGet, parseRules, parseTableRoutes, routeError } from './parse-ip.js';

const CONF_KEYS: Array<keyof Conf> = ['forwarding', 'proxy_arp', 'proxy_arp_pvlan', 'medium_id', 'rp_filter', 'accept_local', 'route_localnet', 'arp_ignore', 'arp_filter', 'drop_gratuitous_arp'];
/** Masters that take a port's frames before the IP stack sees them (rx_handler): ARP is processed there. */
const RX_MASTERS = new Set(['bridge', 'bond', 'team']);

function readNum(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}`, { cause });
  }
}

function tryNum(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export function readConf(dev: string): Conf {
  if (!existsSync(`/proc/sys/net/ipv4/conf/${dev}`))
    throw new EnvironmentError('ERR_NO_INTERFACE', `${dev} has no IPv4 configuration (/proc/sys/net/ipv4/conf/${dev} is missing)`, { hint: 'an MTU below 68 removes it; the kernel then drops every ARP frame on the device' });
  const c = {} as Conf;
  for (const k of CONF_KEYS) c[k] = readNum(`/proc/sys/net/ipv4/conf/${dev}/${k}`);
  return c;
}

/** `ip -j -d -4 route get ...`: the kernel's own lookup. Errors come back as values, not throws. */
export function routeGet(args: string[]): RouteLookup {
  try {
    const out = execFileSync('ip', ['-j', '-d', '-4', 'route', 'get', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return parseRouteGet(JSON.parse(out));
  } catch (e) {
    return { ok: false, error: routeError(String((e as { stderr?: unknown }).stderr ?? '')) };
  }
}

function ipJsonOr<T>(args: string[], fallback: T): T {
  try {
    return runIpJson<T>(args);
  } catch {
    return fallback;
  }
}

/** Runs a command; undefined when it is not installed or fails. */
function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch (e) {
    return (e as { code?: string }).code === 'ENOENT' ? undefined : '';
  }
}

/** Netfilter arp-family rules, and hooks that run before arp_rcv: reported, not modelled. */
function filtering(dev: string, xdp: boolean): { arpFiltering: boolean; ingressHooks: string[]; unchecked: string[] } {
  const unchecked: string[] = [];
  const ingressHooks: string[] = [];
  let arpFiltering = false;
  const nft = tryRun('nft', ['-j', 'list', 'tables']);
  if (nft === undefined) unchecked.push('nftables arp/netdev tables (nft is not installed)');
  else {
    try {
      const tables = (JSON.parse(nft) as { nftables?: Array<{ table?: { family?: string; name?: string } }> }).nftables ?? [];
      for (const t of tables) {
        if (t.table?.family === 'arp') arpFiltering = true;
        if (t.table?.family === 'netdev') ingressHooks.push(`nftables netdev table "${t.table.name}"`);
      }
    } catch {
      // no tables, or an nft without JSON: nothing to report
    }
  }
  const arpt = tryRun('arptables', ['-S']);
  if (arpt === undefined) unchecked.push('arptables rules (arptables is not installed)');
  else if (/^-A /m.test(arpt)) arpFiltering = true;
  const tc = tryRun('tc', ['-j', 'filter', 'show', 'dev', dev, 'ingress']);
  if (tc === undefined) unchecked.push('tc ingress filters (tc is not installed)');
  else {
    try {
      if ((JSON.parse(tc) as unknown[]).length > 0) ingressHooks.push('a tc ingress filter');
    } catch {
      // empty output
    }
  }
  if (xdp) ingressHooks.push('an XDP program');
  return { arpFiltering, ingressHooks, unchecked };
}

/** Everything that does not depend on the request: read once, shared by several targets. */
export type BaseState = Omit<ExplainState, 'route' | 'routeMatch' | 'reverse' | 'sipRoute' | 'tipRoute' | 'outMediumId' | 'mediumIds' | 'specialRoutes' | 'neigh'>;

interface LinkJson {
  ifname?: string;
  address?: string;
  flags?: string[];
  master?: string;
  xdp?: unknown;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: Record<string, unknown> };
}

/** Read the request-independent state of `iface` (or of its bridge/bond master). */
export function readBaseState(iface: string): BaseState {
  assertInterfaceName(iface);
  if (!interfaceExists(iface))
    throw new EnvironmentError('ERR_NO_INTERFACE', `interface ${iface} does not exist in this network namespace`, { hint: 'run explain on the host that receives the request: ip netns exec NS arpinject explain ...' });
  let link = runIpJson<LinkJson[]>(['-d', 'link', 'show', 'dev', iface])[0] ?? {};
  let port: ExplainState['port'];
  const slaveKind = link.linkinfo?.info_slave_kind;
  if (link.master && slaveKind && RX_MASTERS.has(slaveKind)) {
    const sd = link.linkinfo?.info_slave_data ?? {};
    const bridgeProxy = ['proxy_arp', 'proxy_arp_wifi', 'neigh_suppress'].filter((k) => sd[k] === true);
    port = { name: iface, master: link.master, kind: slaveKind, ...(link.address ? { mac: link.address } : {}), ...(bridgeProxy.length ? { bridgeProxy } : {}) };
    link = runIpJson<LinkJson[]>(['-d', 'link', 'show', 'dev', link.master])[0] ?? {};
  }
  const dev = port?.master ?? iface;
  const addrs = parseAddrs(runIpJson(['-4', 'addr', 'show']));
  const localTable = parseTableRoutes(runIpJson(['-4', 'route', 'show', 'table', 'local']), 'local');
  const all = readConf('all');
  const routeLocalnetDevs = [...new Set(addrs.map((a) => a.dev))].filter((d) => all.route_localnet || tryNum(`/proc/sys/net/ipv4/conf/${d}/route_localnet`));
  return {
    kernel: release(),
    dev,
    ...(port ? { port } : {}),
    devMac: link.address ?? '00:00:00:00:00:00',
    devUp: (link.flags ?? []).includes('UP'),
    devNoarp: (link.flags ?? []).includes('NOARP'),
    all,
    conf: readConf(dev),
    proxyDelay: readNum(`/proc/sys/net/ipv4/neigh/${dev}/proxy_delay`),
    proxyQlen: readNum(`/proc/sys/net/ipv4/neigh/${dev}/proxy_qlen`),
    addrs,
    localRoutes: localTable.filter((r) => r.type === 'local').map((r) => r.dst),
    localTable,
    routeLocalnetDevs,
    rules: parseRules(runIpJson(['-4', 'rule', 'show'])),
    pneigh: parseProxyEntries(runIpJson(['-4', 'neigh', 'show', 'proxy'])),
    ...filtering(port?.name ?? dev, link.xdp !== undefined),
  };
}

const specialCache = new WeakMap<BaseState, TableRoute[]>();
/** blackhole/unreachable/prohibit/throw routes in every table (read only when a lookup failed, once per base). */
function specialRoutes(base: BaseState): TableRoute[] {
  let r = specialCache.get(base);
  if (!r) {
    r = ['blackhole', 'unreachable', 'prohibit', 'throw'].flatMap((t) => parseTableRoutes(ipJsonOr(['-4', 'route', 'show', 'table', 'all', 'type', t], [])));
    specialCache.set(base, r);
  }
  return r;
}

/** Add the request-dependent parts: the kernel's route lookups for this tip and sip. */
export function readRequestState(base: BaseState, req: ExplainRequest): ExplainState {
  const dev = base.dev;
  if (req.sip === '0.0.0.0') return { ...base, route: { ok: false, error: 'not looked up (DAD probe)' } };
  const q = [req.tip, 'from', req.sip, 'iif', dev];
  const route = routeGet(q);
  const state: ExplainState = { ...base, route };
  if (route.ok) {
    const m = parseFibMatch(ipJsonOr(['-4', 'route', 'get', 'fibmatch', ...q], []));
    if (m) state.routeMatch = m;
  }
  if (route.ok && route.type === 'unicast') {
    const devs = new Set([route.dev, ...(state.routeMatch?.nexthops ?? []).map((n) => n.dev)].filter((d) => d && d !== dev));
    const ids: Record<string, number> = {};
    for (const d of devs) ids[d] = tryNum(`/proc/sys/net/ipv4/conf/${d}/medium_id`) ?? 0;
    if (route.dev !== dev && ids[route.dev] !== undefined) state.outMediumId = ids[route.dev];
    if (Object.keys(ids).length) state.mediumIds = ids;
  }
  if (route.ok && route.type === 'local') {
    state.reverse = routeGet([req.sip, 'from', req.tip]);
    const gc = tryNum('/proc/sys/net/ipv4/neigh/default/gc_thresh3');
    state.neigh = { entries: ipJsonOr<unknown[]>(['-4', 'neigh', 'show'], []).length, ...(gc !== undefined ? { gcThresh3: gc } : {}) };
  }
  if (!route.ok) {
    state.sipRoute = routeGet([req.sip]);
    state.tipRoute = routeGet([req.tip]);
    state.specialRoutes = specialRoutes(base);
  }
  return state;
}

/** The whole snapshot for one request. */
export function readExplainState(iface: string, req: ExplainRequest): ExplainState {
  return readRequestState(readBaseState(iface), req);
}
