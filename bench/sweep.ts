/**
 * Sweep speed: a /16 where one proxy ARP host answers every who-has at once (proxy_arp, proxy_delay 0,
 * the /16 routed via another veth), swept by arpinject and, where installed, by arp-scan at its fastest
 * setting (--bandwidth=100M --retry=1), on the same lab in the same run. Prints wall time, replies
 * correlated, peak RSS and the ratio. Figures only: asserts nothing. Run: npm run bench
 * Two floors are measured alongside, on the same lab: arp-scan paced 100x faster (the kernel's share
 * of the exchange), and a Node program that sends the same requests through the binding and only counts the
 * replies (what any tool built on node + this binding pays before decoding or printing anything), plus the
 * CLI's start-up (`arpinject --version`).
 *   node --import tsx bench/sweep.ts [PREFIX_LEN=16] [RUNS=3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../src/lab/lab.js';

const len = Number(process.argv[2] ?? 16);
const runs = Number(process.argv[3] ?? 3);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const cidr = `10.99.0.0/${len}`;
const total = 2 ** (32 - len);
const dir = mkdtempSync(join(tmpdir(), 'arpinject-bench-'));

interface Run {
  wallMs: number;
  replies: number;
  rssMb: number;
  /** arpinject only: first request to end of the sweep, from the summary (the rest is start-up and exit). */
  sweepMs?: number;
}

/** Run under GNU time for the peak RSS; stdout to a file. */
function timed(ns: string, argv: string[], outFile: string): { wallMs: number; rssMb: number; code: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', `${outFile}.rss`, 'ip', 'netns', 'exec', ns, 'sh', '-c', `exec "$@" > ${outFile}`, 'sh', ...argv], { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const rssKb = Number(readFileSync(`${outFile}.rss`, 'utf8').trim().split('\n').at(-1));
  return { wallMs, rssMb: rssKb / 1024, code: r.status ?? -1 };
}

const bindingPath = fileURLToPath(new URL('../build/Release/arpinject_pcap.node', import.meta.url));
/**
 * The floor for any Node tool on this project's binding: send the same requests with the same
 * 32-frame window (sendmmsg batches), count the replies (our own echoes skipped), decode nothing,
 * print nothing. argv: binding path, interface, count, first IP.
 */
const NODE_FLOOR = `
const [bindingPath, iface, n, first] = process.argv.slice(1);
const b = require(bindingPath);
const W = b.ENTRY_WORDS;
const N = Number(n);
let sent = 0, got = 0, done = false;
const r = b.open({ device: iface, snaplen: 256, bufferSize: 8 << 20, promisc: true, immediate: true, filter: 'arp', nano: true }, (data, table, count) => {
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

const lab = await Lab.create({
  prefix: 'bench',
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
  routes: [{ ns: 'host', route: `${cidr} via 203.0.113.1 dev up0` }],
});
try {
  const ns = lab.nsName('net');
  const hasArpScan = spawnSync('arp-scan', ['--version']).status !== null;
  const ours: Run[] = [];
  const starts: Run[] = [];
  const theirs: Run[] = [];
  const floor: Run[] = [];
  const nodeFloor: Run[] = [];
  for (let i = 0; i < runs; i++) {
    // The fixed cost every run pays: node, the CLI's modules, argument parsing (no capture opened).
    const v = timed(ns, [process.execPath, cli, '--version'], join(dir, `start${i}.txt`));
    starts.push({ wallMs: v.wallMs, replies: 0, rssMb: v.rssMb });
    const f = join(dir, `ours${i}.ndjson`);
    const r = timed(ns, [process.execPath, cli, 'sweep', '--iface', 'bond0', cidr, '--include-edges', '--max-targets', String(total), '--rate', '0', '--yes-flood', '--retries', '0', '--timeout', '500', '--wait', '0', '--no-canaries', '--fail-on', 'none', '--json'], f);
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    const summary = JSON.parse(lines.at(-1)!);
    if (r.code !== 0 || summary.type !== 'summary') throw new Error(`arpinject sweep failed: exit ${r.code}`);
    ours.push({ wallMs: r.wallMs, replies: summary.replies, rssMb: r.rssMb, sweepMs: summary.durationMs });
    // What any Node tool on this binding pays at least: the same exchange with nothing done per reply but count it.
    const z = join(dir, `node-floor${i}.txt`);
    const zr = timed(ns, [process.execPath, '--input-type=commonjs', '-e', NODE_FLOOR, bindingPath, 'bond0', String(total), '0x0a630000'], z);
    nodeFloor.push({ wallMs: zr.wallMs, replies: Number(readFileSync(z, 'utf8').trim()), rssMb: zr.rssMb });
    if (hasArpScan) {
      const g = join(dir, `arpscan${i}.txt`);
      const a = timed(ns, ['arp-scan', '-I', 'bond0', '--bandwidth=100M', '--retry=1', '--quiet', '--plain', cidr], g);
      const replies = readFileSync(g, 'utf8').split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+\s/.test(l)).length;
      theirs.push({ wallMs: a.wallMs, replies, rssMb: a.rssMb });
      // The same exchange paced 100x faster: if it takes as long, the kernel's per-frame work is the floor.
      const h = join(dir, `floor${i}.txt`);
      const b = timed(ns, ['arp-scan', '-I', 'bond0', '--bandwidth=10000M', '--retry=1', '--quiet', '--plain', cidr], h);
      floor.push({ wallMs: b.wallMs, replies: readFileSync(h, 'utf8').split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+\s/.test(l)).length, rssMb: b.rssMb });
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const show = (name: string, rs: Run[]) =>
    console.log(`${name.padEnd(26)} wall median ${med(rs.map((r) => r.wallMs)).toFixed(0).padStart(6)} ms (runs: ${rs.map((r) => r.wallMs.toFixed(0)).join(', ')})  replies ${rs.map((r) => r.replies).join('/')} of ${total}  peak RSS ${med(rs.map((r) => r.rssMb)).toFixed(1)} MB`);
  console.log(`sweep of ${cidr} (${total} targets), one proxy answering all at once; kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, node ${process.version}`);
  show('arpinject --rate 0', ours);
  console.log(`${''.padEnd(26)} of which the sweep itself (first request to last reply, summary.durationMs): median ${med(ours.map((r) => r.sweepMs!)).toFixed(0)} ms`);
  console.log(`${'arpinject --version'.padEnd(26)} wall median ${med(starts.map((r) => r.wallMs)).toFixed(0).padStart(6)} ms  peak RSS ${med(starts.map((r) => r.rssMb)).toFixed(1)} MB (start-up floor: node + CLI modules)`);
  show('node + binding, count only', nodeFloor);
  if (hasArpScan) {
    show('arp-scan --bandwidth=100M', theirs);
    show('arp-scan --bandwidth=10000M', floor);
    const base = med(theirs.map((r) => r.wallMs));
    console.log(`ratio arpinject/arp-scan wall: ${(med(ours.map((r) => r.wallMs)) / base).toFixed(2)} (target <= 0.8); node + binding count-only floor/arp-scan: ${(med(nodeFloor.map((r) => r.wallMs)) / base).toFixed(2)}`);
    console.log('(when arp-scan at 10 Gbit/s pacing takes as long as at 100 Mbit/s, its time is the kernel doing the exchange, which any tool pays;');
    console.log(' the count-only Node program is what any tool on node + this binding pays before decoding or printing anything)');
  } else console.log('arp-scan not installed: no comparison');
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
