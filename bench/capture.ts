/**
 * Capture figures, side by side with the anchors on the same lab, in the same run. Asserts nothing.
 * 1. Storm: FRAMES ARP replies injected with the project's batched send at each rate; `watch --json`
 *    (output to /dev/null) and `tcpdump -w /dev/null` capture the same interface at the same time.
 *    Per rate: frames each counted and dropped. "sustains" = the highest rate with 0 drops.
 * 2. Single probe RTT against a kernel host: arpinject's rttMs, tcpdump's request->reply delta
 *    (the kernel stamps), and arping's own figure, ROUNDS fresh processes each.
 *   node --import tsx bench/capture.ts [FRAMES=600000] [ROUNDS=20]
 */
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../src/lab/lab.js';
import { readPcapFile } from '../src/link/pcap-file.js';

const frames = Number(process.argv[2] ?? 600_000);
const rounds = Number(process.argv[3] ?? 20);
const cli = fileURLToPath(new URL('../dist/cli/arpinject.cjs', import.meta.url));
const floodTs = fileURLToPath(new URL('../test/helpers/flood.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'arpinject-bench-capture-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, ms = 10_000): Promise<() => string> {
  let text = '';
  child[stream]!.on('data', (d: Buffer) => (text += d.toString()));
  const t0 = Date.now();
  while (!re.test(text)) {
    if (Date.now() - t0 > ms) throw new Error(`not ready: ${text}`);
    await sleep(20);
  }
  return () => text;
}

const stop = (c: ChildProcess, sig: NodeJS.Signals) => new Promise((r) => (c.exitCode !== null ? r(null) : (c.once('exit', r), c.kill(sig))));

const lab = await Lab.create({
  prefix: 'bench',
  namespaces: ['inj', 'mon', 'host'],
  veths: [
    { a: { ns: 'inj', name: 'eth0' }, b: { ns: 'mon', name: 'eth0' } },
    { a: { ns: 'mon', name: 'bond0', addrs: ['10.9.0.1/24'] }, b: { ns: 'host', name: 'eth0', addrs: ['10.9.0.2/24'] } },
  ],
});
try {
  console.log(`capture, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, node ${process.version}, ${frames} frames per storm`);
  const rows: string[] = [];
  let sustained = 0;
  for (const pps of [100_000, 200_000, 300_000, 0]) {
    const td = lab.spawn('mon', ['tcpdump', '--immediate-mode', '-i', 'eth0', '-nn', '-s', '128', '-B', '65536', '-w', '/dev/null', 'arp']);
    const tdErr = await waitFor(td, 'stderr', /listening on/);
    const out = join(dir, `watch-${pps}.json`);
    const w = lab.spawn('mon', ['sh', '-c', `exec "${cli}" watch -i eth0 --json > "${out}"`]);
    for (let t0 = Date.now(); !(existsSync(out) && readFileSync(out, 'utf8').includes('"ready"')); await sleep(20)) if (Date.now() - t0 > 10_000) throw new Error('watch did not start');
    const f = lab.spawn('inj', [process.execPath, '--import', 'tsx', floodTs, 'eth0', String(frames), String(pps)]);
    const fOut = await waitFor(f, 'stdout', /"sent"/, 120_000);
    const injected = JSON.parse(fOut().trim().split('\n').at(-1)!) as { sent: number; pps: number };
    await sleep(1000);
    await stop(w, 'SIGTERM');
    await stop(td, 'SIGINT');
    const s = JSON.parse(readFileSync(out, 'utf8').trimEnd().split('\n').at(-1)!) as { frames: number; dropped: number };
    const num = (re: RegExp) => Number(re.exec(tdErr())?.[1] ?? NaN);
    const tdCaptured = num(/(\d+) packets? captured/);
    const tdDropped = num(/(\d+) packets? dropped by kernel/);
    if (s.dropped === 0 && s.frames === injected.sent) sustained = Math.max(sustained, injected.pps);
    rows.push(
      `  injected ${String(injected.sent).padStart(7)} at ${String(injected.pps).padStart(7)} pps${pps === 0 ? ' (unpaced)' : ''}: ` +
        `watch ${s.frames} counted + ${s.dropped} dropped;  tcpdump -w /dev/null ${tdCaptured} captured + ${tdDropped} dropped`,
    );
  }
  console.log('storm (watch --json, default 64 MiB ring, snaplen 256; tcpdump -s 128 -B 65536 --immediate-mode):');
  for (const r of rows) console.log(r);
  console.log(`watch sustains ${sustained} pps with 0 drops (the highest injected rate above at which it counted every frame)`);

  // 2. single probe RTT
  const pcap = join(dir, 'rtt.pcap');
  const td = lab.spawn('mon', ['tcpdump', '--immediate-mode', '-i', 'bond0', '-nn', '--time-stamp-precision=nano', '-w', pcap, 'arp']);
  await waitFor(td, 'stderr', /listening on/);
  const ours: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await lab.exec('host', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    const r = spawnSync('ip', ['netns', 'exec', lab.nsName('mon'), cli, '-i', 'bond0', '-t', '10.9.0.2', '--json'], { encoding: 'utf8' });
    ours.push(JSON.parse(r.stdout.trim().split('\n')[0]!).rttMs);
  }
  await sleep(300);
  await stop(td, 'SIGINT');
  const wire = readPcapFile(pcap).records;
  const deltas: number[] = [];
  for (let k = 0; k + 1 < wire.length; k++)
    if (wire[k]!.bytes[21] === 1 && wire[k + 1]!.bytes[21] === 2) deltas.push((wire[k + 1]!.sec - wire[k]!.sec) * 1000 + (wire[k + 1]!.nsec - wire[k]!.nsec) / 1e6);
  const arping: number[] = [];
  const hasArping = spawnSync('arping', ['--help']).error === undefined;
  for (let i = 0; hasArping && i < rounds; i++) {
    await lab.exec('host', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    const r = spawnSync('ip', ['netns', 'exec', lab.nsName('mon'), 'arping', '-c', '1', '-w', '2', '-i', 'bond0', '10.9.0.2'], { encoding: 'utf8' });
    const m = /time=([\d.]+) (usec|msec)/.exec(r.stdout);
    if (m) arping.push(Number(m[1]) / (m[2] === 'usec' ? 1000 : 1));
  }
  const st = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return xs.length ? `median ${s[Math.floor(s.length / 2)]!.toFixed(3)}  min ${s[0]!.toFixed(3)}  max ${s.at(-1)!.toFixed(3)} ms  (first round ${xs[0]!.toFixed(3)}; n=${xs.length})` : 'n/a';
  };
  console.log(`single probe RTT, a kernel host on a veth, ${rounds} fresh processes each:`);
  console.log(`  arpinject rttMs         ${st(ours)}`);
  console.log(`  tcpdump request->reply  ${st(deltas)}   (kernel stamps: the ground truth)`);
  console.log(`  arping -c1 (Habets)     ${st(arping)}`);
  const diffs = ours.map((v, i) => Math.abs(v - (deltas[i] ?? NaN))).filter((x) => !Number.isNaN(x));
  console.log(`  |arpinject - tcpdump|   ${st(diffs)}`);
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
