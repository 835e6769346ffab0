/**
 * The sweep lab and measuring tools shared by bench/sweep.ts and bench/table.ts: a /LEN where one proxy
 * ARP host answers every who-has at once (proxy_arp, proxy_delay 0, the block routed via another veth),
 * GNU time for wall and peak RSS, and the node + binding send-and-count floor.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LabSpec } from '../src/lab/lab.js';
import { sweepRingBytes } from '../src/sweep/sweep.js';

/** The /LEN at 10.99.0.0 behind one proxy, swept from `net`'s bond0. */
export function sweepLabSpec(len: number, prefix = 'bench'): LabSpec {
  return {
    prefix,
    namespaces: ['net', 'host', 'far'],
    veths: [
      { a: { ns: 'net', name: 'bond0', addrs: [`10.99.0.1/${len}`] }, b: { ns: 'host', name: 'eth0' } },
      { a: { ns: 'host', name: 'up0', addrs: ['203.0.113.2/24'] }, b: { ns: 'far', name: 'up0', addrs: ['203.0.113.1/24'] } },
    ],
    sysctls: [
      { ns: 'host', key: 'net.ipv4.conf.eth0.proxy_arp', value: 1 },
      { ns: 'host', key: 'net.ipv4.conf.eth0.forwarding', value: 1 },
      { ns: 'host', key: 'net.ipv4.neigh.eth0.proxy_delay', value: 0 },
    ],
    routes: [{ ns: 'host', route: `10.99.0.0/${len} via 203.0.113.1 dev up0` }],
  };
}

/** arpinject's fastest sweep of CIDR (TOTAL addresses): every address once, unpaced, NDJSON. */
export const sweepArgs = (cidr: string, total: number): string[] =>
  ['sweep', '--iface', 'bond0', cidr, '--include-edges', '--max-targets', String(total), '--rate', '0', '--yes-flood', '--retries', '0', '--timeout', '500', '--wait', '0', '--no-canaries', '--fail-on', 'none', '--json'];

/** arp-scan at its fastest setting, as the anchor. */
export const arpScanArgs = (cidr: string, bandwidth = '100M'): string[] => ['arp-scan', '-I', 'bond0', `--bandwidth=${bandwidth}`, '--retry=1', '--quiet', '--plain', cidr];

/** Lines of arp-scan --plain output that are replies. */
export const arpScanReplies = (text: string): number => text.split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+\s/.test(l)).length;

/** Run under GNU time for the peak RSS; stdout to a file. */
export function timed(ns: string, argv: string[], outFile: string): { wallMs: number; rssMb: number; code: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', `${outFile}.rss`, 'ip', 'netns', 'exec', ns, 'sh', '-c', `exec "$@" > ${outFile}`, 'sh', ...argv], { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const rssKb = Number(readFileSync(`${outFile}.rss`, 'utf8').trim().split('\n').at(-1));
  return { wallMs, rssMb: rssKb / 1024, code: r.status ?? -1 };
}

export const bindingPath = fileURLToPath(new URL('../build/Release/arpinject_pcap.node', import.meta.url));
/**
 * The floor for any Node tool on this project's binding: send the same requests with the same
 * 32-frame window (sendmmsg batches), count the replies (our own echoes skipped), decode nothing,
 * print nothing, with the capture ring the sweep opens (sweepRingBytes: its pages count in RSS once
 * written). argv: binding path, interface, count, first IP, ring bytes.
 */
export const NODE_FLOOR = `
const [bindingPath, iface, n, first, ring] = process.argv.slice(1);
const b = require(bindingPath);
const W = b.ENTRY_WORDS;
const N = Number(n);
let sent = 0, got = 0, done = false;
const r = b.open({ device: iface, snaplen: 256, bufferSize: Number(ring ?? 8 << 20), promisc: true, immediate: true, filter: 'arp', nano: true }, (data, table, count) => {
  for (let i = 0; i < count; i++) if (table[i * W + 5] === 0) got++;
  if (got >= N && !done) { done = true; console.log(got); b.close(r.handle); } else pump();
});
const mac = require('fs').readFileSync('/sys/class/net/' + iface + '/address', 'utf8').trim().split(':').map((h) => parseInt(h, 16));
const f = Buffer.alloc(60);
f.fill(0xff, 0, 6); Buffer.from(mac).copy(f, 6); f.writeUInt16BE(0x0806, 12); f.writeUInt16BE(1, 14); f.writeUInt16BE(0x0800, 16);
f[18] = 6; f[19] = 4; f.writeUInt16BE(1, 20); Buffer.from(mac).copy(f, 22); f.writeUInt32BE(Number(first) + 1, 28);
const batch = Buffer.alloc(60 * 32);
const pump = () => {
  const k = Math.min(N - sent, 32 - (sent - got));
  if (k <= 0) return;
  for (let j = 0; j < k; j++) { f.writeUInt32BE(Number(first) + sent + j, 38); f.copy(batch, j * 60); }
  b.send(r.handle, new Uint8Array(batch.buffer, batch.byteOffset, k * 60), new Uint32Array(k).fill(60));
  sent += k;
};
pump();
`;


/**
 * The floor for a single probe on this binding: open the capture (the probe's 16 MiB ring), send one
 * who-has, wait for its reply (our echo skipped), close, print "ok". Nothing else: no parsing, no
 * output, no decoding. argv: binding path, interface, sender IP, target IP, ring bytes.
 */
export const PROBE_FLOOR = `
const [bindingPath, iface, sip, tip, ring] = process.argv.slice(1);
const b = require(bindingPath);
const W = b.ENTRY_WORDS;
const r = b.open({ device: iface, snaplen: 256, bufferSize: Number(ring), promisc: true, immediate: true, filter: 'arp', nano: true }, (data, table, count) => {
  for (let i = 0; i < count; i++) if (table[i * W + 5] === 0) { b.close(r.handle); process.stdout.write('ok\\n'); return; }
});
const mac = require('fs').readFileSync('/sys/class/net/' + iface + '/address', 'utf8').trim().split(':').map((h) => parseInt(h, 16));
const ip = (t) => t.split('.').reduce((a, x) => a * 256 + Number(x), 0);
const f = Buffer.alloc(60);
f.fill(0xff, 0, 6); Buffer.from(mac).copy(f, 6); f.writeUInt16BE(0x0806, 12); f.writeUInt16BE(1, 14); f.writeUInt16BE(0x0800, 16);
f[18] = 6; f[19] = 4; f.writeUInt16BE(1, 20); Buffer.from(mac).copy(f, 22); f.writeUInt32BE(ip(sip), 28); f.writeUInt32BE(ip(tip), 38);
b.send(r.handle, new Uint8Array(f.buffer, f.byteOffset, 60), new Uint32Array([60]));
`;

/** The floor's argv after `node -e NODE_FLOOR`: a sweep of TOTAL addresses from 10.99.0.0 on bond0, with that sweep's ring. */
export const floorArgs = (total: number): string[] => [bindingPath, 'bond0', String(total), '0x0a630000', String(sweepRingBytes(total))];
