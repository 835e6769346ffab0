/**
 * The live capture (src/link/pcap-link.ts, the project's own libpcap binding) against tcpdump on the
 * same interface as ground truth: every frame counted or reported dropped under a storm, every reply
 * recorded under a flood, RTT and --pcap stamps equal to the kernel's, and a lifetime that survives
 * hundreds of sessions in one process. Injection uses the project's own batched send (flood.ts).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../src/lab/lab.js';
import { readPcapFile } from '../../src/link/pcap-file.js';
import { CLI, parseNdjson, runCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';
import { startTcpdump } from '../helpers/tcpdump.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-capture-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const helper = (name: string) => fileURLToPath(new URL(`../helpers/${name}`, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** tcpdump on ns:iface writing `file`; stop() ends it with SIGINT and returns its own counters. */
async function tcpdump(lab: Lab, ns: string, iface: string, file: string, filter = 'arp') {
  const t = await startTcpdump(lab, ns, ['-i', iface, '-nn', '-s', '128', '-B', '65536', '--time-stamp-precision=nano', '-w', file, filter]);
  return {
    async stop(): Promise<{ captured: number; dropped: number }> {
      const { captured, dropped } = await t.stop();
      return { captured, dropped };
    },
  };
}

/** flood.ts in `ns`: resolves when its frames are built and it is about to send; `done` when it has. */
function flood(lab: Lab, ns: string, iface: string, count: number, pps = 0): Promise<{ done: Promise<{ sent: number; ms: number; pps: number }> }> {
  const child: ChildProcess = lab.spawn(ns, [process.execPath, '--import', 'tsx', helper('flood.ts'), iface, String(count), String(pps)]);
  let out = '';
  return new Promise((resolve, reject) => {
    const done = new Promise<{ sent: number; ms: number; pps: number }>((res, rej) => {
      child.on('exit', (code) => {
        const last = parseNdjson(out).at(-1);
        if (code === 0 && last && 'sent' in last) res(last as { sent: number; ms: number; pps: number });
        else rej(new Error(`flood exited ${code}: ${out}`));
      });
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready"')) resolve({ done });
    });
    child.on('exit', (code) => reject(new Error(`flood exited ${code} before it was ready`)));
  });
}

describe('live capture against tcpdump', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({
      namespaces: ['inj', 'mon', 'host'],
      veths: [
        { a: { ns: 'inj', name: 'eth0' }, b: { ns: 'mon', name: 'eth0' } },
        { a: { ns: 'mon', name: 'bond0', addrs: ['10.9.0.1/24'] }, b: { ns: 'host', name: 'eth0', addrs: ['10.9.0.2/24', '10.9.0.3/24', '10.9.0.4/24'] } },
      ],
    });
  });
  after(async () => lab?.destroy());

  test('a 200,000-frame storm: watch frames + dropped = tcpdump, 0 dropped with the default ring at >= 100k pps', async (t) => {
    const td = await tcpdump(lab, 'mon', 'eth0', join(tmp, 'storm-td.pcap'));
    // watch prints a line per frame: to a file, so the test process is not what slows it down
    const outFile = join(tmp, 'storm-watch.json');
    const w = lab.spawn('mon', ['sh', '-c', `exec "${process.execPath}" "${CLI}" watch -i eth0 --json > "${outFile}"`]);
    const t0 = Date.now();
    while (!(existsSync(outFile) && readFileSync(outFile, 'utf8').includes('"ready"'))) {
      if (Date.now() - t0 > 10_000) throw new Error('watch did not start');
      await sleep(20);
    }
    const f = await flood(lab, 'inj', 'eth0', 200_000);
    const injected = await f.done;
    await sleep(500);
    assert.equal(await stopChild(w), 0);
    const truth = await td.stop();
    const s = JSON.parse(readFileSync(outFile, 'utf8').trimEnd().split('\n').at(-1)!);
    assert.equal(s.type, 'summary');
    assert.equal(injected.sent, 200_000);
    assert.equal(truth.dropped, 0, 'tcpdump itself lost nothing (it is the ground truth)');
    assert.equal(truth.captured, 200_000);
    assert.equal(s.frames + s.dropped, truth.captured, `watch frames ${s.frames} + dropped ${s.dropped} = tcpdump's ${truth.captured}`);
    t.diagnostic(`storm: ${injected.sent} frames at ${injected.pps} pps; tcpdump ${truth.captured} captured; watch ${s.frames} frames, ${s.dropped} dropped`);
    assert.ok(injected.pps >= 100_000, `precondition: the storm reached ${injected.pps} pps (>= 100k)`);
    assert.equal(s.dropped, 0, `the default ring lost nothing at ${injected.pps} pps`);
    assert.equal(s.replies, 200_000);
  });

  test('under a 240k pps flood, probe -c 200 on 3 targets records every reply tcpdump saw (600 of 600)', async (t) => {
    const file = join(tmp, 'flood-td.pcap');
    const td = await tcpdump(lab, 'mon', 'bond0', file);
    const f = await flood(lab, 'host', 'eth0', 400_000, 240_000);
    const r = await runCli(lab.nsName('mon'), ['probe', '-i', 'bond0', '-t', '10.9.0.2', '-t', '10.9.0.3', '-t', '10.9.0.4', '-c', '200', '--interval', '5', '--json'], { timeoutMs: 60_000 });
    const injected = await f.done;
    const truth = await td.stop();
    assert.equal(r.code, 0, r.stderr);
    const s = r.records.at(-1)!;
    const fromTargets = readPcapFile(file).records.filter((x) => x.bytes[21] === 2 && x.bytes[28] === 10 && x.bytes[29] === 9 && x.bytes[30] === 0 && [2, 3, 4].includes(x.bytes[31]!)).length;
    t.diagnostic(`flood: ${injected.sent} frames at ${injected.pps} pps; probe ${s.replies} replies, ${s.unsolicited} strays counted, ${s.dropped} dropped`);
    assert.equal(truth.dropped, 0);
    assert.equal(fromTargets, 600, 'tcpdump saw 600 replies from the targets');
    assert.equal(s.replies, fromTargets, 'probe recorded every reply tcpdump saw');
    assert.equal(r.records.filter((x) => x.type === 'timeout').length, 0);
    assert.equal(s.dropped, 0);
    assert.ok(s.unsolicited > 10_000, `the flood overlapped the probe (${s.unsolicited} stray replies counted, injected at ${injected.pps} pps)`);
    assert.ok(r.records.filter((x) => x.type === 'unsolicited').length <= 2, 'strays are counted, one record per MAC');
    assert.equal(s.ok, true);
  });

  test('RTT = the kernel stamps of request and reply, as tcpdump shows them; --pcap stamps equal the kernel\'s', async (t) => {
    const file = join(tmp, 'rtt-td.pcap');
    const td = await tcpdump(lab, 'mon', 'bond0', file);
    const rtts: number[] = [];
    const ours: Array<Array<{ sec: number; nsec: number }>> = [];
    for (let i = 0; i < 20; i++) {
      const pcap = join(tmp, `rtt-${i}.pcap`);
      await lab.exec('host', ['ip', 'neigh', 'flush', 'dev', 'eth0']); // every round as cold as the first
      const r = await runCli(lab.nsName('mon'), ['probe', '-i', 'bond0', '-t', '10.9.0.2', '--json', '--pcap', pcap]);
      assert.equal(r.code, 0, r.stderr);
      rtts.push(r.records.find((x) => x.type === 'reply')!.rttMs);
      ours.push(readPcapFile(pcap).records.map((x) => ({ sec: x.sec, nsec: x.nsec })));
    }
    await td.stop();
    const wire = readPcapFile(file).records;
    // Our who-has 10.9.0.2 (sender 10.9.0.1), and the next is-at from 10.9.0.2 to 10.9.0.1; the host's own
    // probes of mon's address (its neighbour entry was flushed) are other traffic.
    const ip = (b: Uint8Array, o: number) => b.subarray(o, o + 4).join('.');
    const isOurs = (b: Uint8Array) => b[21] === 1 && ip(b, 28) === '10.9.0.1' && ip(b, 38) === '10.9.0.2';
    const isAnswer = (b: Uint8Array) => b[21] === 2 && ip(b, 28) === '10.9.0.2' && ip(b, 38) === '10.9.0.1';
    const pairs: Array<{ req: (typeof wire)[0]; rep: (typeof wire)[0] }> = [];
    for (let k = 0; k < wire.length; k++) {
      if (!isOurs(wire[k]!.bytes)) continue;
      const rep = wire.slice(k + 1).find((x) => isAnswer(x.bytes));
      if (rep) pairs.push({ req: wire[k]!, rep });
    }
    assert.equal(pairs.length, 20, `tcpdump saw 20 request/reply pairs: ${wire.map((x) => `${x.bytes[21]}:${ip(x.bytes, 28)}>${ip(x.bytes, 38)}`).join(' ')}`);
    const diffs = pairs.map((p, i) => {
      const delta = (p.rep.sec - p.req.sec) * 1000 + (p.rep.nsec - p.req.nsec) / 1e6;
      return Math.abs(rtts[i]! - delta);
    });
    const sorted = [...diffs].sort((a, b) => a - b);
    const median = sorted[10]!;
    t.diagnostic(`rttMs: ${rtts.join(' ')}; |rttMs - tcpdump| median ${median} max ${sorted.at(-1)} ms`);
    assert.ok(median <= 0.05, `median |rttMs - tcpdump delta| = ${median} ms`);
    assert.ok(sorted.at(-1)! <= 0.5, `max |rttMs - tcpdump delta| = ${sorted.at(-1)} ms (first round: ${diffs[0]})`);
    for (let i = 0; i < 20; i++) {
      const want = [pairs[i]!.req, pairs[i]!.rep].map((x) => ({ sec: x.sec, nsec: x.nsec }));
      assert.deepEqual(ours[i], want, `round ${i + 1}: --pcap stamps equal tcpdump's (to the ns)`);
    }
  });

  test("the system clock is the capture stamps' clock: a sent frame's kernel stamp falls between the clock's readings around its send and its delivery", async (t) => {
    const r = await lab.exec('mon', [process.execPath, '--import', 'tsx', helper('clock-vs-kernel.ts'), 'bond0', '50'], { timeoutMs: 60_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rounds: number; sendToEcho: [number, number]; echoToJs: [number, number] };
    t.diagnostic(`clock vs kernel: ${JSON.stringify(out)}`);
    assert.equal(out.rounds, 50);
    // 0.05 ms of slack: two clocks read back to back in C, and the hrtime reading after it.
    assert.ok(out.sendToEcho[0] >= -0.05, `the kernel stamped the frame after the clock read its send time (${out.sendToEcho[0]} ms)`);
    assert.ok(out.echoToJs[0] >= -0.05, `the clock read the delivery after the kernel stamp (${out.echoToJs[0]} ms)`);
    assert.ok(out.sendToEcho[1] < 50 && out.echoToJs[1] < 200, `and not far off: ${JSON.stringify(out)}`);
  });

  test('lifetime: 500 probe/sweep/watch sessions in one process, 2 at once now and then, gc between: no crash, fds back, RSS flat', async (t) => {
    const r = await lab.exec('mon', [process.execPath, '--expose-gc', '--import', 'tsx', helper('lifetime.ts'), 'bond0', '10.9.0.2', '500'], { timeoutMs: 240_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    t.diagnostic(`lifetime: ${JSON.stringify(out)}`);
    assert.equal(out.rounds, 500);
    assert.equal(out.replies, out.counts.probe + out.counts.sweep + out.counts.overlapping, 'every session got its reply');
    assert.ok(out.counts.failedOpens > 0);
    // No descriptor left behind: 450 rounds after the warm-up end where the warm-up ended, and never
    // above the start. (Once in a while a descriptor of the runtime's own that was open at the start,
    // not ours, is gone by the end: fdChanged names it.)
    assert.equal(out.fdEnd, out.fdWarm, `open fds after 500 rounds = after 50 (${out.fdWarm} -> ${out.fdEnd}; changed since the start: ${out.fdChanged.join(' ')})`);
    assert.ok(out.fdEnd <= out.fdStart, `no more open fds than at the start (${out.fdStart} -> ${out.fdEnd}; ${out.fdChanged.join(' ')})`);
    assert.ok(out.rssEnd - out.rssWarm < 16, `RSS flat: ${out.rssWarm} MB after 50 rounds, ${out.rssEnd} MB after 500`);
  });
});

