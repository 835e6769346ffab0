import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compareWithKernel as compare, verifyTimeoutMs } from '../../src/explain/compare.js';
import { defaultExplainSender } from '../../src/explain/live.js';
import { type Conf, type ExplainState, arpIgnoreBlocks, diagnoseRouteError, explain, kernelRules, localTableType, matchingRules, mediumOk, ruleMatches } from '../../src/explain/model.js';
import { parseAddrs, parseFibMatch, parseProxyEntries, parseRouteGet, parseRules, routeError } from '../../src/explain/parse-ip.js';
import { formatExplanation } from '../../src/explain/render.js';

const conf = (o: Partial<Conf> = {}): Conf => ({
  forwarding: 0, proxy_arp: 0, proxy_arp_pvlan: 0, medium_id: 0, rp_filter: 0, accept_local: 0, route_localnet: 0, arp_ignore: 0, arp_filter: 0, drop_gratuitous_arp: 0, ...o,
});

/** GRNET host (seed 000), case B: table vlan0 lost its vlan0 routes; the main default route leaves via eth0. */
const grnetB = (o: Partial<ExplainState> = {}): ExplainState => ({
  kernel: '6.18.0',
  dev: 'vlan0',
  devMac: '32:6b:33:03:b2:c2',
  devUp: true,
  devNoarp: false,
  all: conf(),
  conf: conf({ forwarding: 1, proxy_arp: 1 }),
  proxyDelay: 80,
  proxyQlen: 64,
  addrs: [{ dev: 'eth0', local: '83.212.173.108', address: '83.212.173.108', prefixLen: 24, scope: 'global' }],
  localRoutes: ['83.212.173.108', '127.0.0.0/8'],
  route: { ok: true, type: 'unicast', dev: 'eth0', gateway: '83.212.173.1', table: 'main', dst: '8.8.8.8' },
  routeMatch: { dst: 'default', table: 'main', gateway: '83.212.173.1', dev: 'eth0' },
  rules: [
    { priority: 0, table: 'local' },
    { priority: 32764, iif: 'tap0', table: 'vlan0' },
    { priority: 32765, iif: 'vlan0', table: 'vlan0' },
    { priority: 32766, table: 'main' },
    { priority: 32767, table: 'default' },
  ],
  outMediumId: 0,
  pneigh: [],
  arpFiltering: false,
  ...o,
});
const req = { tip: '8.8.8.8', sip: '10.0.0.1' };

describe('explain replays states recorded in namespaces, with what the kernel did', () => {
  for (const file of ['kernel-cases.json', 'seed-cases.json']) {
    const { recordedOn, cases } = JSON.parse(readFileSync(new URL(`../fixtures/explain/${file}`, import.meta.url), 'utf8')) as {
      recordedOn: string;
      cases: Array<{ name: string; request: { tip: string; sip: string; ethDst?: string }; kernel: 'reply' | 'no-reply'; predicted: { certain: boolean; reason: string }; state: ExplainState }>;
    };
    test(`${file}: ${cases.length} cases (kernel ${recordedOn})`, () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const e = explain(c.state, c.request);
        if (e.certain !== c.predicted.certain) wrong.push(`${c.name}: certain=${e.certain}, recorded ${c.predicted.certain}`);
        else if (e.certain && e.verdict !== c.kernel) wrong.push(`${c.name}: ${e.verdict} (${e.reason}), the kernel did: ${c.kernel}`);
        if (e.verdict === 'no-reply' && /cannot tell/.test(e.reason)) wrong.push(`${c.name}: unexplained: ${e.reason}`);
      }
      assert.deepEqual(wrong, []);
      assert.ok(cases.some((c) => c.kernel === 'reply') && cases.some((c) => c.kernel === 'no-reply'));
    });
  }
});

describe('explain model (hand-built states from the seeds)', () => {
  test('GRNET case B: proxy reply for 8.8.8.8 after up to 800 ms, with the evidence chain', () => {
    const e = explain(grnetB(), req);
    assert.equal(e.verdict, 'reply');
    assert.equal(e.certain, true);
    assert.equal(e.queued, true);
    assert.deepEqual(e.delayMs, { min: 0, max: 800 });
    assert.equal(e.reason, '8.8.8.8 is routed out of eth0 via 83.212.173.1, not vlan0 (default, table main, rule 32766); proxy_arp=1 (vlan0), all=0; forwarding=1 (vlan0) → proxy reply after up to 800 ms');
    assert.deepEqual(e.steps.map((s) => [s.step, s.result]), [['arp_rcv', 'pass'], ['route', 'pass'], ['forwarding', 'pass'], ['proxy_arp', 'pass'], ['delay', 'reply']]);
    assert.equal(e.steps[1]!.detail, 'route to 8.8.8.8 from 10.0.0.1 iif vlan0: default via 83.212.173.1 dev eth0 (table main, rule 32766) ≠ vlan0');
    assert.match(e.steps[4]!.detail, /proxy_qlen=64 requests wait per device \(vlan0\)/);
    assert.match(e.warnings.join(), /matched only the default route/);
    assert.match(e.unseen.join(), /proxy queue's fill level/);
  });

  test('GRNET case A: the route leaves via vlan0 itself → no reply, pvlan named; all/proxy_arp_pvlan counts since 5.11', () => {
    const a = grnetB({ route: { ok: true, type: 'unicast', dev: 'vlan0', gateway: '10.0.0.1', table: 'vlan0', dst: '8.8.8.8' }, routeMatch: { dst: 'default', table: 'vlan0', gateway: '10.0.0.1', dev: 'vlan0' } });
    const e = explain(a, req);
    assert.equal(e.verdict, 'no-reply');
    assert.match(e.reason, /default via 10\.0\.0\.1 dev vlan0 \(table vlan0, rule 32765\) = vlan0: the route leaves via the interface the request came in on, and proxy_arp_pvlan is off/);
    assert.match(e.fix ?? '', /proxy_arp_pvlan=1 on vlan0/);
    assert.equal(explain({ ...a, all: conf({ proxy_arp_pvlan: 1 }) }, req).verdict, 'reply');
    assert.equal(explain({ ...a, all: conf({ proxy_arp_pvlan: 1 }), kernel: '4.17.8' }, req).verdict, 'no-reply', '4.17: the all value was a no-op');
    assert.equal(explain({ ...a, conf: conf({ forwarding: 1, proxy_arp_pvlan: 1 }) }, { tip: '10.0.0.6', sip: '10.0.0.6' }).verdict, 'no-reply', 'pvlan skips self probes');
  });

  test('the Ethernet destination: unicast to us skips the delay, to another MAC is dropped, multicast is accepted', () => {
    const u = explain(grnetB(), { ...req, ethDst: '32:6B:33:03:B2:C2' });
    assert.deepEqual([u.delayMs, u.queued], [{ min: 0, max: 0 }, false]);
    assert.match(u.steps.at(-1)!.detail, /PACKET_HOST/);
    const other = explain(grnetB(), { ...req, ethDst: '02:00:00:00:00:01' });
    assert.equal(other.verdict, 'no-reply');
    assert.match(other.reason, /PACKET_OTHERHOST/);
    assert.equal(explain(grnetB(), { ...req, ethDst: '01:00:5e:00:00:01' }).verdict, 'reply');
    assert.equal(explain(grnetB({ proxyDelay: 0 }), req).delayMs.max, 0);
  });

  test('proxy_arp off: no reply unless a static proxy entry (with or without dev) exists', () => {
    const off = grnetB({ conf: conf({ forwarding: 1 }) });
    const e = explain(off, req);
    assert.equal(e.verdict, 'no-reply');
    assert.equal(e.steps.at(-1)!.step, 'proxy_arp');
    assert.match(e.fix ?? '', /proxy_arp=1.*ip neigh add proxy 8\.8\.8\.8 dev vlan0/);
    assert.equal(explain({ ...off, pneigh: [{ ip: '8.8.8.8' }] }, req).verdict, 'reply');
    assert.equal(explain({ ...off, pneigh: [{ ip: '8.8.8.8', dev: 'vlan0' }] }, req).verdict, 'reply');
    assert.equal(explain({ ...off, pneigh: [{ ip: '8.8.8.8', dev: 'eth9' }] }, req).verdict, 'no-reply');
    assert.equal(explain(grnetB({ all: conf({ proxy_arp: 1 }), conf: conf({ forwarding: 1 }) }), req).verdict, 'reply', 'proxy_arp is ORed with all');
    assert.equal(explain(grnetB({ all: conf({ forwarding: 1, proxy_arp: 1 }), conf: conf() }), req).verdict, 'no-reply', 'forwarding: the device value only');
  });

  test('medium_id: 0 proxies, -1 never, equal values never, different values do', () => {
    const m = (imi: number, omi: number) => explain(grnetB({ conf: conf({ forwarding: 1, proxy_arp: 1, medium_id: imi }), outMediumId: omi }), req).verdict;
    assert.deepEqual([m(0, 5), m(-1, 0), m(1, 1), m(1, 2), m(1, -1), m(2, 0)], ['reply', 'no-reply', 'no-reply', 'reply', 'no-reply', 'reply']);
    assert.deepEqual([mediumOk(0, -1), mediumOk(-1, -1), mediumOk(3, 3)], [true, false, false]);
  });

  test('multipath: uncertain when the nexthops disagree, certain when they agree', () => {
    const mp = (devs: string[], o: Partial<ExplainState> = {}) =>
      explain(grnetB({ routeMatch: { dst: '198.51.100.0/24', table: 'main', nexthops: devs.map((dev) => ({ dev })) }, route: { ok: true, type: 'unicast', dev: devs[0]!, dst: '198.51.100.7' }, ...o }), { tip: '198.51.100.7', sip: '10.0.0.1' });
    const split = mp(['eth0', 'vlan0']);
    assert.equal(split.certain, false);
    assert.match(split.warnings.join(), /via eth0 → reply, via vlan0 → no reply/);
    const same = mp(['eth0', 'eth1']);
    assert.equal(same.certain, true);
    assert.equal(same.verdict, 'reply');
    assert.equal(mp(['eth0', 'vlan0'], { conf: conf({ forwarding: 1 }) }).certain, true, 'no proxying either way');
  });

  test('calico (seed 004): a failed input route is explained by rp_filter, the max of all and the device', () => {
    const cali = grnetB({
      dev: 'cali0',
      conf: conf({ forwarding: 1, proxy_arp: 1, rp_filter: 0 }),
      all: conf({ rp_filter: 2 }),
      route: { ok: false, error: 'Invalid argument' },
      sipRoute: { ok: false, error: 'Network is unreachable' },
    });
    const r = { tip: '169.254.1.1', sip: '10.65.0.5' };
    const e = explain(cali, r);
    assert.equal(e.verdict, 'no-reply');
    assert.match(e.reason, /rp_filter=2 \(max of cali0=0, all=2\): no route back to the sender 10\.65\.0\.5/);
    const viaEth0 = { ok: true as const, type: 'unicast', dev: 'eth0', dst: '10.65.0.5' };
    assert.match(explain({ ...cali, all: conf({ rp_filter: 1 }), sipRoute: viaEth0 }, r).reason, /rp_filter=1 \(max of cali0=0, all=1\), strict: the route back to 10\.65\.0\.5 leaves via eth0, not cali0/);
    assert.match(explain({ ...cali, sipRoute: viaEth0 }, r).reason, /cali0 has no IPv4 address, so even loose mode rejects it/);
    const fwd = explain({ ...cali, conf: conf({ forwarding: 0, proxy_arp: 1 }), route: { ok: false, error: 'No route to host' } }, r);
    assert.match(fwd.reason, /forwarding=0 on cali0/);
    assert.match(explain({ ...cali, sipRoute: viaEth0 }, r).fix ?? '', /ip route add 10\.65\.0\.5 dev cali0/);
  });

  test('route failures: every errno of the 6.18 RTM_GETROUTE is explained', () => {
    const s = grnetB({
      specialRoutes: [
        { dst: '10.98.0.0/24', type: 'blackhole', table: 'main' },
        { dst: '10.97.0.0/24', type: 'unreachable', table: 'main' },
        { dst: '10.96.0.0/24', type: 'prohibit', table: 'main' },
      ],
      rules: [{ priority: 0, table: 'local' }, { priority: 1001, iif: 'vlan0', dst: '10.92.0.0/24', action: 'prohibit' }, { priority: 32766, table: 'main' }],
      sipRoute: { ok: true, type: 'unicast', dev: 'vlan0', dst: '10.0.0.1' },
      addrs: [{ dev: 'vlan0', local: '10.0.0.254', address: '10.0.0.254', prefixLen: 24, scope: 'global' }, { dev: 'eth0', local: '203.0.113.2', address: '203.0.113.2', prefixLen: 24, scope: 'global' }],
      localRoutes: ['10.0.0.254', '203.0.113.2'],
    });
    const d = (tip: string, err: string, sip = '10.0.0.1', o: Partial<ExplainState> = {}) => diagnoseRouteError({ ...s, ...o }, { tip, sip }, err).detail;
    assert.match(d('10.98.0.1', 'Invalid argument'), /"blackhole" route 10\.98\.0\.0\/24 \(table main\)/);
    assert.match(d('10.97.0.1', 'No route to host'), /"unreachable" route 10\.97\.0\.0\/24/);
    assert.match(d('10.96.0.1', 'Permission denied'), /"prohibit" route/);
    assert.match(d('10.92.0.1', 'Permission denied'), /rule 1001: iif vlan0 to 10\.92\.0\.0\/24 prohibit matches/);
    assert.match(d('10.99.0.1', 'Network is unreachable'), /no route to 10\.99\.0\.1 in the tables the rules select \(rules for iif vlan0 from 10\.0\.0\.1: 0: lookup local, 32766: lookup main\)/);
    assert.match(d('10.99.0.1', 'No route to host', '10.0.0.1', { conf: conf() }), /forwarding=0 on vlan0/);
    assert.match(d('198.51.100.7', 'Invalid argument', '203.0.113.2'), /one of this host's own addresses and accept_local=0/);
    assert.match(d('198.51.100.7', 'Invalid argument', '127.0.0.5'), /127\.0\.0\.0\/8 .*martian source/);
    assert.match(d('198.51.100.7', 'Invalid argument', '224.0.0.1'), /multicast\/broadcast/);
    assert.match(d('0.0.0.0', 'Invalid argument'), /martian destination/);
    assert.match(d('198.51.100.7', 'Invalid cross-device link', '10.0.0.1', { all: conf({ rp_filter: 2 }) }), /reverse path check failed/, '≤6.12 errno');
    assert.match(d('198.51.100.7', 'Invalid argument'), /cannot tell/, 'honest when nothing fits');
  });

  test('local addresses and arp_ignore 0/1/2/3/8 (host scope, other device, prefixes, peer, route_localnet)', () => {
    const local = grnetB({
      dev: 'd0',
      addrs: [
        { dev: 'd0', local: '10.1.0.1', address: '10.1.0.1', prefixLen: 24, scope: 'global' },
        { dev: 'd0', local: '10.4.0.1', address: '10.4.0.2', prefixLen: 32, scope: 'global' },
        { dev: 'o0', local: '203.0.113.2', address: '203.0.113.2', prefixLen: 24, scope: 'global' },
        { dev: 'lo', local: '169.254.1.1', address: '169.254.1.1', prefixLen: 32, scope: 'host' },
      ],
      localRoutes: ['10.1.0.1', '10.4.0.1', '203.0.113.2', '169.254.1.1'],
      route: { ok: true, type: 'local', dev: 'lo', dst: '' },
      routeMatch: { dst: '10.1.0.1', table: 'local', dev: 'd0' },
    });
    const v = (tip: string, ig: number, sip = '10.1.0.9', o: Partial<ExplainState> = {}) => explain({ ...local, all: conf({ arp_ignore: ig }), ...o }, { tip, sip }).verdict;
    assert.deepEqual([0, 1, 2, 3, 8].map((ig) => v('10.1.0.1', ig)), ['reply', 'reply', 'reply', 'reply', 'no-reply']);
    assert.deepEqual([0, 1, 2, 3, 8].map((ig) => v('203.0.113.2', ig)), ['reply', 'no-reply', 'no-reply', 'reply', 'no-reply']);
    assert.deepEqual([0, 1, 2, 3, 8].map((ig) => v('169.254.1.1', ig)), ['reply', 'no-reply', 'no-reply', 'no-reply', 'no-reply']);
    assert.deepEqual([0, 1, 2, 3].map((ig) => v('10.4.0.1', ig)), ['reply', 'no-reply', 'no-reply', 'no-reply'], 'a peer prefix does not cover its own local address (kernel-verified)');
    assert.equal(v('10.1.0.1', 2, '10.9.0.9'), 'no-reply', 'arp_ignore=2: sender outside the subnet');
    assert.equal(v('169.254.1.1', 3, '10.1.0.9', { routeLocalnetDevs: ['lo'] }), 'reply', 'route_localnet lowers host scope to link');
    assert.equal(arpIgnoreBlocks({ ...local, conf: conf({ arp_ignore: 2 }) }, '10.1.0.9', '10.1.0.1').blocks, false, 'the max of all and DEV');
    const e = explain({ ...local, all: conf({ arp_ignore: 1 }) }, { tip: '169.254.1.1', sip: '10.1.0.9' });
    assert.match(e.reason, /it is on lo, 169\.254\.1\.1\/32 scope host/);
    assert.match(e.fix ?? '', /configure 169\.254\.1\.1 on d0, or set arp_ignore=0 on both d0 and all/);
  });

  test('arp_filter and the neighbour table on the local path', () => {
    const local = grnetB({ route: { ok: true, type: 'local', dev: 'lo', dst: '' }, all: conf({ arp_filter: 1 }) });
    assert.equal(explain({ ...local, reverse: { ok: true, type: 'unicast', dev: 'vlan0', dst: '10.0.0.1' } }, req).verdict, 'reply');
    const other = explain({ ...local, reverse: { ok: true, type: 'unicast', dev: 'eth0', dst: '10.0.0.1' } }, req);
    assert.equal(other.verdict, 'no-reply');
    assert.match(other.reason, /arp_filter=0 \(vlan0\), all=1 \(OR\): the route back to 10\.0\.0\.1 from 8\.8\.8\.8 leaves via eth0, not vlan0/);
    const full = explain({ ...local, all: conf(), neigh: { entries: 1020, gcThresh3: 1024 } }, req);
    assert.equal(full.verdict, 'reply');
    assert.equal(full.certain, false);
    assert.match(full.warnings.join(), /1020 entries/);
    assert.equal(explain({ ...local, all: conf(), neigh: { entries: 3 } }, req).certain, true);
  });

  test('DAD, broadcast, multicast, loopback, gratuitous, NOARP, down, bridge ports', () => {
    const withLocal = grnetB({ localRoutes: ['10.0.0.1'], addrs: [{ dev: 'vlan0', local: '10.0.0.1', address: '10.0.0.1', prefixLen: 24, scope: 'global' }] });
    assert.equal(explain(withLocal, { tip: '10.0.0.1', sip: '0.0.0.0' }).verdict, 'reply');
    assert.match(explain(withLocal, { tip: '8.8.8.8', sip: '0.0.0.0' }).reason, /never proxied/);
    assert.match(explain(withLocal, { tip: '10.0.0.255', sip: '0.0.0.0' }).reason, /not in the local table/);
    assert.equal(localTableType(grnetB({ localTable: [{ dst: '10.0.0.0/24', type: 'local', table: 'local' }, { dst: '10.0.0.255', type: 'broadcast', table: 'local' }] }), '10.0.0.255'), 'broadcast', 'longest prefix');
    assert.match(explain(grnetB({ route: { ok: true, type: 'broadcast', dev: 'lo', dst: '' } }), req).reason, /broadcast/);
    assert.match(explain(grnetB(), { tip: '224.0.0.1', sip: '10.0.0.1' }).reason, /multicast/);
    assert.match(explain(grnetB(), { tip: '127.0.0.1', sip: '10.0.0.1' }).reason, /127\.0\.0\.0\/8 and route_localnet=0/);
    assert.match(explain(grnetB({ all: conf({ drop_gratuitous_arp: 1 }) }), { tip: '8.8.8.8', sip: '8.8.8.8' }).reason, /drop_gratuitous_arp/);
    assert.equal(explain(grnetB(), { tip: '8.8.8.8', sip: '8.8.8.8' }).verdict, 'reply', 'proxy_arp answers gratuitous requests for routed addresses');
    assert.match(explain(grnetB({ devNoarp: true }), req).reason, /NOARP/);
    assert.match(explain(grnetB({ devUp: false }), req).reason, /down/);
    assert.match(explain(grnetB({ arpFiltering: true }), req).warnings.join(), /not modelled/);
    assert.match(explain(grnetB({ ingressHooks: ['an XDP program'] }), req).warnings.join(), /an XDP program on vlan0: it runs before arp_rcv/);
    assert.match(explain(grnetB(), { ...req, op: 2 }).reason, /only requests/);
    const port = explain(grnetB({ dev: 'br0', port: { name: 'eth1', master: 'br0', kind: 'bridge', bridgeProxy: ['neigh_suppress'] } }), req);
    assert.deepEqual([port.inputs.iface, port.inputs.dev, port.steps[0]!.step], ['eth1', 'br0', 'port']);
    assert.match(port.warnings.join(), /neigh_suppress/);
  });

  test('kernel versions: what changed, and what the model says about it', () => {
    assert.deepEqual(kernelRules('6.18.44-fc'), { pvlanOrAll: true, queuePerDevice: true, verified: true, known: true });
    assert.deepEqual(kernelRules('5.15.0'), { pvlanOrAll: true, queuePerDevice: false, verified: false, known: true });
    assert.deepEqual(kernelRules('6.1.0'), { pvlanOrAll: true, queuePerDevice: true, verified: false, known: true });
    assert.deepEqual(kernelRules('4.17.8'), { pvlanOrAll: false, queuePerDevice: false, verified: false, known: true });
    assert.equal(kernelRules('3.10.0').known, false);
    assert.match(explain(grnetB({ kernel: '5.4.0' }), req).steps.at(-1)!.detail, /shared by every device and namespace/);
    assert.match(explain(grnetB({ kernel: '5.15.0' }), req).unseen.join(), /verified against 6\.18/);
    assert.match(explain(grnetB({ kernel: '3.10.0' }), req).warnings.join(), /treat the verdict as a guess/);
  });
});

describe('policy rules (fib_rule_match for an ARP input lookup)', () => {
  const f = { iif: 'vlan0', src: '10.0.0.1', dst: '10.0.0.6' };
  test('selectors', () => {
    assert.equal(ruleMatches({ priority: 1, table: 'x' }, f), true);
    assert.equal(ruleMatches({ priority: 1, iif: 'tap0', table: 'x' }, f), false);
    assert.equal(ruleMatches({ priority: 1, oif: 'vlan0', table: 'x' }, f), false, 'input lookups have no oif');
    assert.equal(ruleMatches({ priority: 1, src: '10.0.0.0/29', table: 'x' }, f), true);
    assert.equal(ruleMatches({ priority: 1, dst: '10.0.0.0/30', table: 'x' }, f), false);
    assert.equal(ruleMatches({ priority: 1, not: true, dst: '10.0.0.0/30', table: 'x' }, f), true);
    assert.equal(ruleMatches({ priority: 1, fwmark: 0x10, fwmask: 0xff, table: 'x' }, f), false, 'ARP carries mark 0');
    assert.equal(ruleMatches({ priority: 1, fwmark: 0x100, fwmask: 0xff, table: 'x' }, f), true);
    assert.equal(ruleMatches({ priority: 1, tos: 0x10, table: 'x' }, f), false);
    assert.equal(ruleMatches({ priority: 1, special: ['ipproto'], table: 'x' }, f), false, 'ARP has no IP protocol');
  });
  test('matchingRules walks them in priority order', () => {
    const s = grnetB({ rules: [{ priority: 32766, table: 'main' }, { priority: 0, table: 'local' }, { priority: 32764, iif: 'tap0', table: 'vlan0' }, { priority: 32765, iif: 'vlan0', table: 'vlan0' }] });
    assert.deepEqual(matchingRules(s, { tip: '10.0.0.6', sip: '10.0.0.1' }).map((r) => r.priority), [0, 32765, 32766]);
  });
});

describe('iproute2 JSON (recorded on 6.18 / iproute2 6.x)', () => {
  test('rules with every kind of selector', () => {
    const rows = JSON.parse(
      '[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"10.1.0.0","srclen":24,"iif":"d0","table":"100"},{"priority":101,"not":null,"src":"all","dst":"192.0.2.0","dstlen":24,"fwmark":"0x10","fwmask":"0xff","table":"101"},{"priority":102,"src":"all","uid_start":1000,"uid_end":2000,"table":"102"},{"priority":103,"src":"all","ipproto":"tcp","dport":80,"table":"103"},{"priority":104,"src":"all","tos":"0x10","action":"blackhole"},{"priority":105,"src":"all","iif":"d0","action":"prohibit"},{"priority":106,"src":"all","table":"main","suppress_prefixlen":0},{"priority":107,"src":"all","oif":"o0","action":"unreachable"},{"priority":108,"src":"10.9.9.9","goto":200,"unresolved":null},{"priority":109,"src":"1.2.3.4","nop":null},{"priority":32766,"src":"all","table":"main"}]',
    );
    const r = parseRules(rows);
    assert.deepEqual(r[1], { priority: 100, table: '100', iif: 'd0', src: '10.1.0.0/24' });
    assert.deepEqual(r[2], { priority: 101, table: '101', not: true, dst: '192.0.2.0/24', fwmark: 16, fwmask: 255 });
    assert.deepEqual(r[3]!.special, ['uidrange']);
    assert.deepEqual(r[4]!.special, ['ipproto', 'dport']);
    assert.deepEqual(r[5], { priority: 104, action: 'blackhole', tos: 16 });
    assert.deepEqual(r[6], { priority: 105, action: 'prohibit', iif: 'd0' });
    assert.deepEqual([r[9]!.action, r[10]!.action], ['goto', 'nop']);
  });
  test('route get, fibmatch (multipath), addresses, proxy entries, errors', () => {
    assert.deepEqual(parseRouteGet(JSON.parse('[{"type":"unicast","dst":"8.8.8.8","from":"10.0.0.1","gateway":"203.0.113.1","dev":"eth0","table":"main","flags":[],"cache":[],"iif":"vlan0"}]')), { ok: true, type: 'unicast', dev: 'eth0', dst: '8.8.8.8', gateway: '203.0.113.1', table: 'main' });
    assert.deepEqual(parseFibMatch(JSON.parse('[{"dst":"192.0.2.0/24","flags":[],"nexthops":[{"gateway":"203.0.113.1","dev":"o0","weight":1,"flags":[]},{"gateway":"10.1.0.9","dev":"d0","weight":1,"flags":[]}]}]')), {
      dst: '192.0.2.0/24',
      table: 'main',
      nexthops: [{ dev: 'o0', gateway: '203.0.113.1' }, { dev: 'd0', gateway: '10.1.0.9' }],
    });
    assert.deepEqual(parseAddrs(JSON.parse('[{"ifname":"d0","addr_info":[{"family":"inet","local":"10.4.0.1","address":"10.4.0.2","prefixlen":32,"scope":"global"},{"family":"inet","local":"10.1.0.1","prefixlen":24,"scope":"global"}]}]')), [
      { dev: 'd0', local: '10.4.0.1', address: '10.4.0.2', prefixLen: 32, scope: 'global' },
      { dev: 'd0', local: '10.1.0.1', address: '10.1.0.1', prefixLen: 24, scope: 'global' },
    ]);
    assert.deepEqual(parseProxyEntries(JSON.parse('[{"dst":"198.51.100.8","proxy":null},{"dst":"198.51.100.7","dev":"d0","proxy":null}]')), [{ ip: '198.51.100.8' }, { ip: '198.51.100.7', dev: 'd0' }]);
    assert.equal(routeError('RTNETLINK answers: Network is unreachable\n'), 'Network is unreachable');
  });
});

describe('prediction vs observation', () => {
  const e = explain(grnetB(), req);
  const opts = { from: 'bond0', netns: 'net', timeoutMs: 1220 };
  test('agreement is about the explained device: other MACs are reported, not counted', () => {
    const v = compare(e, '32:6b:33:03:b2:c2', { tip: '8.8.8.8', replies: [{ mac: '32:6b:33:03:b2:c2', rttMs: 412 }] }, opts);
    assert.deepEqual([v.observed, v.agrees, v.rttMs, v.note], ['reply', true, 412, undefined]);
    const other = compare(e, '32:6b:33:03:b2:c2', { tip: '8.8.8.8', replies: [{ mac: '02:00:00:00:00:07', rttMs: 1 }] }, opts);
    assert.deepEqual([other.observed, other.agrees, other.otherMacs], ['no-reply', false, ['02:00:00:00:00:07']]);
    const slow = compare(e, '32:6b:33:03:b2:c2', { tip: '8.8.8.8', replies: [{ mac: '32:6b:33:03:b2:c2', rttMs: 1400 }] }, opts);
    assert.match(slow.note ?? '', /more than the predicted 800 ms/);
    const unsure = compare({ ...e, certain: false }, '32:6b:33:03:b2:c2', { tip: '8.8.8.8', replies: [] }, opts);
    assert.equal(unsure.agrees, true);
  });
  test('the wait covers proxy_delay with slack for the timer wheel', () => {
    assert.deepEqual([verifyTimeoutMs(0), verifyTimeoutMs(80), verifyTimeoutMs(100)], [300, 1220, 1450]);
  });
  test('text rendering', () => {
    const lines = formatExplanation(e, compare(e, '32:6b:33:03:b2:c2', { tip: '8.8.8.8', replies: [{ mac: '32:6b:33:03:b2:c2', rttMs: 412 }] }, opts));
    assert.equal(lines[0], 'REPLY: who-has 8.8.8.8 tell 10.0.0.1 on vlan0');
    assert.equal(lines[1], '  delay: 0-800 ms (proxy_delay; queued, see below)');
    assert.match(lines.join('\n'), /\n {4}\[pass\] {2}route {7}route to 8\.8\.8\.8/);
    assert.equal(lines.at(-1), '  verified from bond0 (netns net): the kernel replied with 32:6b:33:03:b2:c2 after 412 ms: prediction confirmed');
  });
  test('default sender: the first free host address of the device subnet', () => {
    const addrs = [{ dev: 'd0', local: '10.1.0.1', address: '10.1.0.1', prefixLen: 24, scope: 'global' }];
    assert.equal(defaultExplainSender({ dev: 'd0', addrs }), '10.1.0.2');
    assert.throws(() => defaultExplainSender({ dev: 'cali0', addrs }), (e: Error & { hint?: string }) => /no IPv4 subnet/.test(e.message) && /--sip/.test(e.hint ?? ''));
  });
});
