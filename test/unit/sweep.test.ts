import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detect } from '../../src/detect/findings.js';
import { UsageError } from '../../src/errors.js';
import { MemoryLink } from '../../src/link/memory-link.js';
import { FakeClock } from '../../src/time/clock.js';
import type { ReplyRecord } from '../../src/records/records.js';
import { parseBaseline } from '../../src/sweep/baseline.js';
import { runSweepEngine, targetIndex } from '../../src/sweep/engine.js';
import { MAX_UNSOLICITED_KEYS } from '../../src/probe/session.js';
import { assertNotFlood, ppsForBandwidth, sweep } from '../../src/sweep/sweep.js';
import { defaultCanaries, expandTargets, mulberry32, parseTarget, shuffle, targetsFromText } from '../../src/sweep/targets.js';
import { decodeArpFrame, encodeArpFrame, formatIpv4, parseIpv4 } from '../../src/wire/index.js';

const ips = (a: Uint32Array) => Array.from(a, formatIpv4);

describe('targets', () => {
  test('CIDR without network/broadcast below /31; /31 and /32 whole; --include-edges', () => {
    assert.deepEqual(ips(expandTargets(['10.0.0.0/29'])), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    assert.deepEqual(ips(expandTargets(['10.0.0.4/31'])), ['10.0.0.4', '10.0.0.5']);
    assert.deepEqual(ips(expandTargets(['10.0.0.9/32'])), ['10.0.0.9']);
    assert.equal(expandTargets(['10.0.0.0/30'], { includeEdges: true }).length, 4);
    assert.deepEqual(ips(expandTargets(['10.0.0.7/30'])), ['10.0.0.5', '10.0.0.6'], 'host bits are masked');
  });
  test('ranges, short ranges, single IPs, dedup in order', () => {
    assert.deepEqual(ips(expandTargets(['10.0.0.250-10.0.1.1'])), ['10.0.0.250', '10.0.0.251', '10.0.0.252', '10.0.0.253', '10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    assert.deepEqual(ips(expandTargets(['10.0.0.10-12', '10.0.0.11', '8.8.8.8'])), ['10.0.0.10', '10.0.0.11', '10.0.0.12', '8.8.8.8']);
  });
  test('bad targets and oversized sweeps are UsageErrors that say how to fix them', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/24', '10.0.0.9-10.0.0.1', '10.0.0.1-300', 'host', '10.0.0.1/x'])
      assert.throws(() => parseTarget(bad), UsageError, bad);
    assert.throws(() => expandTargets(['10.0.0.0/15']), (e: unknown) => e instanceof UsageError && /131070 targets is more than the limit of 65536/.test(e.message) && /--max-targets 131070/.test(e.hint ?? ''));
    assert.equal(expandTargets(['10.0.0.0/15'], { maxTargets: 200_000 }).length, 131070);
    assert.throws(() => expandTargets([]), UsageError);
  });
  test('bandwidth pacing as arp-scan computes it: 64 bytes a request', () => {
    assert.equal(ppsForBandwidth(256_000), 500, "arp-scan's default 256 kbit/s = 500 pps");
    assert.equal(ppsForBandwidth(100_000_000), 195312.5);
  });
  test('files: comments, several per line', () => {
    assert.deepEqual(targetsFromText('# office\n10.0.0.1 10.0.0.2, 10.0.0.3\n\n10.1.0.0/30 # lab\n'), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.1.0.0/30']);
  });
  test('seeded shuffle is a repeatable permutation', () => {
    const a = shuffle(expandTargets(['10.0.0.0/24']), mulberry32(7));
    const b = shuffle(expandTargets(['10.0.0.0/24']), mulberry32(7));
    assert.deepEqual(a, b);
    assert.notDeepEqual(ips(a).slice(0, 10), ips(expandTargets(['10.0.0.0/24'])).slice(0, 10));
    assert.deepEqual([...a].sort(), [...expandTargets(['10.0.0.0/24'])].sort());
  });
  test('default canaries avoid swept documentation ranges', () => {
    assert.deepEqual(defaultCanaries(expandTargets(['10.0.0.0/24'])), ['192.0.2.234', '198.51.100.234', '203.0.113.234']);
    assert.deepEqual(defaultCanaries(expandTargets(['198.51.100.0/24'])), ['192.0.2.234', '203.0.113.234']);
  });
});

const rep = (tip: string, mac: string, o: Partial<ReplyRecord> = {}): ReplyRecord => ({
  type: 'reply', iface: 'x', ip: tip, mac, ethSrc: mac, ethDst: 'x', vlan: null, rttMs: 1, seq: 1, requestId: 1, tha: 'x', tpa: 'x', time: 'x',
  late: false, duplicate: false, ethSrcMismatch: false, flags: [], ...o,
});

describe('findings', () => {
  const P = '02:00:00:00:00:aa';
  const H = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
  test('a legitimate proxy for a few guests and normal hosts: no finding', () => {
    const replies = [rep('10.0.0.2', P), rep('10.0.0.3', P), rep('10.0.0.10', H(10)), rep('10.0.0.11', H(11))];
    assert.deepEqual(detect({ replies, canaries: ['192.0.2.234'] }), []);
  });
  test('GRNET case B: canary answered + one MAC for everything, overlapping real hosts => critical', () => {
    const replies = [rep('192.0.2.234', P)];
    for (let i = 1; i <= 60; i++) replies.push(rep(`10.0.0.${i}`, P));
    replies.push(rep('10.0.0.10', H(10)));
    const f = detect({ replies, canaries: ['192.0.2.234'] });
    assert.deepEqual(f.map((x) => [x.kind, x.severity, x.mac]), [
      ['hijack', 'critical', P],
      ['ip-conflict', 'critical', P],
    ]);
    assert.equal(f[0]!.evidence.onLinkClaimed, 60);
    assert.equal(f[0]!.evidence.takenFromOthers, 1);
    assert.match(f[1]!.message, /10\.0\.0\.10 is answered by 2 MACs/);
  });
  test('many IPs alone is a warning (could be its guests); threshold configurable', () => {
    const replies = Array.from({ length: 40 }, (_, i) => rep(`10.0.1.${i}`, P));
    assert.deepEqual(detect({ replies }).map((x) => [x.kind, x.severity]), [['many-ips', 'warning']]);
    assert.deepEqual(detect({ replies, maxIpsPerMac: 64 }), []);
  });
  test('conflict between two ordinary hosts is a warning; eth src mismatch; unsolicited is info', () => {
    const f = detect({
      replies: [rep('10.0.0.5', H(1)), rep('10.0.0.5', H(2)), rep('10.0.0.7', H(3), { ethSrc: H(9), ethSrcMismatch: true })],
      unsolicited: [{ type: 'unsolicited', iface: 'x', ip: '10.0.0.99', mac: H(4), ethSrc: H(4), ethDst: 'x', tha: 'x', tpa: 'x', vlan: null, time: 'x' }],
    });
    assert.deepEqual(f.map((x) => [x.kind, x.severity]), [['ip-conflict', 'warning'], ['eth-src-mismatch', 'warning'], ['unsolicited', 'info']]);
  });
  test('baseline: unexpected MAC, missing host, new host (arp-scan output accepted)', () => {
    const baseline = parseBaseline(
      'Interface: eth0, type: EN10MB, MAC: 02:00:00:00:00:01, IPv4: 10.0.0.1\nStarting arp-scan 1.10.0\n10.0.0.5\t02:00:00:00:01:01\t(Unknown)\n10.0.0.6 02:00:00:00:01:02\n\n3 packets received\n',
    );
    assert.deepEqual([...baseline], [['10.0.0.5', '02:00:00:00:01:01'], ['10.0.0.6', '02:00:00:00:01:02']]);
    const f = detect({ replies: [rep('10.0.0.5', H(7)), rep('10.0.0.8', H(8))], baseline });
    assert.deepEqual(f.map((x) => [x.kind, x.severity, x.ips[0]]), [['unexpected-mac', 'critical', '10.0.0.5'], ['missing-host', 'warning', '10.0.0.6'], ['new-host', 'info', '10.0.0.8']]);
    assert.throws(() => parseBaseline('nothing here'), UsageError);
    assert.throws(() => parseBaseline('10.0.0.5 02:00:00:00:01:01\n10.0.0.5 02:00:00:00:01:02'), /two MACs/);
  });
});

describe('sweep engine on a memory link with a fake clock', () => {
  const ME = '02:00:00:00:00:aa';
  const reply = (ip: string, mac: string) => encodeArpFrame({ op: 2, senderMac: mac, senderIp: ip, targetMac: ME, targetIp: '10.0.0.1', ethDst: ME });
  const frameFor = (ip: number) => encodeArpFrame({ senderMac: ME, senderIp: '10.0.0.1', targetIp: formatIpv4(ip) });
  const tipOf = (b: Uint8Array) => {
    const d = decodeArpFrame(b);
    assert.ok(d.ok);
    return d.value.arp.targetIp;
  };

  test('pacing: 100 pps spreads 10 requests over ~90 ms', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const p = runSweepEngine({ link, clock, targets: expandTargets(['10.0.0.1-10']), buildFrame: frameFor, ratePps: 100, retries: 0, timeoutMs: 50, backoff: 1, waitMs: 0 });
    clock.advance(1000);
    const r = await p;
    const t0 = link.sentFrames[0]!.time;
    const gaps = link.sentFrames.map((f) => f.time - t0);
    assert.equal(r.sent, 10);
    assert.equal(gaps.at(-1), 90);
    assert.ok(gaps.every((g, i) => i === 0 || g - gaps[i - 1]! >= 9.99), String(gaps));
  });

  test('retries with backoff only for the unanswered; canaries first; late/extra replies kept in the window', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.addResponder((f, l) => {
      const tip = tipOf(f);
      if (tip === '10.0.0.1') l.injectLater(reply(tip, '02:00:00:00:00:01'), 5);
      if (tip === '192.0.2.234') l.injectLater(reply(tip, '02:00:00:00:00:99'), 5);
    });
    const replies: ReplyRecord[] = [];
    const p = runSweepEngine({
      link, clock, targets: expandTargets(['10.0.0.1-3']), canaries: [parseIpv4('192.0.2.234')!], buildFrame: frameFor,
      ratePps: 0, retries: 2, timeoutMs: 100, backoff: 2, waitMs: 500, onReply: (r) => replies.push(r),
    });
    link.injectLater(reply('10.0.0.1', '02:00:00:00:00:02'), 450); // a second MAC, late: kept in the window
    clock.advance(5000);
    const r = await p;
    const sends = link.sentFrames.map((f) => [tipOf(f.bytes), f.time - link.sentFrames[0]!.time]);
    assert.deepEqual(sends, [
      ['192.0.2.234', 0], ['10.0.0.1', 0], ['10.0.0.2', 0], ['10.0.0.3', 0],
      ['10.0.0.2', 100], ['10.0.0.3', 100],
      ['10.0.0.2', 300], ['10.0.0.3', 300],
    ]);
    assert.equal(r.sent, 8);
    assert.equal(r.answered, 1);
    assert.equal(r.canariesAnswered, 1);
    assert.equal(r.replies, 3);
    assert.deepEqual(replies.map((x) => [x.ip, x.mac, x.flags]), [
      ['192.0.2.234', '02:00:00:00:00:99', ['canary']],
      ['10.0.0.1', '02:00:00:00:00:01', []],
      ['10.0.0.1', '02:00:00:00:00:02', ['late', 'multiple-macs']],
    ]);
    // ends at last send (300) + its timeout (400) = 700 > last send + wait (800)? no: max(700, 800) = 800
    assert.equal(r.durationMs, 800);
  });

  test('everything answered: ends after the listening window, not the timeouts', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.addResponder((f, l) => l.injectLater(reply(tipOf(f), '02:00:00:00:00:01'), 1));
    const p = runSweepEngine({ link, clock, targets: expandTargets(['10.0.0.1-4']), buildFrame: frameFor, ratePps: 0, retries: 2, timeoutMs: 1000, backoff: 1.5, waitMs: 50 });
    clock.advance(10_000);
    const r = await p;
    assert.equal(r.durationMs, 50);
    assert.equal(r.sent, 4);
  });

  test('deadline and abort stop the sweep with what was collected', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const p = runSweepEngine({ link, clock, targets: expandTargets(['10.0.0.0/24']), buildFrame: frameFor, ratePps: 100, retries: 0, timeoutMs: 100, backoff: 1, waitMs: 0, deadlineMs: 505 });
    clock.advance(10_000);
    const r = await p;
    assert.equal(r.deadlineReached, true);
    assert.equal(r.sent, 51);
    const ac = new AbortController();
    const clock2 = new FakeClock();
    const link2 = new MemoryLink(clock2);
    const p2 = runSweepEngine({ link: link2, clock: clock2, targets: expandTargets(['10.0.0.0/24']), buildFrame: frameFor, ratePps: 100, retries: 0, timeoutMs: 100, backoff: 1, waitMs: 0, signal: ac.signal });
    clock2.advance(200);
    ac.abort();
    const r2 = await p2;
    assert.equal(r2.interrupted, true);
    assert.equal(r2.sent, 21);
    assert.equal(clock2.pendingTimers(), 0);
  });

  test('flow control: at most maxAhead ahead of the capture while frames flow, but never a stall', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    // Nobody answers the sweep, but stray replies arrive every 10 ms: frames keep "flowing".
    const stray = reply('10.9.9.9', '02:00:00:00:00:99');
    for (let t = 1; t < 3000; t += 10) link.injectLater(stray, t);
    const p = runSweepEngine({ link, clock, targets: expandTargets(['10.0.0.0/24']), buildFrame: frameFor, ratePps: 0, retries: 0, timeoutMs: 100, backoff: 1, waitMs: 0, maxAhead: 8 });
    clock.advance(5000);
    const r = await p;
    assert.equal(r.sent, 254, 'every target asked');
    const t0 = link.sentFrames[0]!.time;
    const last = link.sentFrames.at(-1)!.time - t0;
    assert.ok(last > 500, `held back while stray frames flow (last send at ${last} ms)`);
    assert.ok(last < 254 / 4 * 50 + 500, `but a batch (maxAhead/2 = 4) is released every 50 ms (last send at ${last} ms)`);
    assert.ok(r.unsolicitedCount > 100, 'the stray replies were captured all along');
    assert.equal(r.unsolicited.length, 1, 'one record for the one stray source, not one per frame');
  });

  test('sweep() end to end on a memory link: one MAC for a /26 plus canaries => critical findings', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.addResponder((f, l) => l.injectLater(reply(tipOf(f), '02:00:00:00:00:bb'), 300));
    const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.0/26'], sip: '10.0.0.1', sha: ME, ratePps: 0 });
    clock.advance(60_000);
    const r = await p;
    assert.equal(r.summary.answered, 62);
    assert.equal(r.summary.canariesAnswered, 3);
    assert.deepEqual(r.findings.map((f) => [f.kind, f.severity]), [['hijack', 'critical']]);
    assert.equal(r.summary.worst, 'critical');
    assert.equal(r.replies.length, 65);
    const lean = new FakeClock();
    const leanLink = new MemoryLink(lean);
    leanLink.addResponder((f, l) => l.injectLater(reply(tipOf(f), '02:00:00:00:00:bb'), 300));
    let streamed = 0;
    const p2 = sweep({ iface: 'mem0', link: leanLink, clock: lean, targets: ['10.0.0.0/26'], sip: '10.0.0.1', sha: ME, ratePps: 0, keepReplies: false, onReply: () => streamed++ });
    lean.advance(60_000);
    const r2 = await p2;
    assert.deepEqual([r2.replies.length, streamed, r2.summary.replies], [0, 65, 65]);
    assert.deepEqual(r2.findings, r.findings, 'same verdict without keeping the records');
  });

  /**
   * The kernel's proxy ARP queue (kernel-arp-model.md §4), simulated: each broadcast request waits
   * U(0, proxy_delay) before the answer; a request arriving while more than proxy_qlen wait is dropped.
   */
  const proxyHost = (link: MemoryLink, clock: FakeClock, mac: string, seed: number, delayMs = 800, qlen = 64) => {
    const rnd = mulberry32(seed);
    let queued = 0;
    let dropped = 0;
    link.addResponder((f, l) => {
      if (queued > qlen) {
        dropped++;
        return;
      }
      queued++;
      const tip = tipOf(f);
      clock.setTimer(rnd() * delayMs, () => {
        queued--;
        l.inject(reply(tip, mac));
      });
    });
    return { dropped: () => dropped };
  };

  test('a rogue proxy with the kernel defaults (proxy_delay 0.8 s, proxy_qlen 64) is seen whole on a /24: the window keeps its queue from overflowing', async () => {
    for (const seed of [1, 2, 3]) {
      const clock = new FakeClock();
      const link = new MemoryLink(clock);
      const proxy = proxyHost(link, clock, '02:00:00:00:00:bb', seed);
      const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.0/24'], sip: '10.0.0.1', sha: ME });
      clock.advance(60_000);
      const r = await p;
      assert.equal(proxy.dropped(), 0, 'no request dropped by the proxy queue');
      assert.deepEqual([r.summary.answered, r.summary.canariesAnswered, r.summary.sent], [254, 3, 257], 'every address answered on the first pass');
      assert.deepEqual(r.findings.map((f) => [f.kind, f.severity]), [['hijack', 'critical']]);
    }
  });

  test('without the window the same queue overflows at 500 pps, and the retries recover what it dropped', async () => {
    const run = async (retries: number) => {
      const clock = new FakeClock();
      const link = new MemoryLink(clock);
      const proxy = proxyHost(link, clock, '02:00:00:00:00:bb', 1);
      const p = runSweepEngine({ link, clock, targets: expandTargets(['10.0.0.0/24']), buildFrame: frameFor, ratePps: 500, retries, timeoutMs: 1000, backoff: 1.5, waitMs: 1000, maxAhead: 100_000 });
      clock.advance(60_000);
      return { r: await p, dropped: proxy.dropped() };
    };
    const once = await run(0);
    assert.ok(once.dropped > 50, `the queue dropped ${once.dropped}`);
    assert.equal(once.r.answered, 254 - once.dropped);
    const retried = await run(2);
    assert.equal(retried.r.answered, 254, `${retried.dropped} dropped over all passes, all re-asked`);
  });

  test('an unsolicited storm: every reply counted, one record and one finding per MAC, bounded, summary by MAC', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const mac = (k: number) => `02:01:00:${((k >> 16) & 0xff).toString(16).padStart(2, '0')}:${((k >> 8) & 0xff).toString(16).padStart(2, '0')}:${(k & 0xff).toString(16).padStart(2, '0')}`;
    // One loud MAC (3000 replies, each a different IP) and 1500 quiet ones (2 each): more MACs than MAX_UNSOLICITED_KEYS.
    for (let k = 0; k < 3000; k++) link.injectLater(reply(`10.8.${k >> 8}.${k & 0xff}`, '02:00:00:00:00:77'), 1 + k * 0.1);
    for (let k = 0; k < 1500; k++) for (const t of [400, 500]) link.injectLater(reply('10.9.9.9', mac(k + 1)), t + k * 0.01);
    let streamed = 0;
    const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1'], sip: '10.0.0.1', sha: ME, canaries: false, retries: 0, onUnsolicited: () => streamed++ });
    clock.advance(10_000);
    const r = await p;
    assert.equal(r.summary.unsolicited, 6000, 'every frame counted');
    assert.equal(r.unsolicited.length, MAX_UNSOLICITED_KEYS, 'records: one per source, at most MAX_UNSOLICITED_KEYS');
    assert.equal(streamed, MAX_UNSOLICITED_KEYS);
    assert.equal(r.summary.unsolicitedByMac['02:00:00:00:00:77'], 3000);
    assert.equal(Object.keys(r.summary.unsolicitedByMac).length, 17, '16 largest + other');
    assert.equal(Object.values(r.summary.unsolicitedByMac).reduce((a, b) => a + b, 0), 6000, 'other holds the rest, untracked MACs included');
    const uf = r.findings.filter((f) => f.kind === 'unsolicited');
    assert.equal(uf.length, MAX_UNSOLICITED_KEYS, 'one finding per recorded MAC, not per frame');
    assert.equal(new Set(uf.map((f) => f.mac)).size, uf.length);
    const loud = uf.find((f) => f.mac === '02:00:00:00:00:77')!;
    assert.match(loud.message, /sent 3000 replies nobody asked for/);
  });

  test('keepReplies false: unsolicited replies are streamed and counted, not kept', async () => {
    for (const keepReplies of [true, false]) {
      const clock = new FakeClock();
      const link = new MemoryLink(clock);
      link.injectLater(reply('10.7.7.7', '02:00:00:00:00:77'), 5);
      let streamed = 0;
      const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1'], sip: '10.0.0.1', sha: ME, canaries: false, retries: 0, keepReplies, onUnsolicited: () => streamed++ });
      clock.advance(10_000);
      const r = await p;
      assert.deepEqual([r.summary.unsolicited, streamed, r.unsolicited.length], [1, 1, keepReplies ? 1 : 0]);
      assert.deepEqual(r.findings.map((f) => [f.kind, f.mac]), [['unsolicited', '02:00:00:00:00:77']]);
    }
  });
});

describe('flood guard (--yes-flood)', () => {
  const run = (targets: string[], o: Partial<Parameters<typeof sweep>[0]> = {}) => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const p = sweep({ iface: 'mem0', link, clock, targets, sip: '10.0.0.1', sha: '02:00:00:00:00:01', canaries: false, retries: 0, waitMs: 0, timeoutMs: 10, ...o });
    clock.advance(60_000);
    return p;
  };
  test('--rate 0 above 4096 targets is refused (exit 2 ERR_FLOOD), saying frames, pps and why; nothing sent', async () => {
    await assert.rejects(run(['10.0.0.0/19'], { ratePps: 0, retries: 2 }), (e: unknown) =>
      e instanceof UsageError && e.code === 'ERR_FLOOD' && /would send up to 24570 ARP frames \(8190 targets\) unpaced/.test(e.message) && /--rate 0 for more than 4096 targets needs --yes-flood/.test(e.message));
  });
  test('a /20 (4094 targets) unpaced is fine; --yes-flood lets the /19 through', async () => {
    assert.equal((await run(['10.0.0.0/20'], { ratePps: 0 })).summary.sent, 4094);
    assert.equal((await run(['10.0.0.0/19'], { ratePps: 0, yesFlood: true })).summary.sent, 8190);
  });
  test('above 10,000 pps with more than 10,000 frames: refused with the duration; fewer frames or a lower rate: fine', async () => {
    await assert.rejects(run(['10.0.0.0/18'], { ratePps: 20_000 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_FLOOD' && /16382 ARP frames \(16382 targets\) at 20000 pps, about 0\.8 s/.test(e.message));
    // The plans that pass (checked on the guard itself: a fast sweep on the fake clock is a test of its own).
    assertNotFlood({ what: 'targets', unpacedCount: 4094, frames: 8188, ratePps: 20_000 });
    assertNotFlood({ what: 'targets', unpacedCount: 16382, frames: 16382, ratePps: 10_000 });
    assertNotFlood({ what: 'targets', unpacedCount: 16382, frames: 16382, ratePps: 20_000, yesFlood: true });
  });
});

describe('target index', () => {
  test('the same answers as a first-occurrence map, for runs (by subtraction) and for anything else', () => {
    const naive = (canaries: number[], targets: Uint32Array) => {
      const m = new Map<number, number>();
      [...canaries, ...targets].forEach((ip, i) => {
        if (!m.has(ip)) m.set(ip, i);
      });
      return m;
    };
    const cases: Array<[number[], Uint32Array]> = [
      [[], expandTargets(['10.0.0.0/24'])],
      [[parseIpv4('192.0.2.234')!, parseIpv4('10.0.0.5')!], expandTargets(['10.0.0.0/24'])],
      [[], expandTargets(['255.255.255.0/24'], { includeEdges: true })],
      [[], expandTargets(['0.0.0.0/30'], { includeEdges: true })],
      [[1], shuffle(expandTargets(['10.0.0.0/24']), mulberry32(3))],
      [[], Uint32Array.from([5, 6, 7, 7, 8])],
      [[9], new Uint32Array(0)],
    ];
    for (const [canaries, targets] of cases) {
      const idx = targetIndex(canaries, targets);
      const want = naive(canaries, targets);
      const probes = new Set<number>([...want.keys(), 0, 1, 4, 9, 0xffffffff, ...[...want.keys()].map((ip) => (ip + 1) >>> 0), ...[...want.keys()].map((ip) => (ip - 1) >>> 0)]);
      for (const ip of probes) {
        assert.equal(idx.get(ip), want.get(ip) ?? -1, `${formatIpv4(ip)} in ${targets.length} targets, ${canaries.length} canaries`);
        assert.equal(idx.has(ip), want.has(ip));
      }
    }
  });
});
