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
import { NODE_FLOOR, arpScanArgs, arpScanReplies, floorArgs, sweepArgs, sweepLabSpec, timed } from './sweep-lab.js';

const len = Number(process.argv[2] ?? 16);
const runs = Number(process.argv[3] ?? 3);
const cli = fileURLToPath(new URL('../dist/cli/arpinject.cjs', import.meta.url));
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

const lab = await Lab.create(sweepLabSpec(len));
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
    const v = timed(ns, [cli, '--version'], join(dir, `start${i}.txt`));
    starts.push({ wallMs: v.wallMs, replies: 0, rssMb: v.rssMb });
    const f = join(dir, `ours${i}.ndjson`);
    const r = timed(ns, [cli, ...sweepArgs(cidr, total)], f);
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    const summary = JSON.parse(lines.at(-1)!);
    if (r.code !== 0 || summary.type !== 'summary') throw new Error(`arpinject sweep failed: exit ${r.code}`);
    ours.push({ wallMs: r.wallMs, replies: summary.replies, rssMb: r.rssMb, sweepMs: summary.durationMs });
    // What any Node tool on this binding pays at least: the same exchange with nothing done per reply but count it.
    const z = join(dir, `node-floor${i}.txt`);
    const zr = timed(ns, ['env', '-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '--input-type=commonjs', '-e', NODE_FLOOR, ...floorArgs(total)], z);
    nodeFloor.push({ wallMs: zr.wallMs, replies: Number(readFileSync(z, 'utf8').trim()), rssMb: zr.rssMb });
    if (hasArpScan) {
      const g = join(dir, `arpscan${i}.txt`);
      const a = timed(ns, arpScanArgs(cidr), g);
      const replies = arpScanReplies(readFileSync(g, 'utf8'));
      theirs.push({ wallMs: a.wallMs, replies, rssMb: a.rssMb });
      // The same exchange paced 100x faster: if it takes as long, the kernel's per-frame work is the floor.
      const h = join(dir, `floor${i}.txt`);
      const b = timed(ns, arpScanArgs(cidr, '10000M'), h);
      floor.push({ wallMs: b.wallMs, replies: arpScanReplies(readFileSync(h, 'utf8')), rssMb: b.rssMb });
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
