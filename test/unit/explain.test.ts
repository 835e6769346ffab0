import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Conf, type ExplainState, arpIgnoreBlocks, explain } from '../../src/explain/model.js';

const conf = (o: Partial<Conf> = {}): Conf => ({
  forwarding: 0, proxy_arp: 0, proxy_arp_pvlan: 0, medium_id: 0, rp_filter: 0, accept_local: 0, route_localnet: 0, arp_ignore: 0, arp_filter: 0, drop_gratuitous_arp: 0, ...o,
});

/** GRNET host (seed 000), case B: table vlan0 lost its vlan0 routes; default via eth0. */
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
  route: { ok: true, type: 'unicast', dev: 'eth0', gateway: '83.212.173.1', dst: '8.8.8.8' },
  outMediumId: 0,
  pneigh: [],
  arpFiltering: false,
  ...o,
});
const req = { tip: '8.8.8.8', sip: '10.0.0.1' };

describe('explain model (fixtures from the seeds)', () => {
  test('GRNET case B: proxy reply for 8.8.8.8 after up to 800 ms, with the evidence', () => {
    const e = explain(grnetB(), req);
    assert.equal(e.verdict, 'reply');
    assert.deepEqual(e.delayMs, { min: 0, max: 800 });
    assert.match(e.reason, /8\.8\.8\.8 is routed via 83\.212\.173\.1 dev eth0, not via vlan0: proxy_arp/);
    assert.deepEqual(e.steps.map((s) => [s.step, s.result]), [['arp_rcv', 'pass'], ['route', 'pass'], ['proxy', 'reply']]);
    assert.match(e.warnings.join(), /proxy_qlen=64/);
  });
  test('GRNET case A: the route leaves via vlan0 itself => no reply, pvlan named', () => {
    const e = explain(grnetB({ route: { ok: true, type: 'unicast', dev: 'vlan0', gateway: '10.0.0.1', table: 'vlan0', dst: '8.8.8.8' } }), req);
    assert.equal(e.verdict, 'no-reply');
    assert.match(e.reason, /leaves via the interface the request came in on, and proxy_arp_pvlan is off/);
    const pv = explain(grnetB({ route: { ok: true, type: 'unicast', dev: 'vlan0', dst: '8.8.8.8' }, all: conf({ proxy_arp_pvlan: 1 }) }), req);
    assert.equal(pv.verdict, 'reply', 'all/proxy_arp_pvlan counts (OR since 5.11)');
  });
  test('unicast to our MAC skips the delay; unicast to another MAC is dropped', () => {
    assert.deepEqual(explain(grnetB(), { ...req, ethDst: '32:6B:33:03:B2:C2' }).delayMs, { min: 0, max: 0 });
    const other = explain(grnetB(), { ...req, ethDst: '02:00:00:00:00:01' });
    assert.equal(other.verdict, 'no-reply');
    assert.match(other.reason, /PACKET_OTHERHOST/);
    assert.equal(explain(grnetB({ proxyDelay: 0 }), req).delayMs.max, 0);
  });
  test('proxy_arp off: no reply unless a static proxy entry (with or without dev) exists', () => {
    const off = grnetB({ conf: conf({ forwarding: 1 }) });
    const e = explain(off, req);
    assert.equal(e.verdict, 'no-reply');
    assert.match(e.fix ?? '', /proxy_arp=1.*ip neigh add proxy 8\.8\.8\.8 dev vlan0/);
    assert.equal(explain({ ...off, pneigh: [{ ip: '8.8.8.8' }] }, req).verdict, 'reply');
    assert.equal(explain({ ...off, pneigh: [{ ip: '8.8.8.8', dev: 'vlan0' }] }, req).verdict, 'reply');
    assert.equal(explain({ ...off, pneigh: [{ ip: '8.8.8.8', dev: 'eth9' }] }, req).verdict, 'no-reply');
    assert.equal(explain(grnetB({ all: conf({ proxy_arp: 1 }), conf: conf({ forwarding: 1 }) }), req).verdict, 'reply', 'proxy_arp is ORed with all');
  });
  test('medium_id: 0 proxies, -1 never, equal values never, different values do', () => {
    const m = (imi: number, omi: number) => explain(grnetB({ conf: conf({ forwarding: 1, proxy_arp: 1, medium_id: imi }), outMediumId: omi }), req).verdict;
    assert.deepEqual([m(0, 5), m(-1, 0), m(1, 1), m(1, 2), m(1, -1)], ['reply', 'no-reply', 'no-reply', 'reply', 'no-reply']);
  });
  test('calico (seed 004): a failed input route is explained by rp_filter, with the max of all and the device', () => {
    const cali = grnetB({
      dev: 'cali0',
      conf: conf({ forwarding: 1, proxy_arp: 1, rp_filter: 0 }),
      all: conf({ rp_filter: 2 }),
      route: { ok: false, error: 'Invalid argument' },
      sipRoute: { ok: false, error: 'Network is unreachable' },
    });
    const e = explain(cali, { tip: '169.254.1.1', sip: '10.65.0.5' });
    assert.equal(e.verdict, 'no-reply');
    assert.match(e.reason, /rp_filter=2 \(max of cali0=0, all=2\): no route back to the sender 10\.65\.0\.5/);
    const strict = explain({ ...cali, all: conf({ rp_filter: 1 }), sipRoute: { ok: true, type: 'unicast', dev: 'eth0', dst: '10.65.0.5' } }, { tip: '169.254.1.1', sip: '10.65.0.5' });
    assert.match(strict.reason, /rp_filter=1 \(strict.*leaves via eth0, not cali0/);
    const fwd = explain({ ...cali, conf: conf({ forwarding: 0, proxy_arp: 1 }), route: { ok: false, error: 'No route to host' } }, { tip: '169.254.1.1', sip: '10.65.0.5' });
    assert.match(fwd.reason, /forwarding=0 on cali0/);
  });
  test('local addresses and arp_ignore 0/1/2/3/8 (host scope, other device, prefixes)', () => {
    const local = grnetB({
      dev: 'd0',
      addrs: [
        { dev: 'd0', local: '10.1.0.1', address: '10.1.0.1', prefixLen: 24, scope: 'global' },
        { dev: 'o0', local: '203.0.113.2', address: '203.0.113.2', prefixLen: 24, scope: 'global' },
        { dev: 'lo', local: '169.254.1.1', address: '169.254.1.1', prefixLen: 32, scope: 'host' },
      ],
      localRoutes: ['10.1.0.1', '203.0.113.2', '169.254.1.1'],
      route: { ok: true, type: 'local', dev: 'lo', dst: '' },
    });
    const v = (tip: string, ig: number, sip = '10.1.0.9') => explain({ ...local, all: conf({ arp_ignore: ig }) }, { tip, sip }).verdict;
    assert.deepEqual([0, 1, 2, 3, 8].map((ig) => v('10.1.0.1', ig)), ['reply', 'reply', 'reply', 'reply', 'no-reply']);
    assert.deepEqual([0, 1, 2, 3, 8].map((ig) => v('203.0.113.2', ig)), ['reply', 'no-reply', 'no-reply', 'reply', 'no-reply']);
    assert.deepEqual([0, 1, 2, 3, 8].map((ig) => v('169.254.1.1', ig)), ['reply', 'no-reply', 'no-reply', 'no-reply', 'no-reply']);
    assert.equal(v('10.1.0.1', 2, '10.9.0.9'), 'no-reply', 'arp_ignore=2: sender outside the subnet');
    assert.equal(arpIgnoreBlocks({ ...local, conf: conf({ arp_ignore: 2 }) }, '10.1.0.9', '10.1.0.1').blocks, false, 'the max of all and DEV');
  });
  test('DAD, broadcast, multicast, loopback, gratuitous, NOARP, down', () => {
    const withLocal = grnetB({ localRoutes: ['10.0.0.1'], addrs: [{ dev: 'vlan0', local: '10.0.0.1', address: '10.0.0.1', prefixLen: 24, scope: 'global' }] });
    assert.equal(explain(withLocal, { tip: '10.0.0.1', sip: '0.0.0.0' }).verdict, 'reply');
    assert.match(explain(withLocal, { tip: '8.8.8.8', sip: '0.0.0.0' }).reason, /never proxied/);
    assert.match(explain(grnetB({ route: { ok: true, type: 'broadcast', dev: 'lo', dst: '' } }), req).reason, /broadcast/);
    assert.match(explain(grnetB(), { tip: '224.0.0.1', sip: '10.0.0.1' }).reason, /multicast/);
    assert.match(explain(grnetB(), { tip: '127.0.0.1', sip: '10.0.0.1' }).reason, /loopback/);
    assert.match(explain(grnetB({ all: conf({ drop_gratuitous_arp: 1 }) }), { tip: '8.8.8.8', sip: '8.8.8.8' }).reason, /drop_gratuitous_arp/);
    assert.match(explain(grnetB({ devNoarp: true }), req).reason, /NOARP/);
    assert.match(explain(grnetB({ devUp: false }), req).reason, /down/);
    assert.match(explain(grnetB({ arpFiltering: true }), req).warnings.join(), /not modelled/);
    assert.match(explain(grnetB(), { ...req, op: 2 }).reason, /only requests/);
  });
});
