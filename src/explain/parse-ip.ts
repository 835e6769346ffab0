/**
 * iproute2 JSON (`ip -j ...`) → the model's types. Pure: the reader (read-linux.ts) runs the
 * commands, these functions only reshape what they print, so they are tested on recorded output.
 */
import type { Addr, RouteLookup, RouteMatch, Rule, TableRoute } from './model.js';

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined);

/** `ip -j -4 addr show` → every IPv4 address with its device, peer and scope. */
export function parseAddrs(rows: Json[]): Addr[] {
  const out: Addr[] = [];
  for (const row of rows) {
    const dev = str(row.ifname);
    const infos = Array.isArray(row.addr_info) ? (row.addr_info as Json[]) : [];
    for (const a of infos) {
      const local = str(a.local);
      if (!dev || !local || (a.family !== undefined && a.family !== 'inet')) continue;
      out.push({ dev, local, address: str(a.address) ?? local, prefixLen: num(a.prefixlen) ?? 32, scope: String(a.scope ?? 'global') });
    }
  }
  return out;
}

/** `ip -j -d route get ...` → the lookup's result (route type, output device, table). */
export function parseRouteGet(rows: Json[]): RouteLookup {
  const r = rows[0];
  if (!r) return { ok: false, error: 'empty answer' };
  return {
    ok: true,
    type: str(r.type) ?? 'unicast',
    dev: str(r.dev) ?? '',
    dst: str(r.dst) ?? '',
    ...(str(r.gateway) ? { gateway: str(r.gateway)! } : {}),
    ...(str(r.table) ? { table: str(r.table)! } : {}),
  };
}

/** `ip -j route get fibmatch ...` → the matched FIB entry, with every nexthop of a multipath route. */
export function parseFibMatch(rows: Json[]): RouteMatch | undefined {
  const r = rows[0];
  const dst = r && str(r.dst);
  if (!r || !dst) return undefined;
  const nexthops = Array.isArray(r.nexthops) ? (r.nexthops as Json[]).map((n) => ({ dev: str(n.dev) ?? '', ...(str(n.gateway) ? { gateway: str(n.gateway)! } : {}) })) : undefined;
  return {
    dst,
    table: str(r.table) ?? 'main',
    ...(str(r.gateway) ? { gateway: str(r.gateway)! } : {}),
    ...(str(r.dev) ? { dev: str(r.dev)! } : {}),
    ...(nexthops ? { nexthops } : {}),
  };
}

/** `ip -j rule show` → rules with the selectors an ARP input lookup is matched against. */
export function parseRules(rows: Json[]): Rule[] {
  return rows.map((r) => {
    const prefix = (a: unknown, len: unknown): string | undefined => {
      const s = str(a);
      if (!s || s === 'all') return undefined;
      return `${s}/${num(len) ?? 32}`;
    };
    const special: string[] = [];
    if (r.ipproto !== undefined) special.push('ipproto');
    if (r.sport !== undefined || r.sport_start !== undefined) special.push('sport');
    if (r.dport !== undefined || r.dport_start !== undefined) special.push('dport');
    if (r.uid_start !== undefined) special.push('uidrange');
    if (r.l3mdev !== undefined) special.push('l3mdev');
    if (r.suppress_prefixlen !== undefined || r.suppress_ifgroup !== undefined) special.push('suppress');
    const action = str(r.action) ?? (r.goto !== undefined ? 'goto' : r.nop !== undefined ? 'nop' : r.l3mdev !== undefined ? 'l3mdev' : 'lookup');
    const src = prefix(r.src, r.srclen);
    const dst = prefix(r.dst, r.dstlen);
    const fwmark = num(r.fwmark);
    const fwmask = num(r.fwmask);
    const tos = num(r.tos) ?? num(r.dsfield);
    const rule: Rule = { priority: num(r.priority) ?? 0 };
    if (action === 'lookup' && str(r.table)) rule.table = str(r.table)!;
    else rule.action = action;
    if (r.not !== undefined) rule.not = true;
    if (str(r.iif)) rule.iif = str(r.iif)!;
    if (str(r.oif)) rule.oif = str(r.oif)!;
    if (src) rule.src = src;
    if (dst) rule.dst = dst;
    if (fwmark !== undefined) rule.fwmark = fwmark;
    if (fwmask !== undefined) rule.fwmask = fwmask;
    if (tos !== undefined) rule.tos = tos;
    if (special.length) rule.special = special;
    return rule;
  });
}

/** `ip -j route show table ...` → entries with their type and table. */
export function parseTableRoutes(rows: Json[], defaultTable = 'main'): TableRoute[] {
  return rows.filter((r) => str(r.dst)).map((r) => ({ dst: str(r.dst)!, type: str(r.type) ?? 'unicast', table: str(r.table) ?? defaultTable }));
}

/** `ip -j -4 neigh show proxy` → static proxy entries (no dev = every interface). */
export function parseProxyEntries(rows: Json[]): Array<{ ip: string; dev?: string }> {
  return rows.filter((p) => str(p.dst)).map((p) => ({ ip: str(p.dst)!, ...(str(p.dev) ? { dev: str(p.dev)! } : {}) }));
}

/** RTNETLINK error text → the errno message ("RTNETLINK answers: Invalid argument" → "Invalid argument"). */
export const routeError = (stderr: string): string => stderr.trim().replace(/^(RTNETLINK answers|Error):\s*/m, '').split('\n')[0]?.trim() || 'lookup failed';
