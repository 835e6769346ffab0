/** Issue 12 (targets): the parsers behind --bandwidth suffixes, number options, net:mask, hostnames and target files. No network. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runMain } from '../helpers/main.js';
import { parseNumberOption } from '../../src/cli/options.js';
import { type Lookup, describeResolution, isHostName, resolveHostNames } from '../../src/cli/resolve.js';
import { tipsFromChunks } from '../../src/cli/target-file.js';
import { UsageError } from '../../src/errors.js';
import { parseBandwidth } from '../../src/pacing/flood.js';
import { checkInt } from '../../src/probe/options.js';
import { expandTargets, parseTarget, prefixOfMask, targetsFromText } from '../../src/sweep/targets.js';
import { BROADCAST_MAC, ZERO_MAC, formatIpv4, parseIpv4 } from '../../src/wire/address.js';
import { ArpOp } from '../../src/wire/codes.js';
import { decodeArpFrame, encodeArpFrame, frameVlan } from '../../src/wire/frame.js';
import { startResponder } from '../../src/lab/responder.js';
import { MemoryLink } from '../../src/link/memory-link.js';
import { FakeClock } from '../../src/time/clock.js';
import { sweep } from '../../src/sweep/sweep.js';
import { runSweepEngine } from '../../src/sweep/engine.js';
import { parseBaseline } from '../../src/sweep/baseline.js';
import { formatSweepSummary } from '../../src/cli/commands/sweep.js';

const ips = (a: Uint32Array) => [...a].map(formatIpv4);

const cli = (args: string[]) => runMain(args);

describe('--bandwidth: bits per second with K/M/G suffixes, as arp-scan', () => {
  test('suffixes are decimal multiples, either case, fractions allowed when the result is whole', () => {
    const cases: Array<[string, number]> = [['256000', 256_000], ['256k', 256_000], ['256K', 256_000], ['1M', 1_000_000], ['1.5M', 1_500_000], ['1.1M', 1_100_000], ['2g', 2_000_000_000], ['.5k', 500], ['0.001k', 1]];
    for (const [text, bps] of cases) assert.equal(parseBandwidth(text), bps, text);
  });
  test('anything else is not a bandwidth', () => {
    for (const bad of ['', 'abc', '1MB', '1e6', '1.5', '1.0005k', '-1M', '1 M b', 'M']) assert.equal(parseBandwidth(bad), undefined, bad);
  });
  test('the CLI converts it before the library sees it (1M: the rate is 1M / 512 bits a request)', async () => {
    assert.equal(parseNumberOption('bandwidth', '1M'), 1_000_000);
    assert.throws(() => parseNumberOption('bandwidth', '1.5x'), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_NUMBER' && /^--bandwidth: "1\.5x" is not a bandwidth: give bits per second/.test(e.message));
    // sweep on an interface that does not exist: past option parsing (exit 3, the interface), not "NaN must be a whole number" (exit 2).
    const r = await cli(['sweep', '-i', 'nosuch0', '10.0.0.0/30', '--bandwidth', '1M']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /interface nosuch0 does not exist/);
    const bad = await cli(['sweep', '-i', 'nosuch0', '10.0.0.0/30', '--bandwidth', '1.5x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--bandwidth: "1\.5x" is not a bandwidth/);
    const low = await cli(['sweep', '-i', 'nosuch0', '10.0.0.0/30', '--bandwidth', '0.1k']);
    assert.equal(low.code, 2);
    assert.match(low.stderr, /--bandwidth: "100" must be a whole number from 512 to 100000000000/);
  });
});

describe('number options name the text as typed, never "NaN"', () => {
  test('--count abc, -c abc, --storm-ips zz, --backoff x', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['probe', '-i', 'nosuch0', '-t', '10.0.0.1', '--count', 'abc'], /^arpinject: --count: "abc" is not a whole number$/m],
      [['probe', '-i', 'nosuch0', '-t', '10.0.0.1', '-c', 'abc'], /^arpinject: --count: "abc" is not a whole number$/m],
      [['probe', '-i', 'nosuch0', '-t', '10.0.0.1', '--vlan', '9x'], /^arpinject: --vlan: "9x" is not a whole number$/m],
      [['watch', '-i', 'nosuch0', '--storm-ips', 'zz'], /^arpinject: --storm-ips: "zz" is not a whole number$/m],
      [['sweep', '-i', 'nosuch0', '10.0.0.0/30', '--backoff', 'x'], /^arpinject: --backoff: "x" is not a number$/m],
      [['respond', '-i', 'nosuch0', '--claim', '10.0.0.9', '--delay', 'soon'], /^arpinject: --delay: "soon" is not a whole number$/m],
    ];
    for (const [args, re] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /NaN/);
    }
  });
  test('a whole-number option given a fraction still says its range; the library names what it got', async () => {
    const r = await cli(['probe', '-i', 'nosuch0', '-t', '10.0.0.1', '--count', '1.5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--count: "1\.5" must be a whole number from 0 to 1000000/);
    assert.throws(() => checkInt('abc', 'count', 1, 9), /^UsageError: count: "abc" is not a whole number$/);
    assert.throws(() => checkInt('', 'count', 1, 9), /count: "" is not a whole number/);
    assert.equal(checkInt('7', 'count', 1, 9), 7);
  });
});

describe('net:mask targets (arp-scan style)', () => {
  test('a contiguous mask is its CIDR block, edges left out as for CIDR below /31', () => {
    const span = (t: string, o = {}) => {
      const b = parseTarget(t, o);
      return [formatIpv4(b.first), formatIpv4(b.last)];
    };
    assert.deepEqual(span('192.0.2.0:255.255.255.0'), span('192.0.2.0/24'));
    assert.deepEqual(span('192.0.2.0:255.255.255.0'), ['192.0.2.1', '192.0.2.254']);
    assert.deepEqual(span('192.0.2.77:255.255.255.0', { includeEdges: true }), ['192.0.2.0', '192.0.2.255']);
    assert.deepEqual(span('10.0.0.0:255.255.240.0'), ['10.0.0.1', '10.0.15.254']);
    assert.deepEqual(span('10.0.0.6:255.255.255.254'), ['10.0.0.6', '10.0.0.7'], '/31: both');
    assert.deepEqual(span('10.0.0.7:255.255.255.255'), ['10.0.0.7', '10.0.0.7']);
    assert.deepEqual(ips(expandTargets(['198.51.100.8:255.255.255.248'])), ['198.51.100.9', '198.51.100.10', '198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.14']);
    assert.deepEqual(targetsFromText('203.0.113.0:255.255.255.252 # lab\n'), ['203.0.113.0:255.255.255.252']);
  });
  test('prefixOfMask: contiguous masks only', () => {
    assert.equal(prefixOfMask(0), 0);
    assert.equal(prefixOfMask(0xffffffff), 32);
    assert.equal(prefixOfMask(0xffffff00), 24);
    assert.equal(prefixOfMask(0xff00ff00), -1);
    assert.equal(prefixOfMask(0x00ffffff), -1);
  });
  test('a non-contiguous or malformed mask is refused with a clear message', () => {
    const refuses = (t: string, re: RegExp) => assert.throws(() => parseTarget(t), (e: unknown) => e instanceof UsageError && re.test(e.message) && /10\.0\.0\.0:255\.255\.255\.0/.test(e.hint ?? ''), t);
    refuses('192.0.2.0:255.0.255.0', /^target "192\.0\.2\.0:255\.0\.255\.0": netmask 255\.0\.255\.0 is not contiguous/);
    refuses('192.0.2.0:0.0.0.255', /netmask 0\.0\.0\.255 is not contiguous/);
    refuses('192.0.2.0:255.255.255', /not a netmask after ":"/);
    refuses('192.0.2.0:24', /not a netmask after ":"/);
    refuses('192.0.2:255.255.255.0', /not an IPv4 address before ":"/);
  });
});

describe('respond --vlan: the responder answers tagged requests on its VLANs only', () => {
  const who = (vlans: Array<{ vid: number }>) => encodeArpFrame({ op: ArpOp.Request, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetMac: ZERO_MAC, targetIp: '10.0.0.9', ethSrc: '02:00:00:00:00:01', ethDst: BROADCAST_MAC, vlans });
  test('vlans [90, 91]: 90 and 91 answered (tag mirrored), 92 and untagged ignored; without vlans every request is answered', () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const answers: Array<number | null> = [];
    const r = startResponder({ link, clock, claims: [{ ip: '10.0.0.9', mac: '02:00:00:00:00:09' }], vlans: [90, 91], onAnswer: (a) => answers.push(a.vlan) });
    for (const v of [[{ vid: 90 }], [], [{ vid: 92 }], [{ vid: 91 }]]) link.inject(who(v));
    assert.deepEqual(answers, [90, 91]);
    assert.equal(r.answered, 2);
    const sent = link.sentFrames.map((f) => decodeArpFrame(f.bytes)).map((d) => (d.ok ? [d.value.arp.op, frameVlan(d.value.eth)] : null));
    assert.deepEqual(sent, [[ArpOp.Reply, 90], [ArpOp.Reply, 91]]);
    r.stop();
    const all: Array<number | null> = [];
    startResponder({ link, clock, claims: [{ ip: '10.0.0.9', mac: '02:00:00:00:00:09' }], onAnswer: (a) => all.push(a.vlan) });
    for (const v of [[{ vid: 90 }], [], [{ vid: 92 }]]) link.inject(who(v));
    assert.deepEqual(all, [90, null, 92]);
  });
});

describe('sweep --limit, --sip dest, --op, --tha (memory link)', () => {
  const ME = '02:00:00:00:00:aa';
  const reply = (ip: string, mac: string) => encodeArpFrame({ op: 2, senderMac: mac, senderIp: ip, targetMac: ME, targetIp: '10.0.0.1', ethDst: ME });
  const arpOf = (b: Uint8Array) => {
    const d = decodeArpFrame(b);
    assert.ok(d.ok);
    return d.value.arp;
  };
  /** Hosts at .10-.19 answer after 5 ms. */
  const hosts = (link: MemoryLink) =>
    link.addResponder((f, l) => {
      const a = arpOf(f);
      const last = Number(a.targetIp.split('.')[3]);
      if (a.op === ArpOp.Request && last >= 10 && last < 20) l.injectLater(reply(a.targetIp, `02:00:00:00:01:${last.toString(16).padStart(2, '0')}`), 5);
    });

  test('--limit 3: stops at the third target answered, says so, and asks no further', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    hosts(link);
    const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.0/24'], sip: '10.0.0.1', sha: ME, ratePps: 100, canaries: false, limit: 3 });
    clock.advance(60_000);
    const r = await p;
    assert.equal(r.summary.limitReached, true);
    assert.equal(r.summary.answered, 3);
    assert.equal(r.replies.length, 3);
    assert.deepEqual(r.replies.map((x) => x.ip), ['10.0.0.10', '10.0.0.11', '10.0.0.12']);
    // .1-.12 asked at 100 pps (10 ms apart): the third answer (to .12, 5 ms later) stops it before .13.
    assert.equal(r.summary.sent, 12);
    assert.equal(r.summary.notAsked, 254 - 12);
    assert.equal(r.summary.unanswered, 9, 'asked and unanswered: .1-.9, not the 242 never asked');
    assert.ok(r.summary.durationMs < 200, `${r.summary.durationMs} ms`);
    assert.match(formatSweepSummary(r.summary), /, LIMIT REACHED: stopped early after 3 answered, 242 not asked ---$/);
  });

  test('--limit with a baseline: no missing-host for a target never asked, or still within its timeout', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    hosts(link);
    // .15-.19 are never asked; .5 was asked but its timeout (1000 ms) had not passed when the limit stopped the sweep.
    const baseline = parseBaseline(['10.0.0.10 02:00:00:00:01:0a', '10.0.0.11 02:00:00:00:01:0b', '10.0.0.12 02:00:00:00:01:0c', '10.0.0.5 02:00:00:00:00:05', '10.0.0.17 02:00:00:00:01:11'].join('\n'));
    const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.0/24'], sip: '10.0.0.1', sha: ME, ratePps: 100, canaries: false, limit: 3, baseline });
    clock.advance(60_000);
    const r = await p;
    assert.equal(r.summary.limitReached, true);
    assert.deepEqual(r.findings.filter((f) => f.kind === 'missing-host'), []);
    // Without the limit the same baseline's silent hosts are missing (the rule still works).
    const clock2 = new FakeClock();
    const link2 = new MemoryLink(clock2);
    hosts(link2);
    const p2 = sweep({ iface: 'mem0', link: link2, clock: clock2, targets: ['10.0.0.0/24'], sip: '10.0.0.1', sha: ME, ratePps: 0, retries: 0, canaries: false, baseline });
    clock2.advance(60_000);
    const r2 = await p2;
    assert.equal(r2.summary.limitReached, false);
    assert.equal(r2.summary.notAsked, 0);
    assert.deepEqual(r2.findings.filter((f) => f.kind === 'missing-host').map((f) => f.ips[0]), ['10.0.0.5']);
  });

  test('engine: settled = answered, or every attempt sent and timed out', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    hosts(link);
    const frameFor = (ip: number) => encodeArpFrame({ senderMac: ME, senderIp: '10.0.0.1', targetIp: formatIpv4(ip) });
    const p = runSweepEngine({ link, clock, targets: expandTargets(['10.0.0.1-30']), buildFrame: frameFor, ratePps: 100, retries: 1, timeoutMs: 50, backoff: 1, waitMs: 0, deadlineMs: 185 });
    clock.advance(5000);
    const r = await p;
    assert.equal(r.deadlineReached, true);
    const at = (ip: string) => r.settled(parseIpv4(ip)!);
    assert.equal(at('10.0.0.2'), true, 'asked at 10 ms and again at 60 ms: both timed out by 185 ms');
    assert.equal(at('10.0.0.10'), true, 'answered');
    assert.equal(at('10.0.0.9'), false, 'its second attempt was still waiting at the deadline');
    assert.equal(at('10.0.0.30'), false, 'never asked');
    assert.equal(at('192.0.2.1'), false, 'not a target');
    assert.ok(r.notAsked > 0);
  });

  test('--sip dest: every request claims its own target IP; --op and --tha set the ARP body', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const p = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1-3'], sip: 'dest', sha: ME, tha: 'ff:ff:ff:ff:ff:ff', op: 'reply', canaries: false, retries: 0, waitMs: 10 });
    clock.advance(10_000);
    const r = await p;
    const sent = link.sentFrames.map((f) => arpOf(f.bytes));
    assert.deepEqual(sent.map((a) => [a.op, a.senderIp, a.targetIp, a.targetMac]), [
      [2, '10.0.0.1', '10.0.0.1', 'ff:ff:ff:ff:ff:ff'],
      [2, '10.0.0.2', '10.0.0.2', 'ff:ff:ff:ff:ff:ff'],
      [2, '10.0.0.3', '10.0.0.3', 'ff:ff:ff:ff:ff:ff'],
    ]);
    assert.equal(r.summary.sip, 'dest');
    assert.match(r.summary.sipRule, /^dest: each request's sender IP is its own target IP/);
    const p2 = sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1'], sip: '10.0.0.200', sha: ME, op: 7, canaries: false, retries: 0, waitMs: 10 });
    clock.advance(10_000);
    await p2;
    assert.deepEqual([arpOf(link.sentFrames.at(-1)!.bytes).op, arpOf(link.sentFrames.at(-1)!.bytes).senderIp], [7, '10.0.0.200']);
    await assert.rejects(sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1'], sip: 'dst', sha: ME }), /sip: "dst" is not an IPv4 address/);
    await assert.rejects(sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1'], sip: '10.0.0.1', sha: ME, tha: 'nope' }), /tha: "nope" is not a MAC address/);
    await assert.rejects(sweep({ iface: 'mem0', link, clock, targets: ['10.0.0.1'], sip: '10.0.0.1', sha: ME, op: 'maybe' }), /op: "maybe"/);
  });
});

describe('host names as targets: resolved once, at the start, by an injected lookup (no DNS here)', () => {
  const hosts: Record<string, string[]> = { 'gw.lab.example': ['192.0.2.1'], 'multi.lab.example': ['198.51.100.7', '198.51.100.8'], 'v6only.lab.example': [] };
  const calls: string[] = [];
  const lookup: Lookup = async (name) => {
    calls.push(name);
    const r = hosts[name.toLowerCase()];
    if (r === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return r;
  };
  const literal = (t: string) => parseIpv4(t) !== undefined;

  test('isHostName: names, not malformed addresses', () => {
    for (const n of ['gw', 'gw.lab.example', 'GW.Lab.Example.', 'host-1.example', '_svc.example', 'x1']) assert.equal(isHostName(n), true, n);
    for (const n of ['', '10.0.0.256', '10.0.0', '10.0.0.1/24', '-gw', 'gw-', 'a..b', 'a b', 'gw:80', '1234', 'x'.repeat(64)]) assert.equal(isHostName(n), false, n);
  });

  test('names become their first IPv4 address, each looked up once; addresses and non-names are left alone', async () => {
    calls.length = 0;
    const r = await resolveHostNames(['10.0.0.1', 'gw.lab.example', 'multi.lab.example', 'GW.lab.example', '10.0.0.256'], { literal, lookup, what: '--tip' });
    assert.deepEqual(r.targets, ['10.0.0.1', '192.0.2.1', '198.51.100.7', '192.0.2.1', '10.0.0.256']);
    assert.deepEqual(calls, ['gw.lab.example', 'multi.lab.example']);
    assert.deepEqual(r.resolved.map(describeResolution), ['resolved gw.lab.example to 192.0.2.1', 'resolved multi.lab.example to 198.51.100.7 (the first of its 2 IPv4 addresses)']);
  });

  test('an unresolvable name (or one without an IPv4 address) is a usage error naming it', async () => {
    await assert.rejects(resolveHostNames(['nosuch.lab.example'], { literal, lookup, what: '--tip' }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_ARGUMENT' && e.message === '--tip: "nosuch.lab.example" is not an IPv4 address, and it does not resolve as a host name (ENOTFOUND)');
    await assert.rejects(resolveHostNames(['v6only.lab.example'], { literal, lookup, what: 'target' }), /target: "v6only\.lab\.example" is not an IPv4 address, and it does not resolve as a host name \(no IPv4 address\)/);
  });

  test('beforeLookup runs once, before the first lookup, and can stop it (the CLI checks the interface there)', async () => {
    calls.length = 0;
    let before = 0;
    await resolveHostNames(['10.0.0.1', 'gw.lab.example', 'multi.lab.example'], { literal, lookup, what: '--tip', beforeLookup: () => void before++ });
    assert.equal(before, 1);
    await resolveHostNames(['10.0.0.1'], { literal, lookup, what: '--tip', beforeLookup: () => void before++ });
    assert.equal(before, 1, 'no name, no call');
    calls.length = 0;
    await assert.rejects(resolveHostNames(['gw.lab.example'], { literal, lookup, what: '--tip', beforeLookup: () => { throw new Error('no interface'); } }), /no interface/);
    assert.deepEqual(calls, [], 'nothing looked up');
  });

  test('with the system resolver, a missing interface stops the run before any name is looked up (exit 3, no DNS query)', async () => {
    for (const args of [['probe', '-i', 'nosuch0', '-t', 'bad'], ['sweep', '-i', 'nosuch0', 'gw.example.invalid']]) {
      const r = await cli(args);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /interface nosuch0 does not exist/);
      assert.doesNotMatch(r.stderr, /resolve/);
    }
  });

  test('the CLI resolves --tip and sweep targets (files too) before anything is opened, and says so on stderr', async () => {
    const run = (args: string[]) => runMain(args, { lookup });
    const p = await run(['probe', '-i', 'nosuch0', '--tip', 'gw.lab.example', '--tip', '10.0.0.9']);
    assert.equal(p.code, 3, p.stderr);
    assert.match(p.stderr, /^resolved gw\.lab\.example to 192\.0\.2\.1$/m);
    assert.match(p.stderr, /interface nosuch0 does not exist/);
    const bad = await run(['probe', '-i', 'nosuch0', '--tip', 'nosuch.lab.example']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^arpinject: --tip: "nosuch\.lab\.example" is not an IPv4 address, and it does not resolve as a host name \(ENOTFOUND\)$/m);
    const dir = mkdtempSync(join(tmpdir(), 'arpinject-names-'));
    try {
      writeFileSync(join(dir, 'targets.txt'), '# lab\n10.0.0.0/30, multi.lab.example\n');
      const s = await run(['sweep', '-i', 'nosuch0', 'gw.lab.example', '--file', join(dir, 'targets.txt')]);
      assert.equal(s.code, 3, s.stderr);
      assert.match(s.stderr, /^resolved gw\.lab\.example to 192\.0\.2\.1$/m);
      assert.match(s.stderr, /^resolved multi\.lab\.example to 198\.51\.100\.7 \(the first of its 2 IPv4 addresses\)$/m);
      writeFileSync(join(dir, 'bad.txt'), '10.0.0.1\n\n10.0.0.0/33\n');
      const b = await run(['sweep', '-i', 'nosuch0', '--file', join(dir, 'bad.txt')]);
      assert.equal(b.code, 2);
      assert.match(b.stderr, /bad\.txt, line 3: target "10\.0\.0\.0\/33": prefix length must be 0-32/);
      const n = await run(['sweep', '-i', 'nosuch0', '10.0.0.1', 'nosuch.lab.example']);
      assert.equal(n.code, 2);
      assert.match(n.stderr, /target: "nosuch\.lab\.example" is not an IPv4 address, and it does not resolve as a host name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('probe --file: targets one or more per line, # comments, blank lines ignored', () => {
  const chunks = async function* (...parts: string[]) {
    for (const p of parts) yield Buffer.from(p);
  };
  test('IPs and host names as written, split across chunks', async () => {
    assert.deepEqual(await tipsFromChunks(chunks('# office\n10.0.0.1\n\n  10.0.0.2 , gw.lab.example # the gateway\n10.0', '.0.3'), { name: 'f.txt' }), ['10.0.0.1', '10.0.0.2', 'gw.lab.example', '10.0.0.3']);
    assert.deepEqual(await tipsFromChunks(chunks('# nothing\n\n'), { name: 'f.txt' }), []);
  });
  test('a bad line is a usage error naming the file and the line number', async () => {
    await assert.rejects(tipsFromChunks(chunks('10.0.0.1\n# ok\n10.0.0.0/24\n'), { name: 'f.txt' }), (e: unknown) => e instanceof UsageError && e.message === 'f.txt, line 3: "10.0.0.0/24" is not an IPv4 address or host name' && /sweep/.test(e.hint ?? ''));
    await assert.rejects(tipsFromChunks(chunks('10.0.0.1\n10.0.0.256\n'), { name: 'stdin' }), /^UsageError: stdin, line 2: "10\.0\.0\.256" is not an IPv4 address or host name$/);
    await assert.rejects(tipsFromChunks(chunks('10.0.0.1 10.0.0.2 10.0.0.3\n'), { name: 'f.txt', maxTargets: 2 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INPUT_TOO_LARGE' && /line 1/.test(e.message));
    await assert.rejects(tipsFromChunks(chunks('1'.repeat(5000)), { name: 'f.txt' }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INPUT_TOO_LARGE');
  });
  test('the CLI: --file alone is enough, stdin is -, a bad line is exit 2 with its number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arpinject-tips-'));
    try {
      writeFileSync(join(dir, 'tips.txt'), '10.0.0.1\n10.0.0.2\nnot/a/target\n');
      const r = await cli(['probe', '-i', 'nosuch0', '--file', join(dir, 'tips.txt')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /tips\.txt, line 3: "not\/a\/target" is not an IPv4 address or host name/);
      writeFileSync(join(dir, 'ok.txt'), '# two\n10.0.0.1\n10.0.0.2\n');
      const ok = await cli(['probe', '-i', 'nosuch0', '-f', join(dir, 'ok.txt')]);
      assert.equal(ok.code, 3, 'past the file, to the interface: ' + ok.stderr);
      writeFileSync(join(dir, 'empty.txt'), '# none\n');
      const none = await cli(['probe', '-i', 'nosuch0', '-f', join(dir, 'empty.txt')]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no target: .*empty\.txt holds none/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
