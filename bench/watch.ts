/**
 * The watch analyser under the floods it exists to catch (issue 13), in the library, no capture:
 *  - 1M frames of one IP flipping between two MACs;
 *  - 2M frames from random senders (new IPs and MACs every frame).
 * Prints µs/frame (records built as `watch --json` builds them, emitted to a counter) and the heap
 * after each run (after gc), next to the analyser's typed-array state. Asserts nothing.
 * Then `watch --read` on a 1M-frame capture next to `tcpdump -r` of the same file.
 * Run: node --expose-gc --import tsx bench/watch.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArpWatcher, type WatchRecord } from '../dist/watch/analyzer.js';
import { PcapWriter } from '../dist/link/pcap-file.js';
import { encodeArpFrame } from '../dist/wire/index.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (n: number) => (n / 2 ** 20).toFixed(1);

function frameAt(i: number, kind: 'flip' | 'random'): Uint8Array {
  if (kind === 'flip')
    return encodeArpFrame({ op: 2, senderMac: i & 1 ? '02:00:00:00:00:0b' : '02:00:00:00:00:0a', senderIp: '10.0.0.5', targetIp: '10.0.0.1', targetMac: '02:00:00:00:00:01', ethDst: '02:00:00:00:00:01' });
  const r = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  const hex = (x: number) => (x & 255).toString(16).padStart(2, '0');
  return encodeArpFrame({ senderMac: `02:${hex(r >>> 24)}:${hex(r >>> 16)}:${hex(r >>> 8)}:${hex(r)}:${hex(i >>> 8)}`, senderIp: `10.${(r >>> 16) & 255}.${(r >>> 8) & 255}.${r & 255}`, targetIp: '10.0.0.1' });
}

function analyse(kind: 'flip' | 'random', n: number): void {
  // Frames are built up front (a pool of 65,536 distinct byte arrays reused): the analyser is timed, not the encoder.
  // Random senders: the pool's sender fields are patched per frame so that every frame is a new sender.
  const pool = Array.from({ length: Math.min(n, 65_536) }, (_, i) => frameAt(i, kind));
  let records = 0;
  const emit = (_r: WatchRecord) => {
    records++;
  };
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const w = new ArpWatcher(emit);
  const t0 = 1_764_600_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const bytes = pool[i % pool.length]!;
    if (kind === 'random') {
      const r = Math.imul(i + 1, 0x9e3779b1) >>> 0;
      bytes[28] = 10; bytes[29] = (r >>> 16) & 255; bytes[30] = (r >>> 8) & 255; bytes[31] = r & 255; // spa
      bytes[24] = r & 255; bytes[25] = (i >>> 8) & 255; bytes[26] = i & 255; bytes[27] = (r >>> 24) & 255; // sha tail
      bytes.copyWithin(6, 22, 28); // eth src = sha
    }
    w.ingest({ time: t0 + i / 100, bytes });
  }
  const ns = Number(process.hrtime.bigint() - start);
  gc();
  const heap = process.memoryUsage().heapUsed;
  const s = w.summary();
  const sz = w.sizes();
  console.log(
    `${kind === 'flip' ? 'one IP flipping between 2 MACs' : 'random senders'}: ${n.toLocaleString('en')} frames, ${(ns / 1000 / n).toFixed(2)} µs/frame (${Math.round(n / (ns / 1e9)).toLocaleString('en')} frames/s); ` +
      `${records.toLocaleString('en')} records, findings ${s.findings} (${Object.entries(s.findingsByKind).map(([k, v]) => `${k} ${v}`).join(', ')}), suppressed ${Object.entries(s.suppressedByKind).map(([k, v]) => `${k} ${v}`).join(', ') || 0}; ` +
      `table ${sz.table} (evicted ${s.evicted}), pending ${sz.pending}, macs tracked ${sz.replyMacs}, dedup keys ${sz.raised}; heap ${mb(heap)} MiB (+${mb(heap - heap0)}), typed state ${mb(w.stateBytes())} MiB, rss ${mb(process.memoryUsage().rss)} MiB`,
  );
}

/** Every structure at its cap: requests from new senders for new targets, replies from new MACs for new IPs. */
function ceiling(n: number): void {
  const reqB = encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1' });
  const repB = encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:02', senderIp: '10.0.0.3', targetIp: '10.0.0.1', targetMac: '02:00:00:00:00:01', ethDst: '02:00:00:00:00:01' });
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const w = new ArpWatcher(() => {});
  const t0 = 1_764_600_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const b = i & 1 ? repB : reqB;
    const r = Math.imul(i + 1, 0x9e3779b1) >>> 0;
    b[29] = (r >>> 16) & 255; b[30] = (r >>> 8) & 255; b[31] = r & 255; // spa 10.x.y.z
    b[24] = r >>> 24; b[25] = (i >>> 16) & 255; b[26] = (i >>> 8) & 255; b[27] = i & 255; // sha
    b.copyWithin(6, 22, 28);
    b[39] = (r >>> 5) & 255; b[40] = (r >>> 13) & 255; b[41] = i & 255; // tpa
    w.ingest({ time: t0 + i / 1000, bytes: b });
  }
  const ns = Number(process.hrtime.bigint() - start);
  gc();
  const heap = process.memoryUsage().heapUsed;
  const sz = w.sizes();
  console.log(
    `every structure at its cap (${n.toLocaleString('en')} frames: new senders, targets and replying MACs): ${(ns / 1000 / n).toFixed(2)} us/frame; ` +
      `table ${sz.table}, protected ${sz.protected}, pending ${sz.pending}, macs tracked ${sz.replyMacs}, distinct MACs counted ${sz.seenMacs}, histories ${sz.history}, dedup keys ${sz.raised}; ` +
      `typed state ${mb(w.stateBytes())} MiB + JS heap growth ${mb(heap - heap0)} MiB = the ceiling; rss ${mb(process.memoryUsage().rss)} MiB`,
  );
}

const only = process.argv[2];
if (!only || only === 'analyser') {
  analyse('flip', 1_000_000);
  analyse('random', 2_000_000);
  ceiling(3_000_000);
}

if (!only || only === 'read') {
  // watch --read of a 1M-frame capture vs tcpdump -r of the same file (both to /dev/null).
  const dir = mkdtempSync(join(tmpdir(), 'arpinject-bench-watch-'));
  try {
    const file = join(dir, 'm.pcap');
    const w = PcapWriter.open(file, { nanosecond: true, snaplen: 256 });
    const t0 = 1_764_600_000_000;
    for (let i = 0; i < 1_000_000; i++) w.writeCaptured({ time: t0 + i / 10, bytes: frameAt(i % 50_000, i % 3 ? 'random' : 'flip'), capturedLength: 60, originalLength: 60, truncated: false } as never);
    w.close();
    const runs = 5;
    const time = (cmd: string, args: string[]) => {
      const t = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
      if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const ours: number[] = [];
    const td: number[] = [];
    const cli = new URL('../dist/cli/arpinject.cjs', import.meta.url).pathname;
    for (let k = 0; k < runs; k++) {
      ours.push(time('node', [cli, 'watch', '--read', file, '--json']));
      td.push(time('tcpdump', ['-r', file, '-n', '-e']));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const ourFps = 1_000_000 / med(ours);
    const tdFps = 1_000_000 / med(td);
    let version = '';
    try {
      version = execFileSync('tcpdump', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
    } catch {}
    console.log(`watch --read 1M-frame pcap --json > /dev/null: median ${med(ours).toFixed(2)} s = ${Math.round(ourFps).toLocaleString('en')} frames/s; tcpdump -r -n -e > /dev/null (${version}): ${med(td).toFixed(2)} s = ${Math.round(tdFps).toLocaleString('en')} frames/s; ratio ${(med(ours) / med(td)).toFixed(2)}x (median of ${runs}, alternating)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
