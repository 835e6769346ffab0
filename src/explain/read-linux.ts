/**
 * Reads the state explain() needs from the running kernel: /proc/sys/net/ipv4, and iproute2's JSON
 * output (`ip -j`). No decisions here: model.ts makes them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { EnvironmentError } from '../errors.js';
import { assertInterfaceName, interfaceExists, runIpJson } from '../link/interfaces.js';
import type { Addr, Conf, ExplainRequest, ExplainState, RouteLookup } from './model.js';

const CONF_KEYS: Array<keyof Conf> = ['forwarding', 'proxy_arp', 'proxy_arp_pvlan', 'medium_id', 'rp_filter', 'accept_local', 'route_localnet', 'arp_ignore', 'arp_filter', 'drop_gratuitous_arp'];

function readNum(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}`, { cause });
  }
}

export function readConf(dev: string): Conf {
  const c = {} as Conf;
  for (const k of CONF_KEYS) c[k] = readNum(`/proc/sys/net/ipv4/conf/${dev}/${k}`);
  return c;
}

/** `ip -j route get ...`: the kernel's own lookup. Errors come back as values, not throws. */
export function routeGet(args: string[]): RouteLookup {
  try {
    const out = execFileSync('ip', ['-j', '-4', 'route', 'get', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = (JSON.parse(out) as Array<{ type?: string; dev?: string; gateway?: string; table?: string; dst?: string }>)[0];
    if (!r) return { ok: false, error: 'empty answer' };
    return { ok: true, type: r.type ?? 'unicast', dev: r.dev ?? '', dst: r.dst ?? '', ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.table ? { table: r.table } : {}) };
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    return { ok: false, error: stderr.replace(/^RTNETLINK answers:\s*/, '') || 'lookup failed' };
  }
}

function hasArpFiltering(): boolean {
  for (const [cmd, args] of [
    ['nft', ['list', 'tables', 'arp']],
    ['arptables', ['-S']],
  ] as const) {
    try {
      const out = execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (cmd === 'nft' ? out.trim() !== '' : /^-A /m.test(out)) return true;
    } catch {
      // not installed, or nothing loaded
    }
  }
  return false;
}

export function readExplainState(dev: string, req: ExplainRequest): ExplainState {
  assertInterfaceName(dev);
  if (!interfaceExists(dev)) throw new EnvironmentError('ERR_NO_INTERFACE', `interface ${dev} does not exist in this network namespace`, { hint: 'run explain on the host that receives the request: ip netns exec NS arpinject explain ...' });
  const link = runIpJson<Array<{ address?: string; flags?: string[] }>>(['link', 'show', 'dev', dev])[0] ?? {};
  const addrRows = runIpJson<Array<{ ifname: string; addr_info?: Array<{ family?: string; local?: string; address?: string; prefixlen?: number; scope?: string }> }>>(['-4', 'addr', 'show']);
  const addrs: Addr[] = [];
  for (const row of addrRows)
    for (const a of row.addr_info ?? [])
      if (a.local) addrs.push({ dev: row.ifname, local: a.local, address: a.address ?? a.local, prefixLen: a.prefixlen ?? 32, scope: a.scope ?? 'global' });
  const localRoutes = runIpJson<Array<{ type?: string; dst?: string }>>(['-4', 'route', 'show', 'table', 'local'])
    .filter((r) => r.type === 'local' && r.dst)
    .map((r) => r.dst!);
  const pneigh = runIpJson<Array<{ dst?: string; dev?: string }>>(['-4', 'neigh', 'show', 'proxy'])
    .filter((p) => p.dst)
    .map((p) => ({ ip: p.dst!, ...(p.dev ? { dev: p.dev } : {}) }));
  const conf = readConf(dev);
  const all = readConf('all');
  const route = req.sip === '0.0.0.0' ? ({ ok: false, error: 'not looked up (DAD probe)' } as RouteLookup) : routeGet([req.tip, 'from', req.sip, 'iif', dev]);
  const state: ExplainState = {
    kernel: release(),
    dev,
    devMac: link.address ?? '00:00:00:00:00:00',
    devUp: (link.flags ?? []).includes('UP'),
    devNoarp: (link.flags ?? []).includes('NOARP'),
    all,
    conf,
    proxyDelay: readNum(`/proc/sys/net/ipv4/neigh/${dev}/proxy_delay`),
    proxyQlen: readNum(`/proc/sys/net/ipv4/neigh/${dev}/proxy_qlen`),
    addrs,
    localRoutes,
    route,
    pneigh,
    arpFiltering: hasArpFiltering(),
  };
  if (route.ok && route.type === 'unicast' && route.dev && route.dev !== dev) state.outMediumId = readNum(`/proc/sys/net/ipv4/conf/${route.dev}/medium_id`);
  if (route.ok && route.type === 'local') state.reverse = routeGet([req.sip, 'from', req.tip]);
  if (!route.ok) state.sipRoute = routeGet([req.sip]);
  return state;
}
