/**
 * Ready-made labs. grnet*: the testbed of "ARP proxy going rogue" (seeds 000/001), in namespaces:
 *
 *   [net] bond0 ==veth== vlan0 [host] tap0 ==veth== guest0 [guest 10.0.0.2/29]
 *                               [host] eth0 ==veth== eth0 [wan 203.0.113.1/24]
 *
 * net is the VLAN/switch side where the prober injects (bond0 has no IPv4 address, as in the seed).
 * host has proxy_arp + forwarding on vlan0 and tap0, a routing table "vlan0" (999) selected by
 * `ip rule iif vlan0|tap0`, and a main table whose default route leaves via eth0.
 * Case A: table 999 = 10.0.0.0/29 dev vlan0, default via 10.0.0.1 dev vlan0, 10.0.0.2 dev tap0.
 * Case B: vlan0 bounced (down/up), which deletes every route via vlan0; lookups for the VLAN fall
 * through to main, whose default route leaves via eth0 != vlan0: proxy_arp answers everything.
 */
import { EnvironmentError } from '../errors.js';
import { Lab, type LabSpec } from './lab.js';

export const GRNET_TABLE = 999;

export interface GrnetLab {
  lab: Lab;
  /** Logical namespace and interface the prober uses. */
  probeNs: 'net';
  probeIface: 'bond0';
  hostNs: 'host';
  /** The hypervisor's MAC on the VLAN: the one that answers (proxy ARP). */
  vlan0Mac: string;
  guestIp: '10.0.0.2';
  /** Sender IP for probes (the VLAN's router address in the seed). */
  senderIp: '10.0.0.1';
}

export function grnetSpec(): LabSpec {
  const host = 'host';
  return {
    namespaces: ['net', host, 'guest', 'wan'],
    veths: [
      { a: { ns: 'net', name: 'bond0' }, b: { ns: host, name: 'vlan0' } },
      { a: { ns: host, name: 'tap0' }, b: { ns: 'guest', name: 'guest0', addrs: ['10.0.0.2/29'] } },
      { a: { ns: host, name: 'eth0', addrs: ['203.0.113.2/24'] }, b: { ns: 'wan', name: 'eth0', addrs: ['203.0.113.1/24'] } },
    ],
    sysctls: [
      { ns: host, key: 'net.ipv4.conf.vlan0.proxy_arp', value: 1 },
      { ns: host, key: 'net.ipv4.conf.tap0.proxy_arp', value: 1 },
      { ns: host, key: 'net.ipv4.conf.vlan0.forwarding', value: 1 },
      { ns: host, key: 'net.ipv4.conf.tap0.forwarding', value: 1 },
      { ns: host, key: 'net.ipv4.conf.eth0.forwarding', value: 1 },
    ],
    routes: [
      { ns: host, route: '10.0.0.0/29 dev vlan0' },
      { ns: host, route: 'default via 203.0.113.1 dev eth0' },
      { ns: host, route: `10.0.0.0/29 dev vlan0 table ${GRNET_TABLE}` },
      { ns: host, route: `default via 10.0.0.1 dev vlan0 table ${GRNET_TABLE} onlink` },
      { ns: host, route: `10.0.0.2 dev tap0 table ${GRNET_TABLE}` },
      { ns: 'guest', route: 'default via 10.0.0.1 dev guest0 onlink' },
    ],
    rules: [
      { ns: host, rule: `iif vlan0 lookup ${GRNET_TABLE}` },
      { ns: host, rule: `iif tap0 lookup ${GRNET_TABLE}` },
    ],
  };
}

export async function createGrnetLab(): Promise<GrnetLab> {
  const lab = await Lab.create(grnetSpec());
  try {
    const vlan0Mac = await lab.mac('host', 'vlan0');
    await waitOperUp(lab, 'net', 'bond0');
    return { lab, probeNs: 'net', probeIface: 'bond0', hostNs: 'host', vlan0Mac, guestIp: '10.0.0.2', senderIp: '10.0.0.1' };
  } catch (err) {
    await lab.destroy();
    throw err;
  }
}

/** Case B, exactly as in the incident: the interface goes down and up, and its routes are gone. */
export async function breakGrnetRoutes(lab: Lab): Promise<void> {
  await lab.ip('host', 'link', 'set', 'vlan0', 'down');
  await lab.ip('host', 'link', 'set', 'vlan0', 'up');
  await waitOperUp(lab, 'net', 'bond0');
  await waitOperUp(lab, 'host', 'vlan0');
}

/** Poll until the device's operstate is UP (carrier back), at most `timeoutMs`. */
export async function waitOperUp(lab: Lab, ns: string, dev: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = JSON.parse(await lab.ip(ns, '-j', 'link', 'show', 'dev', dev)) as Array<{ operstate?: string }>;
    if (rows[0]?.operstate === 'UP') return;
    if (Date.now() > end) throw new EnvironmentError('ERR_INTERFACE_DOWN', `lab: ${dev} in ${ns} not UP after ${timeoutMs} ms (operstate ${rows[0]?.operstate})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SegmentHost {
  /** Logical namespace name; its interface is eth0. */
  name: string;
  addrs: string[];
  mac?: string;
}

/**
 * One broadcast segment: a bridge br0 in ns `seg`, the prober's bond0 (ns `net`, no IPv4) and one
 * namespace per host with eth0, all bridged. Two hosts with the same address = two MACs answering.
 */
export function segmentSpec(opts: { hosts: SegmentHost[] }): LabSpec {
  const ports = ['p-net', ...opts.hosts.map((_, i) => `p-h${i}`)];
  return {
    namespaces: ['seg', 'net', ...opts.hosts.map((h) => h.name)],
    veths: [
      { a: { ns: 'net', name: 'bond0' }, b: { ns: 'seg', name: 'p-net' } },
      ...opts.hosts.map((h, i) => ({ a: { ns: h.name, name: 'eth0', addrs: h.addrs, ...(h.mac ? { mac: h.mac } : {}) }, b: { ns: 'seg', name: `p-h${i}` } })),
    ],
    bridges: [{ ns: 'seg', name: 'br0', ports }],
  };
}
