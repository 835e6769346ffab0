/**
 * Facts about local interfaces, read without sending anything: /sys/class/net and `ip -j`.
 * Also the privilege check that must happen before libpcap is touched (a clear message, not libpcap's).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../errors.js';
import { type NativeBinding, loadBinding } from './binding.js';
import { formatIpv4, inPrefix, normalizeMac, parseIpv4, type Ipv4, type Mac } from '../wire/address.js';

const IFNAME_RE = /^[^\s/:]{1,15}$/;
const CAP_NET_RAW = 13;

export function assertInterfaceName(name: string): void {
  if (!IFNAME_RE.test(name) || name === '.' || name === '..') {
    throw new UsageError('ERR_INVALID_ARGUMENT', `not a valid interface name: "${name}"`, { hint: 'interface names are 1-15 characters without spaces, "/" or ":"' });
  }
}

export function interfaceExists(name: string): boolean {
  return IFNAME_RE.test(name) && existsSync(`/sys/class/net/${name}`);
}

/** A valid name of an interface of this namespace, or the one error for a missing one (exit 3). */
export function assertInterfaceExists(name: string): void {
  assertInterfaceName(name);
  if (!interfaceExists(name)) throw noSuchInterface(name);
}

/** The one message for a missing interface, whichever check finds it first (sysfs, iproute2, libpcap). */
export function noSuchInterface(name: string, cause?: unknown): EnvironmentError {
  return new EnvironmentError('ERR_NO_INTERFACE', `interface ${name} does not exist in this network namespace`, {
    ...(cause !== undefined ? { cause } : {}),
    hint: 'list interfaces with `ip -br link`; inside a namespace run `ip netns exec NS arpinject ...`',
  });
}

/** The one message for missing privileges (CAP_NET_RAW), the same in every command. */
export function noRawPrivilege(name: string): EnvironmentError {
  return new EnvironmentError('ERR_PERMISSION', `no permission to send and capture raw frames on ${name}: CAP_NET_RAW is not in this process's effective set`, {
    hint:
      'run as root, or give CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode) to a dedicated copy of node ' +
      '(cp "$(command -v node)" /usr/local/bin/node-arpinject && setcap cap_net_raw,cap_net_admin+ep /usr/local/bin/node-arpinject), ' +
      'or run it from a systemd unit with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN; never setcap the system node (native-notes/privileges.md)',
  });
}

function sysRead(name: string, file: string): string {
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
  } catch (cause) {
    if (!interfaceExists(name)) throw noSuchInterface(name, cause);
    throw new EnvironmentError('ERR_NO_INTERFACE', `cannot read ${file} of interface ${name}`, { cause });
  }
}

/** ARPHRD_* from /sys/class/net/IF/type that are not Ethernet, by name (linux/if_arp.h). */
const LINK_TYPE_NAMES: Record<number, string> = {
  772: 'a loopback interface',
  65534: 'a layer-3 interface without link-layer header (tun, WireGuard)',
  768: 'an IP-in-IP tunnel',
  769: 'an IPv6-in-IPv6 tunnel',
  776: 'a SIT tunnel',
  778: 'a GRE tunnel',
  32: 'an InfiniBand interface',
  512: 'a PPP link',
};
const ARPHRD_ETHER = 1;
const IFF_LOOPBACK = 0x8;

/**
 * The interface is Ethernet (ARPHRD_ETHER, and not IFF_LOOPBACK), or ERR_LINK_TYPE (exit 3), read
 * from sysfs before any capture is opened: on `lo` libpcap reports Ethernet framing with MAC
 * 00:00:00:00:00:00 and the frames go nowhere (a "timeout", not an answer).
 */
export function assertEthernet(name: string): void {
  const type = Number(sysRead(name, 'type'));
  const loopback = (parseInt(sysRead(name, 'flags'), 16) & IFF_LOOPBACK) !== 0;
  if (type === ARPHRD_ETHER && !loopback) return;
  const what = loopback ? LINK_TYPE_NAMES[772]! : (LINK_TYPE_NAMES[type] ?? `link type ${type}`);
  throw new EnvironmentError('ERR_LINK_TYPE', `interface ${name} is ${what} (ARPHRD ${type}), not Ethernet: ARP does not run on it`, {
    hint: 'give an Ethernet interface (a NIC, veth, bridge, bond or VLAN); list them with `ip -br link`',
  });
}

export function interfaceMac(name: string): Mac {
  const mac = normalizeMac(sysRead(name, 'address'));
  if (!mac) throw new EnvironmentError('ERR_LINK_TYPE', `interface ${name} has no Ethernet address`, { hint: 'arpinject works on Ethernet interfaces (veth, bridge, physical NICs)' });
  return mac;
}

/** IFF_UP set (administratively up). Carrier is separate: see interfaceCarrier. */
export function interfaceIsUp(name: string): boolean {
  return (parseInt(sysRead(name, 'flags'), 16) & 0x1) !== 0;
}

export interface InterfaceAddress {
  address: Ipv4;
  prefixLen: number;
  scope: string;
  secondary: boolean;
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string; secondary?: boolean }>;
}

export function runIpJson<T>(args: string[]): T {
  let out: string;
  try {
    // node:child_process loads only when `ip` runs (routes, neighbours, the fallback address reader).
    const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    out = execFileSync('ip', ['-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.toString().trim();
    const missing = /Device "([^"]+)" does not exist/.exec(stderr ?? '');
    if (missing) throw noSuchInterface(missing[1]!, cause);
    throw new EnvironmentError('ERR_COMMAND_FAILED', `ip ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause, hint: 'iproute2 (the `ip` command) must be installed' });
  }
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** `ip addr`'s names for the scopes in rtnetlink.h (RT_SCOPE_*); another value is printed as its number. */
const SCOPE_NAMES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
const IFA_F_SECONDARY = 0x01;

/**
 * Every IPv4 address of this namespace (or of one device), with its device, as `ip -4 addr show`
 * lists them: from the addon's netlink dump (one RTM_GETADDR, no process spawned), else, when the
 * addon cannot be loaded, from `ip -j`.
 */
export function ipv4Addresses(dev?: string): Array<InterfaceAddress & { dev: string }> {
  let native: NativeBinding | undefined;
  try {
    native = loadBinding();
  } catch {
    native = undefined;
  }
  if (!native) return ipv4AddressesFromIp(dev);
  if (dev !== undefined && !interfaceExists(dev)) throw noSuchInterface(dev);
  let dump: [number[], Record<string, string>];
  try {
    dump = native.ipv4Addresses();
  } catch (cause) {
    throw new EnvironmentError('ERR_COMMAND_FAILED', `reading the IPv4 addresses of this namespace (netlink RTM_GETADDR) failed: ${(cause as Error).message}`, { cause });
  }
  const [rows, names] = dump;
  const out: Array<InterfaceAddress & { dev: string }> = [];
  for (let i = 0; i + 4 < rows.length; i += 5) {
    const name = names[String(rows[i])] ?? '';
    if (dev !== undefined && name !== dev) continue;
    const scope = rows[i + 2]!;
    out.push({ dev: name, address: formatIpv4(rows[i + 4]!), prefixLen: rows[i + 1]!, scope: SCOPE_NAMES[scope] ?? String(scope), secondary: (rows[i + 3]! & IFA_F_SECONDARY) !== 0 });
  }
  return out;
}

/** The same from `ip -j -4 addr show` (the addon could not be loaded). */
export function ipv4AddressesFromIp(dev?: string): Array<InterfaceAddress & { dev: string }> {
  const rows = runIpJson<IpAddrJson[]>(['-4', 'addr', 'show', ...(dev !== undefined ? ['dev', dev] : [])]);
  const out: Array<InterfaceAddress & { dev: string }> = [];
  for (const r of rows)
    for (const a of r.addr_info ?? [])
      if (a.local && (a.family === undefined || a.family === 'inet'))
        out.push({ dev: r.ifname ?? dev ?? '', address: a.local, prefixLen: a.prefixlen ?? 32, scope: a.scope ?? 'global', secondary: a.secondary === true });
  return out;
}

export function interfaceIpv4(name: string): InterfaceAddress[] {
  return ipv4Addresses(name).map(({ dev: _dev, ...a }) => a);
}

/**
 * interfaceIpv4(name), read once on the first call (each read runs `ip`): for a command that asks
 * twice (the sender IP, then the local subnets). A failed read is not kept: the next call tries again.
 */
export function interfaceIpv4Once(name: string): () => InterfaceAddress[] {
  let addrs: InterfaceAddress[] | undefined;
  return () => (addrs ??= interfaceIpv4(name));
}

/** The interface's IPv4 subnets as numbers (an address outside all of them is off-link). Empty when unknown. */
export function localNetsOf(name: string, addrs: () => InterfaceAddress[] = () => interfaceIpv4(name)): Array<{ base: number; len: number }> {
  try {
    return addrs().flatMap((a) => {
      const ip = parseIpv4(a.address);
      if (ip === undefined || a.scope === 'host') return [];
      const len = a.prefixLen;
      return [{ base: len === 0 ? 0 : (ip & (~0 << (32 - len))) >>> 0, len }];
    });
  } catch {
    return [];
  }
}

/**
 * The interface's IPv4 subnets as CIDR blocks (`10.0.0.0/24`), each once, in the kernel's order
 * (arp-scan -l reads the same, for the first address only). Host-scoped addresses are left out.
 * A missing interface is an error here (localNetsOf, for findings, says [] instead).
 */
export function interfaceSubnets(name: string): string[] {
  assertInterfaceName(name);
  const out = new Set<string>();
  for (const a of interfaceIpv4(name)) {
    const ip = parseIpv4(a.address);
    if (ip === undefined || a.scope === 'host') continue;
    const len = a.prefixLen;
    out.add(`${formatIpv4(len === 0 ? 0 : (ip & (~0 << (32 - len))) >>> 0)}/${len}`);
  }
  return [...out];
}

/** The sender IP chosen when the caller gives none, and why. */
export interface SenderIpChoice {
  ip: Ipv4;
  rule: string;
  /** Set when the address belongs to another interface (the kernel's route source): say so. */
  borrowedFrom?: string;
}

/** The interface that holds `ip` in this namespace, if any. */
function ownerOf(ip: Ipv4): string | undefined {
  try {
    return ipv4Addresses().find((a) => a.address === ip)?.dev;
  } catch {
    return undefined;
  }
}

/**
 * The sender IP a probe uses when the caller gives none:
 * 1. a primary address of the interface whose prefix contains the target, else its first primary address
 *    that is not host-scoped (what the kernel's inet_select_addr prefers for the same device);
 * 2. else the source address the kernel would pick for a route to the target out of this interface
 *    (`ip route get TIP oif IFACE`, its prefsrc): an address BORROWED from another interface, which
 *    the rule names (`borrowedFrom`), so the caller can say so;
 * 3. else an error asking for --sip.
 */
export function defaultSenderIp(iface: string, tip: Ipv4, ifaceAddrs: () => InterfaceAddress[] = () => interfaceIpv4(iface)): SenderIpChoice {
  if (interfaceExists(iface)) assertEthernet(iface);
  const t = parseIpv4(tip);
  const addrs = ifaceAddrs().filter((a) => !a.secondary && a.scope !== 'host');
  const onLink = addrs.find((a) => t !== undefined && inPrefix(t, parseIpv4(a.address)!, a.prefixLen));
  if (onLink) return { ip: onLink.address, rule: `address of ${iface} on the target's subnet` };
  if (addrs[0]) return { ip: addrs[0].address, rule: `first address of ${iface}` };
  let src: string | undefined;
  try {
    const r = runIpJson<Array<{ prefsrc?: string }>>(['-4', 'route', 'get', tip, 'oif', iface]);
    src = r[0]?.prefsrc;
  } catch {
    // no route out of this interface: fall through to the error
  }
  if (src && parseIpv4(src) !== undefined && src !== '0.0.0.0') {
    const ip = formatIpv4(parseIpv4(src)!);
    const from = ownerOf(ip) ?? 'another interface';
    return { ip, rule: `borrowed from ${from}: ${iface} has no IPv4 address (the kernel's source for a route to ${tip} via ${iface})`, borrowedFrom: from };
  }
  // A down interface has no route out of it: say it is down (the environment), not "no sender IP" (bad input).
  if (interfaceExists(iface) && !interfaceIsUp(iface)) throw new EnvironmentError('ERR_INTERFACE_DOWN', `interface ${iface} is down`, { hint: `bring it up: ip link set dev ${iface} up` });
  throw new UsageError('ERR_NO_SOURCE_IP', `interface ${iface} has no IPv4 address and the kernel has no source address for ${tip} via ${iface}`, {
    hint: 'pass --sip IP (the sender IP to claim), or --sip 0.0.0.0 for an RFC 5227 probe that poisons no cache',
  });
}

/** sipRule when a spoofed sender MAC comes without --sip. */
export const SPOOFED_SIP_RULE = 'spoofed sender MAC without --sip: 0.0.0.0, an RFC 5227 probe (no neighbour learns this host\'s IP at a fake MAC)';

/**
 * The sender IP of a crafted request when the caller gave no --sip. A sender MAC that is not this
 * interface's (--sha or --eth-src spoofed) gets 0.0.0.0: with this host's IP every host that answers
 * would learn it at the fake MAC (cache poisoning). Else defaultSenderIp, whose choice may be borrowed.
 * `warning`: one line for the log when the choice is not the obvious one.
 */
export function chooseSenderIp(iface: string, tip: Ipv4, spoofed: { sha?: Mac | undefined; ethSrc?: Mac | undefined }, ifaceAddrs: () => InterfaceAddress[] = () => interfaceIpv4(iface)): SenderIpChoice & { warning?: string } {
  const given = [spoofed.sha, spoofed.ethSrc].filter((m): m is Mac => m !== undefined);
  if (given.length > 0) {
    let own: Mac | undefined;
    try {
      own = interfaceMac(iface);
    } catch {
      own = undefined; // cannot tell: treat as spoofed (the safe side)
    }
    const fake = given.find((m) => m !== own);
    if (fake !== undefined)
      return { ip: '0.0.0.0', rule: SPOOFED_SIP_RULE, warning: `sender IP 0.0.0.0: ${fake} is not ${iface}'s MAC and no --sip was given; an RFC 5227 probe poisons no cache (give --sip to claim an address)` };
  }
  const d = defaultSenderIp(iface, tip, ifaceAddrs);
  return d.borrowedFrom !== undefined ? { ...d, warning: `sender IP ${d.ip} borrowed from ${d.borrowedFrom}: ${iface} has no IPv4 address (give --sip IP, or --sip 0.0.0.0)` } : d;
}

/**
 * CAP_NET_RAW in the effective set. uid 0 alone is not enough: root in a container, or under
 * `setpriv --bounding-set=-net_raw`, has no raw sockets.
 */
export function hasRawPrivilege(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return (BigInt('0x' + m[1]) & (1n << BigInt(CAP_NET_RAW))) !== 0n;
  } catch {
    // no /proc: fall back to the uid
  }
  return process.getuid?.() === 0;
}

/** Everything libpcap needs, checked before cap is touched: a failed cap open() is a crash hazard. */
export function preflightInterface(iface: string): void {
  assertInterfaceName(iface);
  if (!interfaceExists(iface)) throw noSuchInterface(iface);
  assertEthernet(iface);
  if (!hasRawPrivilege()) throw noRawPrivilege(iface);
  if (!interfaceIsUp(iface)) {
    throw new EnvironmentError('ERR_INTERFACE_DOWN', `interface ${iface} is down`, { hint: `bring it up: ip link set dev ${iface} up` });
  }
}

/**
 * IPv4 gateways routed through `name` (any route with a gateway: the default one first), from
 * /proc/net/route of this network namespace. Empty when none or unreadable.
 */
export function gatewaysOf(name: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [dev, dest, gw, flags] = line.trim().split(/\s+/);
    if (dev !== name || !gw || !flags || (parseInt(flags, 16) & 0x2) === 0) continue;
    const v = parseInt(gw, 16); // little-endian hex
    const ip = `${v & 255}.${(v >>> 8) & 255}.${(v >>> 16) & 255}.${v >>> 24}`;
    if (ip === '0.0.0.0' || out.includes(ip)) continue;
    if (dest === '00000000') out.unshift(ip);
    else out.push(ip);
  }
  return out;
}
