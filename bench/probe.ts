/**
 * Single-probe wall time, reply present: `arpinject --iface bond0 --tip T` vs `arping -c1` (Habets)
 * on the same lab (a veth pair; the peer owns T, so the kernel answers at once, no proxy delay).
 * Prints figures; asserts nothing. Run: npm run bench:probe [-- ROUNDS]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Lab } from '../src/lab/lab.js';

const rounds = Number(process.argv[2] ?? 20);
const cli = fileURLToPath(new URL('../dist/cli/arpinject.cjs', import.meta.url));

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `min ${s[0]!.toFixed(1)}  median ${q(0.5).toFixed(1)}  p90 ${q(0.9).toFixed(1)}  max ${s[s.length - 1]!.toFixed(1)} ms`;
}

function time(argv: string[]): { ms: number; code: number | null; out: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, code: r.status, out: r.stdout };
}

const lab = await Lab.create({
  prefix: 'bench',
  namespaces: ['net', 'peer'],
  veths: [{ a: { ns: 'net', name: 'bond0', addrs: ['10.0.0.1/24'] }, b: { ns: 'peer', name: 'eth0', addrs: ['10.0.0.2/24'] } }],
});
try {
  const ns = lab.nsName('net');
  const arpinject = ['ip', 'netns', 'exec', ns, cli, '--iface', 'bond0', '--tip', '10.0.0.2', '--json'];
  const arping = ['ip', 'netns', 'exec', ns, 'arping', '-q', '-c', '1', '-w', '2', '-i', 'bond0', '10.0.0.2'];
  const nsOnly = ['ip', 'netns', 'exec', ns, process.execPath, '-e', '0'];
  const hasArping = spawnSync('arping', ['--help']).error === undefined;
  const a: number[] = [];
  const b: number[] = [];
  const n: number[] = [];
  const rtts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = time(arpinject);
    if (r.code !== 0) throw new Error(`arpinject failed (exit ${r.code})`);
    a.push(r.ms);
    rtts.push(JSON.parse(r.out.trim().split('\n')[0]!).rttMs);
    n.push(time(nsOnly).ms);
    if (hasArping) {
      const p = time(arping);
      if (p.code !== 0) throw new Error(`arping failed (exit ${p.code})`);
      b.push(p.ms);
    }
  }
  console.log(`single probe, reply present, ${rounds} rounds, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, node ${process.version}`);
  console.log(`arpinject wall      ${stats(a)}`);
  if (hasArping) console.log(`arping -c1 wall     ${stats(b)}`);
  console.log(`node startup only   ${stats(n)}   (ip netns exec node -e 0: the floor for any Node CLI)`);
  console.log(`arpinject RTT       ${stats(rtts)}   (request sent -> reply captured, in-process)`);
} finally {
  await lab.destroy();
}
