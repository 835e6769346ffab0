/**
 * trigger: make the kernel itself resolve a neighbour, and watch what it puts on the wire. An ICMP
 * echo goes out through raw-socket bound to the interface (SO_BINDTODEVICE); the kernel, lacking a
 * neighbour entry, sends an ARP request whose sender IP it chose (arp_solicit + arp_announce,
 * kernel-arp-model.md §7). With --src the echo carries a chosen local source (IP_HDRINCL): that is
 * how the ARP bubble (seed 002) happens: a reply from a host-scoped 169.254.1.1 makes the kernel ARP
 * with sender 169.254.1.1, and every listener learns that address at this host's MAC.
 */
import { answers } from '../correlate/match.js';
import { type Finding, finding } from '../findings/finding.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EnvironmentError } from '../errors.js';
import { PcapLink } from '../link/pcap-link.js';
import { interfaceMac, ipv4Addresses, runIpJson } from '../link/interfaces.js';
import { type Logger, silentLogger } from '../log.js';
import { systemClock } from '../time/clock.js';
import { inPrefix, parseIpv4, writeIpv4 } from '../wire/address.js';
import { ArpOp } from '../wire/codes.js';
import { type ArpFrame, decodeArpFrame } from '../wire/frame.js';
import { isoTime } from '../time/iso.js';

interface RawSocket {
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  on(event: 'error' | 'message', fn: (...a: unknown[]) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(o: { protocol: number }): RawSocket;
  Protocol: { ICMP: number };
  SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number };
  SocketOption: { SO_BINDTODEVICE: number; IP_HDRINCL: number };
  createChecksum(...b: Buffer[]): number;
  writeChecksum(buf: Buffer, offset: number, sum: number): void;
}

export interface TriggerOptions {
  iface: string;
  dst: string;
  /** Source address of the echo (IP_HDRINCL); default: the kernel chooses. */
  src?: string;
  /** How long to wait for the ARP request and reply (default 1500 ms). */
  timeoutMs?: number;
  /**
   * Flush the neighbour entry first, so the kernel must ARP (default: only report when it will not).
   * Permanent and noarp entries are left alone (`ip neigh flush` semantics): an operator put them there.
   */
  flush?: boolean;
  logger?: Logger;
}

/** A leaked sender: one of the registry's findings (host-scoped-sender, loopback-sender, link-local-sender, foreign-sender, unspecified-sender). */
export type TriggerLeak = Finding & { kind: 'host-scoped-sender' | 'link-local-sender' | 'loopback-sender' | 'foreign-sender' | 'unspecified-sender' };

export interface TriggerResult {
  type: 'trigger';
  iface: string;
  dst: string;
  src: string | null;
  /** The kernel's own ARP request for dst, as captured on the interface. */
  request: { spa: string; sha: string; time: string } | null;
  /** The neighbour's answer. */
  reply: { ip: string; mac: string; rttMs: number } | null;
  /** The sender IP the kernel chose (= request.spa). */
  senderIp: string | null;
  arpAnnounce: { dev: number; all: number; effective: number };
  /** Neighbour state before the echo (from `ip neigh`), when one existed. */
  neighbourBefore: string | null;
  leak: TriggerLeak | null;
  note?: string;
}

const require = createRequire(import.meta.url);
const readNum = (p: string): number => Number(readFileSync(p, 'utf8').trim());

function loadRaw(): RawModule {
  try {
    return require('raw-socket') as RawModule;
  } catch (cause) {
    throw new EnvironmentError('ERR_NATIVE_MODULE', 'the raw socket binding (npm package "raw-socket") could not be loaded', { cause, hint: 'npm rebuild raw-socket (see native-notes/raw-socket.md)' });
  }
}

/** An ICMP echo request; with `src`, preceded by the IPv4 header we build ourselves (IP_HDRINCL). */
export function echoPacket(raw: Pick<RawModule, 'createChecksum' | 'writeChecksum'>, dst: string, src?: string): Buffer {
  const icmp = Buffer.alloc(16);
  icmp[0] = 8; // echo request
  icmp.writeUInt16BE(process.pid & 0xffff, 4);
  icmp.writeUInt16BE(1, 6);
  icmp.write('arpinjct', 8, 'latin1');
  raw.writeChecksum(icmp, 2, raw.createChecksum(icmp));
  if (src === undefined) return icmp;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + icmp.length, 2);
  ip.writeUInt16BE(process.pid & 0xffff, 4);
  ip[8] = 64; // TTL
  ip[9] = 1; // ICMP
  writeIpv4(parseIpv4(src)!, ip, 12);
  writeIpv4(parseIpv4(dst)!, ip, 16);
  raw.writeChecksum(ip, 10, raw.createChecksum(ip));
  return Buffer.concat([ip, icmp]);
}

/** Is this sender IP one the host must never put on a link? */
export function classifySender(spa: string, addrs: Array<{ local: string; scope: string; dev: string }>, iface: string, sha: string | null = null): TriggerLeak | null {
  const ip = parseIpv4(spa) ?? 0;
  const a = addrs.find((x) => x.local === spa);
  const leak = (kind: TriggerLeak['kind'], message: string): TriggerLeak => finding(kind, { mac: sha, ips: [spa], message, evidence: { iface, ...(a ? { dev: a.dev, scope: a.scope } : {}) } }) as TriggerLeak;
  if (a?.scope === 'host')
    return leak('host-scoped-sender', `the kernel's ARP request carries ${spa}, an address configured scope host (on ${a.dev}): every host on ${iface} learns ${spa} at this MAC (the ARP bubble; arp_announce=2 on ${iface} stops it)`);
  if (inPrefix(ip, 0x7f000000, 8)) return leak('loopback-sender', `the kernel's ARP request carries a loopback sender ${spa}`);
  if (inPrefix(ip, 0xa9fe0000, 16) && a?.dev !== iface)
    return leak('link-local-sender', `the kernel's ARP request carries the link-local ${spa}, which is not an address of ${iface}: it leaks onto the link and poisons neighbours (arp_announce=2 on ${iface} stops it)`);
  if (a && a.dev !== iface && a.dev !== 'lo') return leak('foreign-sender', `the kernel's ARP request on ${iface} carries ${spa}, an address of ${a.dev} (arp_announce=0 accepts any local source)`);
  if (ip === 0)
    return leak('unspecified-sender', `the kernel's ARP request on ${iface} carries sender 0.0.0.0: no address of this host may be announced there (inet_select_addr found none), so the request looks like a DAD probe and neighbours learn nothing from it`);
  return null;
}

export async function trigger(o: TriggerOptions): Promise<TriggerResult> {
  const log = o.logger ?? silentLogger;
  const timeoutMs = o.timeoutMs ?? 1500;
  const ann = { dev: readNum(`/proc/sys/net/ipv4/conf/${o.iface}/arp_announce`), all: readNum('/proc/sys/net/ipv4/conf/all/arp_announce'), effective: 0 };
  ann.effective = Math.max(ann.dev, ann.all);
  if (o.flush) {
    try {
      execFileSync('ip', ['-4', 'neigh', 'flush', 'to', o.dst, 'dev', o.iface], { stdio: 'ignore' });
    } catch {
      // nothing to flush
    }
  }
  const before = runIpJson<Array<{ state?: string[] }>>(['-4', 'neigh', 'show', o.dst, 'dev', o.iface])[0];
  const neighbourBefore = before?.state?.join(',') ?? null;
  const mac = interfaceMac(o.iface);
  const raw = loadRaw();
  const link = PcapLink.open(o.iface, { logger: log });
  let sock: RawSocket | undefined;
  const result: TriggerResult = { type: 'trigger', iface: o.iface, dst: o.dst, src: o.src ?? null, request: null, reply: null, senderIp: null, arpAnnounce: ann, neighbourBefore, leak: null };
  try {
    let reqAt = 0;
    let kernelRequest: ArpFrame | undefined;
    const done = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      link.onFrame((f) => {
        const d = decodeArpFrame(f.bytes);
        if (!d.ok) return;
        const { eth, arp } = d.value;
        if (arp.op === ArpOp.Request && arp.targetIp === o.dst && eth.src === mac && !result.request) {
          reqAt = f.time;
          kernelRequest = d.value;
          result.request = { spa: arp.senderIp, sha: arp.senderMac, time: isoTime(f.time) };
          result.senderIp = arp.senderIp;
        } else if (kernelRequest && answers(d.value, kernelRequest) && !result.reply) {
          // the one correlator's rule (correlate/match.ts): a reply for the IP asked, on the same VLAN
          result.reply = { ip: arp.senderIp, mac: arp.senderMac, rttMs: Math.round((f.time - reqAt) * 1000) / 1000 };
          clearTimeout(t);
          resolve();
        }
      });
    });
    sock = raw.createSocket({ protocol: raw.Protocol.ICMP });
    sock.on('error', (err) => log.warn({ err }, 'raw socket error'));
    sock.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_BINDTODEVICE, Buffer.from(`${o.iface}\0`), o.iface.length + 1);
    if (o.src !== undefined) sock.setOption(raw.SocketLevel.IPPROTO_IP, raw.SocketOption.IP_HDRINCL, 1);
    const pkt = echoPacket(raw, o.dst, o.src);
    await new Promise<void>((resolve, reject) =>
      sock!.send(pkt, 0, pkt.length, o.dst, (err) => (err ? reject(new EnvironmentError('ERR_SEND', `ICMP echo to ${o.dst} via ${o.iface} failed: ${err.message}`, { cause: err })) : resolve())),
    );
    log.debug({ dst: o.dst, src: o.src, at: systemClock.now() }, 'echo sent');
    await done;
  } finally {
    sock?.close();
    link.close();
  }
  const addrs = ipv4Addresses().map((a) => ({ local: a.address, scope: a.scope, dev: a.dev }));
  if (result.senderIp) {
    result.leak = classifySender(result.senderIp, addrs, o.iface, result.request?.sha ?? null);
    if (o.src !== undefined && !addrs.some((a) => a.local === o.src) && result.senderIp !== o.src)
      result.note = `--src ${o.src} is not an address of this host: the kernel never uses a foreign source as ARP sender, whatever arp_announce says`;
  } else {
    result.note = neighbourBefore && /PERMANENT|NOARP/.test(neighbourBefore)
      ? `${o.dst} has a ${neighbourBefore} neighbour entry on ${o.iface}: the kernel never ARPs for it (--flush leaves such entries alone; remove it with ip neigh del)`
      : neighbourBefore && /REACHABLE|STALE|DELAY|PROBE/.test(neighbourBefore)
        ? `the kernel already had a neighbour entry for ${o.dst} (${neighbourBefore}) and did not ARP; rerun with --flush`
        : `no ARP request for ${o.dst} was seen on ${o.iface} within ${timeoutMs} ms (is ${o.dst} routed via ${o.iface}?)`;
  }
  return result;
}
