import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { FAST_DAD, RFC5227, announcePlan, dadPlan } from '../../src/probe/timing.js';
import { announce, announceFrame, dad } from '../../src/probe/claims.js';
import { MemoryLink } from '../../src/link/memory-link.js';
import { FakeClock } from '../../src/time/clock.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/wire/index.js';
import { validateRecord } from '../helpers/schema.js';
import { runSession } from '../../src/probe/session.js';
import { probe } from '../../src/probe/probe.js';
import { parseDuration } from '../../src/cli/duration.js';
import { runMain } from '../helpers/main.js';

/** A deterministic [0,1) source cycling through the given values. */
const seq = (...v: number[]) => {
  let i = 0;
  return () => v[i++ % v.length]!;
};

describe('timing plans', () => {
  test('dad, RFC 5227: PROBE_WAIT random 0-1 s, 3 probes 1-2 s apart, ANNOUNCE_WAIT 2 s after the last', () => {
    assert.deepEqual(dadPlan(RFC5227, seq(0, 0, 0)), { sendAtMs: [0, 1000, 2000], endAtMs: 4000 });
    assert.deepEqual(dadPlan(RFC5227, seq(0.5, 1, 0.25)), { sendAtMs: [500, 2500, 3750], endAtMs: 5750 });
    // Bounds over many random draws: 6 s at least, 9 s at most, gaps within [1, 2] s.
    for (let i = 0; i < 200; i++) {
      const p = dadPlan(RFC5227);
      assert.equal(p.sendAtMs.length, 3);
      assert.ok(p.sendAtMs[0]! >= 0 && p.sendAtMs[0]! <= 1000);
      for (let k = 1; k < 3; k++) {
        const gap = p.sendAtMs[k]! - p.sendAtMs[k - 1]!;
        assert.ok(gap >= 1000 && gap <= 2000, `gap ${gap}`);
      }
      assert.equal(p.endAtMs, p.sendAtMs[2]! + 2000);
      assert.ok(p.endAtMs >= 4000 && p.endAtMs <= 7000);
    }
  });
  test('dad --fast and explicit timings; bad ones are UsageErrors', () => {
    assert.deepEqual(dadPlan(FAST_DAD, seq(1, 1, 1)), { sendAtMs: [100, 300, 500], endAtMs: 700 });
    assert.deepEqual(dadPlan({ ...RFC5227, probeNum: 1, probeWaitMs: 0, announceWaitMs: 50 }, seq(0.7)), { sendAtMs: [0], endAtMs: 50 });
    for (const bad of [{ probeNum: 0 }, { probeNum: 1.5 }, { probeMinMs: 3000 }, { announceWaitMs: -1 }, { probeWaitMs: Number.NaN }])
      assert.throws(() => dadPlan({ ...RFC5227, ...bad }), UsageError, JSON.stringify(bad));
  });
  test('announce: count frames interval apart, then the listen window', () => {
    assert.deepEqual(announcePlan({ count: 1, intervalMs: 1000, listenMs: 1000 }), { sendAtMs: [0], endAtMs: 1000 });
    assert.deepEqual(announcePlan({ count: 3, intervalMs: 200, listenMs: 0 }), { sendAtMs: [0, 200, 400], endAtMs: 400 });
  });
});

const ME = '02:00:00:00:00:aa';
const OTHER = '02:00:00:00:00:bb';
const IP = '192.0.2.7';
const arp = (o: Parameters<typeof encodeArpFrame>[0]) => encodeArpFrame(o);

describe('announce on a memory link and the fake clock', () => {
  test('gratuitous request: sender IP = target IP, tha zero, broadcast; count/interval followed; no claim = ok', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'mem0');
    const p = announce({ iface: 'mem0', link, clock, ip: IP, mac: ME, count: 3, intervalMs: 200, listenMs: 500 });
    clock.runAll();
    const r = await p;
    assert.deepEqual(link.sentFrames.map((f) => f.time - link.sentFrames[0]!.time), [0, 200, 400]);
    const d = decodeArpFrame(link.sentFrames[0]!.bytes);
    assert.ok(d.ok);
    assert.deepEqual(d.value.arp, { op: 1, htype: 1, senderMac: ME, senderIp: IP, targetMac: '00:00:00:00:00:00', targetIp: IP });
    assert.equal(d.value.eth.dst, 'ff:ff:ff:ff:ff:ff');
    assert.equal(r.summary.durationMs, 900);
    assert.deepEqual([r.summary.sent, r.summary.ok, r.summary.conflicts, r.findings.length], [3, true, [], 0]);
  });
  test('--reply: op 2, tha = the announced MAC (iputils arping -A)', () => {
    const d = decodeArpFrame(announceFrame(IP, ME, true));
    assert.ok(d.ok);
    assert.deepEqual([d.value.arp.op, d.value.arp.targetMac, d.value.arp.senderIp, d.value.arp.targetIp], [2, ME, IP, IP]);
  });
  test('another MAC answering for the IP is one claim and one ip-conflict finding; our own frames and other IPs are not', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'mem0');
    link.addResponder((_f, l) => l.injectLater(arp({ op: 2, senderMac: OTHER, senderIp: IP, targetMac: ME, targetIp: IP, ethDst: ME }), 3));
    link.injectLater(arp({ op: 1, senderMac: ME, senderIp: IP, targetIp: IP }), 50); // ours, through another handle
    link.injectLater(arp({ op: 2, senderMac: '02:00:00:00:00:cc', senderIp: '192.0.2.8', targetIp: IP }), 60);
    const claims: string[] = [];
    const p = announce({ iface: 'mem0', link, clock, ip: IP, mac: ME, count: 2, intervalMs: 100, onClaim: (c) => claims.push(`${c.mac} ${c.how}`) });
    clock.runAll();
    const r = await p;
    assert.deepEqual(claims, [`${OTHER} reply`]);
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0]!.kind, 'ip-conflict');
    assert.deepEqual(r.summary.conflicts, [OTHER]);
    assert.equal(r.summary.ok, false);
  });
});

describe('dad on a memory link and the fake clock', () => {
  test('free: 3 probes from 0.0.0.0 at the planned times, then ANNOUNCE_WAIT, ok', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'mem0');
    const p = dad({ iface: 'mem0', link, clock, ip: IP, mac: ME, random: () => 0.5 });
    clock.runAll();
    const r = await p;
    const t0 = clock.now() - r.summary.durationMs;
    assert.deepEqual(link.sentFrames.map((f) => f.time - t0), [500, 2000, 3500]);
    const d = decodeArpFrame(link.sentFrames[0]!.bytes);
    assert.ok(d.ok);
    assert.deepEqual(d.value.arp, { op: 1, htype: 1, senderMac: ME, senderIp: '0.0.0.0', targetMac: '00:00:00:00:00:00', targetIp: IP });
    assert.equal(r.summary.durationMs, 5500);
    assert.deepEqual([r.summary.inUse, r.summary.ok, r.summary.sent], [false, true, 3]);
  });
  test('a reply from the owner: in use, stops at once (no more probes)', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'mem0');
    link.addResponder((_f, l) => l.injectLater(arp({ op: 2, senderMac: OTHER, senderIp: IP, targetMac: ME, targetIp: '0.0.0.0', ethDst: ME }), 1));
    const p = dad({ iface: 'mem0', link, clock, ip: IP, mac: ME, timing: FAST_DAD, random: () => 0 });
    clock.runAll();
    const r = await p;
    assert.deepEqual([r.summary.inUse, r.summary.by, r.summary.sent, r.summary.durationMs], [true, [OTHER], 1, 1]);
    assert.equal(r.claims[0]!.how, 'reply');
  });
  test('a request from another host with sender IP = IP, or a simultaneous probe, means in use', async () => {
    for (const [frame, how] of [
      [arp({ op: 1, senderMac: OTHER, senderIp: IP, targetIp: '192.0.2.1' }), 'request'],
      [arp({ op: 1, senderMac: OTHER, senderIp: '0.0.0.0', targetIp: IP }), 'probe'],
    ] as const) {
      const clock = new FakeClock();
      const link = new MemoryLink(clock, 'mem0');
      link.injectLater(frame, 150);
      const p = dad({ iface: 'mem0', link, clock, ip: IP, mac: ME, timing: FAST_DAD, random: () => 0 });
      clock.runAll();
      const r = await p;
      assert.deepEqual([r.summary.inUse, r.claims[0]!.how, r.summary.sent], [true, how, 2]);
    }
  });
  test('Ctrl-C: interrupted, not ok, whatever was heard', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'mem0');
    const ac = new AbortController();
    const p = dad({ iface: 'mem0', link, clock, ip: IP, mac: ME, timing: FAST_DAD, random: () => 0, signal: ac.signal });
    clock.advance(150);
    ac.abort();
    const r = await p;
    assert.deepEqual([r.summary.interrupted, r.summary.ok, r.summary.sent], [true, false, 2]);
  });
});

describe('announce and dad records against schema/', () => {
  test('claim, finding, announce summary, dad summary', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'mem0');
    link.addResponder((_f, l) => l.injectLater(arp({ op: 2, senderMac: OTHER, senderIp: IP, targetMac: ME, targetIp: IP, ethDst: ME }), 3));
    const a = announce({ iface: 'mem0', link, clock, ip: IP, mac: ME, onClaim: (c) => validateRecord({ ...c, vendor: null } as never) });
    clock.runAll();
    const ra = await a;
    const d = dad({ iface: 'mem0', link, clock, ip: IP, mac: ME, timing: FAST_DAD });
    clock.runAll();
    const rd = await d;
    const free = dad({ iface: 'mem0', link: new MemoryLink(clock), clock, ip: IP, mac: ME, timing: FAST_DAD });
    clock.runAll();
    const rf = await free;
    for (const x of [...ra.claims, ...ra.findings, ra.summary, ...rd.claims, ...rd.findings, rd.summary, rf.summary]) validateRecord(x as never);
    assert.deepEqual([ra.claims.length, rd.claims.length, rd.summary.inUse, rf.summary.inUse], [1, 1, true, false]);
    assert.throws(() => validateRecord({ ...rd.summary, inUse: 'yes' } as never), /does not match/);
  });
});

describe('probe timing on the fake clock: --count 0, --deadline, --until-replies, fractional --interval', () => {
  const request = (tip: string) => encodeArpFrame({ senderMac: ME, senderIp: '10.0.0.1', targetIp: tip });
  const answering = (clock: FakeClock, delays: number[]) => {
    const link = new MemoryLink(clock);
    let n = 0;
    link.addResponder((_f, l) => l.injectLater(arp({ op: 2, senderMac: OTHER, senderIp: '10.0.0.2', targetMac: ME, targetIp: '10.0.0.1', ethDst: ME }), delays[n++ % delays.length]!));
    return link;
  };
  test('count Infinity + untilReplies 3: stops at the third reply, mid-plan', async () => {
    const clock = new FakeClock();
    const link = answering(clock, [10]);
    const p = runSession({ link, clock, requests: [{ tip: '10.0.0.2', frame: request('10.0.0.2') }], count: Infinity, intervalMs: 200, untilReplies: 3, waitMs: 1000 });
    clock.advance(10_000);
    const r = await p;
    assert.deepEqual([r.summary.sent, r.summary.replies, r.summary.stoppedBy, r.summary.durationMs, r.summary.interrupted], [3, 3, 'until-replies', 410, false]);
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  });
  test('deadline: ends at the deadline whatever is pending; fractional interval 250.5 ms', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock); // nobody answers
    const p = runSession({ link, clock, requests: [{ tip: '10.0.0.2', frame: request('10.0.0.2') }], count: Infinity, intervalMs: 250.5, timeoutMs: 1000, deadlineMs: 1000 });
    clock.advance(5000);
    const r = await p;
    const t0 = link.sentFrames[0]!.time;
    assert.deepEqual(link.sentFrames.map((f) => f.time - t0), [0, 250.5, 501, 751.5]);
    assert.deepEqual([r.summary.sent, r.summary.stoppedBy, r.summary.durationMs, r.summary.lossPct, r.summary.received, r.timeouts.length], [4, 'deadline', 1000, 100, 0, 0]);
  });
  test('ping statistics: loss %, rtt min/avg/max/mdev over the replies; running statistics as it goes', async () => {
    const clock = new FakeClock();
    const link = answering(clock, [10, 20, 30, 40]);
    const seen: string[] = [];
    const p = runSession({ link, clock, requests: [{ tip: '10.0.0.2', frame: request('10.0.0.2') }], count: 4, intervalMs: 100, timeoutMs: 50, progress: { everyMs: 150, fn: (s) => seen.push(`${s.sent}/${s.received}`) } });
    clock.advance(5000);
    const r = await p;
    assert.deepEqual(r.summary.rttMs, { min: 10, avg: 25, max: 40, mdev: 11.18 });
    assert.deepEqual([r.summary.received, r.summary.lossPct, r.summary.stoppedBy], [4, 0, null]);
    assert.deepEqual(seen, ['2/2', '3/3'], 'at 150 ms and 300 ms (before the 4th send, due at the same instant)');
  });
  test('probe(): --count 0 with a zero interval is refused without --yes-flood; count and interval checks', async () => {
    const clock = new FakeClock();
    const base = { iface: 'mem0', link: new MemoryLink(clock), clock, targets: ['10.0.0.2'], sip: '10.0.0.1', sha: ME };
    await assert.rejects(probe({ ...base, count: 0, intervalMs: 0 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_FLOOD');
    await assert.rejects(probe({ ...base, count: -1 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_NUMBER');
    await assert.rejects(probe({ ...base, untilReplies: 0 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_NUMBER');
    const p = probe({ ...base, count: 0, intervalMs: 1.5, untilReplies: 1, waitMs: 0 });
    (base.link as MemoryLink).injectLater(arp({ op: 2, senderMac: OTHER, senderIp: '10.0.0.2', targetMac: ME, targetIp: '10.0.0.1', ethDst: ME }), 2);
    clock.advance(100);
    const r = await p;
    assert.deepEqual([r.summary.sent >= 2 && r.summary.sent <= 3, r.summary.replies, r.summary.stoppedBy], [true, 1, "until-replies"]);
  });
});

describe('CLI durations and the new commands without traffic (nosuch0)', () => {
  test('parseDuration: the option unit, or s/ms suffixes; fractions; bad input is exit 2', () => {
    assert.equal(parseDuration('200', '--interval', 'ms'), 200);
    assert.equal(parseDuration('0.5', '--interval', 'ms'), 0.5);
    assert.equal(parseDuration('0.2s', '--interval', 'ms'), 200);
    assert.equal(parseDuration('0.2', '--deadline', 's'), 200);
    assert.equal(parseDuration('150ms', '--deadline', 's'), 150);
    assert.equal(parseDuration(1, '--deadline', 's'), 1000);
    for (const bad of ['', '-1', '1m', 'abc', '1e3', '2h']) assert.throws(() => parseDuration(bad, '--x', 's'), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_NUMBER', bad);
  });
  test('announce/dad/probe: bad values are exit 2 naming the flag; a missing interface is exit 3', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['announce', '-i', 'nosuch0', '--ip', '10.0.0.300'], 2, /--ip: "10\.0\.0\.300" is not an IPv4 address/],
      [['announce', '-i', 'nosuch0', '--ip', '10.0.0.3', '--interval', '1x'], 2, /--interval: "1x" is not a duration/],
      [['announce', '-i', 'nosuch0', '--ip', '10.0.0.3', '--mac', 'zz'], 2, /--mac: "zz" is not a MAC address/],
      [['announce', '-i', 'nosuch0', '--ip', '10.0.0.3'], 3, /nosuch0 does not exist/],
      [['dad', '-i', 'nosuch0', '--ip', '10.0.0.3', '--probe-num', '0'], 2, /--probe-num: "0" must be a whole number from 1 to 100/],
      [['dad', '-i', 'nosuch0', '--ip', '10.0.0.3', '--probe-min', '3', '--mac', '02:00:00:00:00:01'], 2, /--probe-min: "3000" must not exceed probeMaxMs/],
      [['dad', '-i', 'nosuch0', '--ip', '10.0.0.3', '--fast'], 3, /nosuch0 does not exist/],
      [['dad', '-i', 'nosuch0'], 2, /--ip/],
      [['probe', '-i', 'nosuch0', '-t', '10.0.0.2', '--sip', '10.0.0.1', '--deadline', 'soon'], 2, /--deadline: "soon" is not a duration/],
      [['probe', '-i', 'nosuch0', '-t', '10.0.0.2', '--sip', '10.0.0.1', '--sha', '02:00:00:00:00:01', '--count', '0', '--interval', '0'], 2, /refusing to flood: count 0/],
      [['probe', '-i', 'nosuch0', '-t', '10.0.0.2', '--until-replies'], 2, /--until-replies needs a value/],
    ];
    for (const [args, code, re] of cases) {
      const r = await cli(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
  });
});

const cli = (args: string[]) => runMain(args);
