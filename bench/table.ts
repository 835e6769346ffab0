/**
 * The issue-11 table: each row arpinject next to its anchor, the ratio, and the floor any tool pays,
 * as medians of RUNS runs that alternate the tools (the machine is shared: ratios, not absolute times).
 * Start-up: `arpinject --version` / `--help` vs `node -e 0`. Single probe with a local reply (a veth
 * peer owning the target, `--wait 0`) vs `arping -c1` (Habets) and vs `node -e 0`, in the lab's
 * namespace, floor the node + binding open/send/receive program (PROBE_FLOOR). /16 sweep, one proxy answering all (bench/sweep-lab.ts) vs arp-scan --bandwidth=100M
 * --retry=1, floor the node + binding send-and-count program (with the capture ring the sweep opens); peak RSS likewise.
 * Figures only: asserts nothing. Labs are namespaces of their own, destroyed at the end.
 *   node --import tsx bench/table.ts [RUNS=11] [SWEEP_RUNS=5] [PREFIX_LEN=16]     (npm run bench)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../src/lab/lab.js';
import { sweepRingBytes } from '../src/sweep/sweep.js';
import { DEFAULT_RING_BYTES } from '../src/link/pcap-link.js';
import { NODE_FLOOR, PROBE_FLOOR, bindingPath, arpScanArgs, arpScanReplies, floorArgs, sweepArgs, sweepLabSpec, timed } from './sweep-lab.js';

const runs = Math.max(5, Number(process.argv[2] ?? 11));
const sweepRuns = Math.max(5, Number(process.argv[3] ?? 5));
const len = Number(process.argv[4] ?? 16);
const cli = fileURLToPath(new URL('../dist/cli/arpinject.cjs', import.meta.url));
const node = process.execPath;
/**
 * arpinject runs as users run it, the bin by its #! line, which drops NODE_EXTRA_CA_CERTS (Node 20
 * parses that PEM bundle before any JavaScript: scripts/bin.cjs). `node -e 0` stays the issue's
 * anchor as this environment runs it; the floors run without the variable too, as the bin does, and
 * when it is set the start-up row says what `node -e 0` costs without it.
 */
const extraCa = process.env.NODE_EXTRA_CA_CERTS !== undefined && process.env.NODE_EXTRA_CA_CERTS !== '';
const bare = ['env', '-u', 'NODE_EXTRA_CA_CERTS', node];
const dir = mkdtempSync(join(tmpdir(), 'arpinject-table-'));
const has = (cmd: string, arg: string) => spawnSync(cmd, [arg]).error === undefined;

/** Wall ms of one run; throws unless it exits with `ok` (default 0). */
function wall(argv: string[], ok = 0): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== ok) throw new Error(`\`${argv.join(' ')}\` exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Run every command once per round, in turn, for `n` rounds: wall times per command. */
function alternate(n: number, cmds: Array<() => number>): number[][] {
  const out = cmds.map(() => [] as number[]);
  for (let i = 0; i < n; i++) cmds.forEach((c, k) => out[k]!.push(c()));
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  what: string;
  ours: string;
  anchor: string;
  ratio: string;
  floor: string;
}
const rows: Row[] = [];
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(3)}`;
function row(what: string, ours: number, anchorName: string, anchor: number | undefined, floor: string, unit = ms): void {
  rows.push({ what, ours: unit(ours), anchor: anchor === undefined ? `${anchorName}: not installed` : `${anchorName} ${unit(anchor)}`, ratio: anchor === undefined ? '-' : ratio(ours, anchor), floor });
}

const notes: string[] = [];
try {
  // 1. Start-up, in this namespace (nothing is sent).
  {
    const [v, h, n, b] = alternate(runs, [() => wall([cli, '--version']), () => wall([cli, '--help']), () => wall([node, '-e', '0']), ...(extraCa ? [() => wall([...bare, '-e', '0'])] : [])]);
    const nodeMs = median(n!);
    const floor = b ? `node -e 0 without NODE_EXTRA_CA_CERTS: ${ms(median(b))} (${ratio(median(b), nodeMs)})` : 'node -e 0';
    row('`arpinject --version` wall', median(v!), '`node -e 0`', nodeMs, floor);
    row('`arpinject --help` wall', median(h!), '`node -e 0`', nodeMs, floor);
  }

  // 2. Single probe, a local reply: the peer owns the target, the kernel answers at once.
  {
    const lab = await Lab.create({
      prefix: 'tbl',
      namespaces: ['net', 'peer'],
      veths: [{ a: { ns: 'net', name: 'bond0', addrs: ['10.0.0.1/24'] }, b: { ns: 'peer', name: 'eth0', addrs: ['10.0.0.2/24'] } }],
    });
    try {
      const inNs = ['ip', 'netns', 'exec', lab.nsName('net')];
      const hasArping = has('arping', '--help');
      const cmds = [
        () => wall([...inNs, cli, '-i', 'bond0', '-t', '10.0.0.2', '--wait', '0', '--json']),
        () => wall([...inNs, node, '-e', '0']),
        () => wall([...inNs, ...bare, '--input-type=commonjs', '-e', PROBE_FLOOR, bindingPath, 'bond0', '10.0.0.1', '10.0.0.2', String(2 * DEFAULT_RING_BYTES)]),
        ...(hasArping ? [() => wall([...inNs, 'arping', '-q', '-c', '1', '-w', '2', '-i', 'bond0', '10.0.0.2'])] : []),
      ];
      const [p, n, fl, a] = alternate(runs, cmds);
      const nodeMs = median(n!);
      const floorMs = median(fl!);
      row('single probe, local reply, `--wait 0`', median(p!), '`arping -c1`', a ? median(a) : undefined, `node + binding, open/send/receive: ${ms(floorMs)}${a ? ` (${ratio(floorMs, median(a))})` : ''}`);
      row('single probe, local reply, `--wait 0`', median(p!), '`node -e 0` (in the netns)', nodeMs, `the same floor: ${ratio(floorMs, nodeMs)}`);
    } finally {
      await lab.destroy();
    }
  }

  // 3. The /16 sweep: one proxy answering all at once.
  {
    const cidr = `10.99.0.0/${len}`;
    const total = 2 ** (32 - len);
    const lab = await Lab.create(sweepLabSpec(len, 'tbl'));
    try {
      const ns = lab.nsName('net');
      const hasArpScan = spawnSync('arp-scan', ['--version']).status !== null;
      const ours: Array<{ wallMs: number; rssMb: number; replies: number; sweepMs: number }> = [];
      const theirs: Array<{ wallMs: number; rssMb: number; replies: number }> = [];
      const floor: Array<{ wallMs: number; rssMb: number; replies: number }> = [];
      for (let i = 0; i < sweepRuns; i++) {
        const f = join(dir, `ours${i}.ndjson`);
        const r = timed(ns, [cli, ...sweepArgs(cidr, total)], f);
        const summary = JSON.parse(readFileSync(f, 'utf8').trim().split('\n').at(-1)!);
        if (r.code !== 0 || summary.type !== 'summary') throw new Error(`arpinject sweep failed: exit ${r.code}`);
        ours.push({ wallMs: r.wallMs, rssMb: r.rssMb, replies: summary.replies, sweepMs: summary.durationMs });
        const z = join(dir, `floor${i}.txt`);
        const zr = timed(ns, [...bare, '--input-type=commonjs', '-e', NODE_FLOOR, ...floorArgs(total)], z);
        floor.push({ wallMs: zr.wallMs, rssMb: zr.rssMb, replies: Number(readFileSync(z, 'utf8').trim()) });
        if (hasArpScan) {
          const g = join(dir, `arpscan${i}.txt`);
          const a = timed(ns, arpScanArgs(cidr), g);
          theirs.push({ wallMs: a.wallMs, rssMb: a.rssMb, replies: arpScanReplies(readFileSync(g, 'utf8')) });
        }
      }
      const m = (xs: Array<{ wallMs: number }>) => median(xs.map((x) => x.wallMs));
      const rss = (xs: Array<{ rssMb: number }>) => median(xs.map((x) => x.rssMb));
      const mb = (v: number) => `${v.toFixed(1)} MB`;
      row(`/${len} sweep wall, one proxy answering all`, m(ours), '`arp-scan --bandwidth=100M --retry=1`', hasArpScan ? m(theirs) : undefined, `node + binding, count only: ${ms(m(floor))}`);
      row(`/${len} sweep peak RSS`, rss(ours), 'arp-scan', hasArpScan ? rss(theirs) : undefined, `node + binding + the sweep's ${sweepRingBytes(total) >> 10} KiB ring: ${mb(rss(floor))}`, mb);
      notes.push(
        `/${len} sweep: arpinject correlated ${ours.map((o) => o.replies).join('/')} of ${total} replies; the sweep itself (summary.durationMs) median ${ms(median(ours.map((o) => o.sweepMs)))}` +
          (hasArpScan ? `; arp-scan ${theirs.map((t) => t.replies).join('/')}` : '') +
          `; floor ${floor.map((f) => f.replies).join('/')}`,
      );
    } finally {
      await lab.destroy();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const head: Row = { what: 'what', ours: 'arpinject', anchor: 'anchor', ratio: 'ratio', floor: 'floor' };
const cols = ['what', 'ours', 'anchor', 'ratio', 'floor'] as const;
const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => r[c].length))])) as Record<(typeof cols)[number], number>;
const line = (r: Row) => `| ${cols.map((c) => r[c].padEnd(width[c])).join(' | ')} |`;
console.log(`arpinject ${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}, node ${process.version}, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}; medians of ${runs} (start-up, probe) and ${sweepRuns} (sweep) runs, tools alternating`);
console.log(`NODE_EXTRA_CA_CERTS ${extraCa ? `is set (${process.env.NODE_EXTRA_CA_CERTS}): \`node -e 0\` parses it, arpinject's bin and the floors run without it` : 'is not set'}`);
console.log(line(head));
console.log(`|${cols.map((c) => '-'.repeat(width[c] + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
for (const n of notes) console.log(n);
