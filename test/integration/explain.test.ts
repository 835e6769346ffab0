/**
 * explain against the real kernel as the oracle: for each generated case, set the state, ask
 * `arpinject explain --verify-from` (which predicts, then injects the who-has from the peer with the
 * prober and observes), and assert the prediction and the kernel agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { breakGrnetRoutes, createGrnetLab, type GrnetLab } from '../../src/lab/topologies.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

/*
 *  [peer] p0 ==veth== d0 [host] o0 ==veth== f0 [far 203.0.113.1]
 *  host: d0 10.1.0.1/24 (DEV), o0 203.0.113.2/24, lo + 169.254.1.1/32 scope host,
 *        198.51.100.0/24 via 203.0.113.1 dev o0; no default route.
 */
const T = {
  far: '198.51.100.7', // routed via o0 (OUT != DEV)
  same: '10.1.0.50', // on d0's own subnet (OUT == DEV)
  none: '192.0.2.99', // no route at all
  local: '10.1.0.1', // d0's address
  localOther: '203.0.113.2', // o0's address (weak host model)
  hostScope: '169.254.1.1', // scope host on lo
};
const SIP_ON_LINK = '10.1.0.9';
const SIP_UNROUTABLE = '10.2.0.9';

interface Case {
  name: string;
  tip: string;
  sip: string;
  sysctls: Record<string, number>;
  ethDst?: 'dev';
  setup?: string[][];
  /** What the kernel did the last time this was checked: documents the case, asserted too. */
  expect?: 'reply' | 'no-reply';
}

const BASE: Record<string, number> = {
  'net.ipv4.conf.d0.proxy_arp': 0,
  'net.ipv4.conf.all.proxy_arp': 0,
  'net.ipv4.conf.d0.forwarding': 1,
  'net.ipv4.conf.o0.forwarding': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.d0.rp_filter': 0,
  'net.ipv4.conf.d0.arp_ignore': 0,
  'net.ipv4.conf.all.arp_ignore': 0,
  'net.ipv4.conf.d0.proxy_arp_pvlan': 0,
  'net.ipv4.conf.d0.medium_id': 0,
  'net.ipv4.conf.o0.medium_id': 0,
  'net.ipv4.conf.d0.arp_filter': 0,
  'net.ipv4.neigh.d0.proxy_delay': 0,
};

function generate(): Case[] {
  const cases: Case[] = [];
  // Proxy family: target x proxy_arp x forwarding x rp_filter x sender.
  for (const [tname, tip] of [['far', T.far], ['same', T.same], ['none', T.none]] as const)
    for (const proxy of [0, 1])
      for (const fwd of proxy ? [0, 1] : [1])
        for (const rp of [0, 1, 2])
          for (const sip of [SIP_ON_LINK, SIP_UNROUTABLE])
            cases.push({
              name: `${tname} proxy_arp=${proxy} forwarding=${fwd} all/rp_filter=${rp} sip=${sip}`,
              tip,
              sip,
              sysctls: { 'net.ipv4.conf.d0.proxy_arp': proxy, 'net.ipv4.conf.d0.forwarding': fwd, 'net.ipv4.conf.all.rp_filter': rp },
            });
  // Local family: which address x arp_ignore (set on `all`: the max of all and DEV applies).
  for (const [tname, tip] of [['local', T.local], ['localOther', T.localOther], ['hostScope', T.hostScope]] as const)
    for (const ig of [0, 1, 2, 3, 8])
      cases.push({ name: `${tname} all/arp_ignore=${ig}`, tip, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.all.arp_ignore': ig } });
  cases.push(
    { name: 'same with proxy_arp_pvlan=1', tip: T.same, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.d0.proxy_arp_pvlan': 1 }, expect: 'reply' },
    { name: 'self probe with proxy_arp_pvlan=1 (sip = tip)', tip: T.same, sip: T.same, sysctls: { 'net.ipv4.conf.d0.proxy_arp_pvlan': 1 }, expect: 'no-reply' },
    { name: 'static proxy entry, proxy_arp=0', tip: T.far, sip: SIP_ON_LINK, sysctls: {}, setup: [['neigh', 'add', 'proxy', T.far, 'dev', 'd0']], expect: 'reply' },
    { name: 'static proxy entry without dev', tip: T.far, sip: SIP_ON_LINK, sysctls: {}, setup: [['neigh', 'add', 'proxy', T.far]], expect: 'reply' },
    { name: 'medium_id equal on both: no proxy', tip: T.far, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.conf.d0.medium_id': 1, 'net.ipv4.conf.o0.medium_id': 1 }, expect: 'no-reply' },
    { name: 'medium_id different: proxy', tip: T.far, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.conf.d0.medium_id': 1, 'net.ipv4.conf.o0.medium_id': 2 }, expect: 'reply' },
    { name: 'medium_id -1 disables proxying', tip: T.far, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.conf.d0.medium_id': -1 }, expect: 'no-reply' },
    { name: 'DAD probe (sip 0.0.0.0) for a local address', tip: T.local, sip: '0.0.0.0', sysctls: {}, expect: 'reply' },
    { name: 'DAD probe is never proxied', tip: T.far, sip: '0.0.0.0', sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1 }, expect: 'no-reply' },
    { name: 'proxy with the default proxy_delay (0.8 s)', tip: T.far, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.neigh.d0.proxy_delay': 80 }, expect: 'reply' },
    { name: 'unicast to DEV skips proxy_delay', tip: T.far, sip: SIP_ON_LINK, ethDst: 'dev', sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.neigh.d0.proxy_delay': 60000 }, expect: 'reply' },
    { name: 'sender is a local address (martian)', tip: T.far, sip: T.localOther, sysctls: { 'net.ipv4.conf.d0.proxy_arp': 1 }, expect: 'no-reply' },
    { name: 'arp_filter=1, reply route leaves via DEV', tip: T.local, sip: SIP_ON_LINK, sysctls: { 'net.ipv4.conf.d0.arp_filter': 1 }, expect: 'reply' },
    { name: 'arp_filter=1, local address of another device, sender unroutable', tip: T.localOther, sip: SIP_UNROUTABLE, sysctls: { 'net.ipv4.conf.d0.arp_filter': 1 }, expect: 'no-reply' },
  );
  return cases;
}

describe('explain agrees with the kernel (generated cases)', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let peer: string;
  let host: string;
  let devMac: string;
  before(async () => {
    lab = await Lab.create({
      namespaces: ['peer', 'host', 'far'],
      veths: [
        { a: { ns: 'peer', name: 'p0' }, b: { ns: 'host', name: 'd0', addrs: ['10.1.0.1/24'] } },
        { a: { ns: 'host', name: 'o0', addrs: ['203.0.113.2/24'] }, b: { ns: 'far', name: 'f0', addrs: ['203.0.113.1/24'] } },
      ],
      routes: [{ ns: 'host', route: '198.51.100.0/24 via 203.0.113.1 dev o0' }],
    });
    await lab.ip('host', 'addr', 'add', T.hostScope + '/32', 'dev', 'lo', 'scope', 'host');
    peer = lab.nsName('peer');
    host = lab.nsName('host');
    devMac = await lab.mac('host', 'd0');
  });
  after(async () => lab?.destroy());

  const cases = generate();
  test(`${cases.length} cases: prediction = observation`, async () => {
    const disagreements: string[] = [];
    const tally = { reply: 0, 'no-reply': 0 };
    for (const c of cases) {
      for (const [k, v] of Object.entries({ ...BASE, ...c.sysctls })) await lab.sysctl('host', k, v);
      await lab.ip('host', 'neigh', 'flush', 'proxy').catch(() => undefined);
      for (const args of c.setup ?? []) await lab.ip('host', ...args);
      const r = await runCli(host, ['explain', '--iface', 'd0', '--tip', c.tip, '--sip', c.sip, ...(c.ethDst ? ['--eth-dst', devMac] : []), '--verify-from', 'p0', '--verify-netns', peer, '--json'], { timeoutMs: 30_000 });
      const e = r.records.at(-1);
      if (!e || e.type !== 'explain' || !e.verification) {
        disagreements.push(`${c.name}: explain failed (exit ${r.code}): ${r.stderr.trim()}`);
        continue;
      }
      tally[e.verdict as 'reply' | 'no-reply']++;
      if (!e.verification.agrees) disagreements.push(`${c.name}: predicted ${e.verdict} (${e.reason}), kernel ${e.verification.observed}`);
      else if (r.code !== 0) disagreements.push(`${c.name}: agreed but exit ${r.code}`);
      if (c.expect && e.verdict !== c.expect) disagreements.push(`${c.name}: expected ${c.expect}, got ${e.verdict} (${e.reason})`);
      if (c.name.includes('default proxy_delay')) assert.deepEqual(e.delayMs, { min: 0, max: 800 });
      if (c.ethDst) assert.deepEqual(e.delayMs, { min: 0, max: 0 });
    }
    assert.deepEqual(disagreements, []);
    assert.ok(tally.reply >= 10 && tally['no-reply'] >= 10, `both verdicts are exercised: ${JSON.stringify(tally)}`);
  });

  test('a no-reply names the blocking setting and the fix', async () => {
    for (const [k, v] of Object.entries({ ...BASE, 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.conf.all.rp_filter': 2 })) await lab.sysctl('host', k, v);
    const r = await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--sip', SIP_UNROUTABLE, '--expect', 'reply']);
    assert.equal(r.code, 1, 'expectation not met');
    assert.match(r.stdout, /^NO REPLY: who-has 198\.51\.100\.7 tell 10\.2\.0\.9 on d0/);
    assert.match(r.stdout, /rp_filter=2 \(max of d0=0, all=2\): no route back to the sender 10\.2\.0\.9/);
    assert.match(r.stdout, /to change it: .*rp_filter/);
    const ok = await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--sip', SIP_ON_LINK, '--expect', 'reply']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /proxy_arp \(proxy_arp=1 \(d0\), all\/proxy_arp=0\)/);
  });

  test('bad input exits 2, a missing interface 3', async () => {
    assert.equal((await runCli(host, ['explain', '--iface', 'd0', '--tip', '1.2.3'])).code, 2);
    assert.equal((await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--expect', 'maybe'])).code, 2);
    const missing = await runCli(host, ['explain', '--iface', 'nosuch0', '--tip', T.far, '--sip', SIP_ON_LINK]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /nosuch0 does not exist/);
  });
});

describe('explain on the seeds', { skip: skipUnlessRoot }, () => {
  let g: GrnetLab;
  before(async () => {
    g = await createGrnetLab();
  });
  after(async () => g?.lab.destroy());

  test('GRNET case A then case B (000/001): every prediction confirmed by the kernel', async () => {
    const host = g.lab.nsName('host');
    const net = g.lab.nsName('net');
    const ask = async (tip: string) => {
      const r = await runCli(host, ['explain', '--iface', 'vlan0', '--tip', tip, '--sip', '10.0.0.1', '--verify-from', 'bond0', '--verify-netns', net, '--json'], { timeoutMs: 30_000 });
      const e = r.records.at(-1)!;
      assert.equal(e.verification.agrees, true, `${tip}: ${e.reason} vs kernel ${e.verification.observed}`);
      return e;
    };
    assert.equal((await ask('10.0.0.2')).verdict, 'reply');
    const a6 = await ask('10.0.0.6');
    assert.equal(a6.verdict, 'no-reply');
    assert.match(a6.reason, /leaves via the interface the request came in on/);
    assert.equal((await ask('8.8.8.8')).verdict, 'no-reply');
    await breakGrnetRoutes(g.lab);
    for (const tip of ['10.0.0.2', '10.0.0.6', '8.8.8.8']) {
      const e = await ask(tip);
      assert.equal(e.verdict, 'reply');
      assert.deepEqual(e.delayMs, { min: 0, max: 800 });
    }
    assert.match((await ask('8.8.8.8')).reason, /8\.8\.8\.8 is routed via 203\.0\.113\.1 dev eth0, not via vlan0: proxy_arp/);
  });

  test('calico-style veth (004): /32 workload, 169.254.1.1 gateway, all/rp_filter x forwarding', async () => {
    const lab = await Lab.create({
      namespaces: ['wl', 'node', 'up'],
      veths: [
        { a: { ns: 'wl', name: 'eth0', addrs: ['10.65.0.5/32'] }, b: { ns: 'node', name: 'cali0' } },
        { a: { ns: 'node', name: 'eth0', addrs: ['203.0.113.2/24'] }, b: { ns: 'up', name: 'eth0', addrs: ['203.0.113.1/24'] } },
      ],
      sysctls: [
        { ns: 'node', key: 'net.ipv4.conf.cali0.proxy_arp', value: 1 },
        { ns: 'node', key: 'net.ipv4.neigh.cali0.proxy_delay', value: 0 },
        { ns: 'node', key: 'net.ipv4.conf.cali0.rp_filter', value: 0 },
      ],
      routes: [
        { ns: 'wl', route: '169.254.1.1 dev eth0 scope link' },
        { ns: 'wl', route: 'default via 169.254.1.1 dev eth0' },
        { ns: 'node', route: 'default via 203.0.113.1 dev eth0' },
        { ns: 'node', route: '10.65.0.5 dev cali0 scope link' },
      ],
    });
    try {
      const node = lab.nsName('node');
      const wl = lab.nsName('wl');
      const seen: string[] = [];
      for (const workloadRoute of [true, false]) {
        if (!workloadRoute) await lab.ip('node', 'route', 'del', '10.65.0.5', 'dev', 'cali0');
        for (const rp of [0, 1, 2])
          for (const fwd of [0, 1]) {
            await lab.sysctl('node', 'net.ipv4.conf.all.rp_filter', rp);
            await lab.sysctl('node', 'net.ipv4.conf.cali0.forwarding', fwd);
            const r = await runCli(node, ['explain', '--iface', 'cali0', '--tip', '169.254.1.1', '--sip', '10.65.0.5', '--verify-from', 'eth0', '--verify-netns', wl, '--json'], { timeoutMs: 30_000 });
            const e = r.records.at(-1)!;
            const name = `route=${workloadRoute} all/rp_filter=${rp} forwarding=${fwd}`;
            assert.ok(e?.verification, `${name}: ${r.stderr}`);
            assert.equal(e.verification.agrees, true, `${name}: predicted ${e.verdict} (${e.reason}), kernel ${e.verification.observed}`);
            seen.push(`${name}: ${e.verdict}`);
          }
      }
      // The seed's lesson: with the workload route in place everything hinges on forwarding; without it,
      // all/rp_filter (max with the device's 0) decides.
      assert.ok(seen.includes('route=true all/rp_filter=2 forwarding=1: reply'), seen.join('\n'));
      assert.ok(seen.includes('route=true all/rp_filter=0 forwarding=0: no-reply'), seen.join('\n'));
      assert.ok(seen.includes('route=false all/rp_filter=0 forwarding=1: reply'), seen.join('\n'));
      assert.ok(seen.includes('route=false all/rp_filter=1 forwarding=1: no-reply'), seen.join('\n'));
    } finally {
      await lab.destroy();
    }
  });
});
