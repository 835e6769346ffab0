/**
 * explain against the real kernel as the oracle. A table-driven generator varies sysctls, targets and
 * senders; for each group of cases the test sets the state in a namespace, runs
 * `arpinject explain --verify-from` (which predicts, then injects the who-has from the peer with
 * `arpinject probe` and observes), and asserts prediction and kernel agree for every target.
 * Groups run on a small pool of identical labs to keep the wall time down.
 *
 * EXPLAIN_RECORD_FIXTURES=1 also writes one case per distinct decision path, with the state the model
 * read and what the kernel did, to test/fixtures/explain/kernel-cases.json (replayed by the unit tests).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

/*
 *  [peer] p0 ==veth== d0 [host] o0 ==veth== f0 [far 203.0.113.1, 203.0.113.5]
 *  host d0 (DEV): 10.1.0.1/24, 10.3.0.1/24, 10.4.0.1 peer 10.4.0.2/32; o0: 203.0.113.2/24;
 *  lo: 169.254.1.1/32 scope host. No default route. Routes and rules: see ROUTER below.
 */
const T = {
  far: '198.51.100.7', // via o0 (OUT != DEV)
  same: '10.1.0.50', // d0's own subnet (OUT == DEV)
  net: '10.1.0.0', // d0's network address: a unicast route on 6.x, OUT == DEV
  bcast: '10.1.0.255', // d0's subnet broadcast
  none: '10.99.0.1', // no route at all
  blackhole: '10.98.0.1',
  unreachable: '10.97.0.1',
  prohibit: '10.96.0.1',
  mpSplit: '10.95.0.1', // multipath: one nexthop via o0, one via d0
  mpSame: '10.94.0.1', // multipath: both nexthops via o0
  ruleTable: '10.93.0.1', // only in table 100, selected by `iif d0`
  ruleProhibit: '10.92.0.1', // routed in main, but a `prohibit` rule for iif d0 comes first
  local: '10.1.0.1', // d0's address
  localSecond: '10.3.0.1', // d0's second subnet
  localPeer: '10.4.0.1', // d0, `peer 10.4.0.2/32`: its prefix does not cover itself
  localOther: '203.0.113.2', // o0's address (weak host model)
  hostScope: '169.254.1.1', // lo, scope host
  loopback: '127.0.0.1',
  mcast: '224.0.0.5',
  lbcast: '255.255.255.255',
  zero: '0.0.0.0',
} as const;
const S = {
  onlink: '10.1.0.9',
  second: '10.3.0.9', // in d0's second subnet
  unroutable: '10.2.0.9', // no route back
  viaOther: '198.51.100.9', // route back via o0
  ours: '203.0.113.2', // one of the host's own addresses
  loop: '127.0.0.5',
  dad: '0.0.0.0',
} as const;

const ROUTER = {
  namespaces: ['peer', 'host', 'far'],
  veths: [
    { a: { ns: 'peer', name: 'p0' }, b: { ns: 'host', name: 'd0', addrs: ['10.1.0.1/24', '10.3.0.1/24'] } },
    { a: { ns: 'host', name: 'o0', addrs: ['203.0.113.2/24'] }, b: { ns: 'far', name: 'f0', addrs: ['203.0.113.1/24', '203.0.113.5/24'] } },
  ],
  routes: [
    { ns: 'host', route: '198.51.100.0/25 via 203.0.113.1 dev o0' },
    { ns: 'host', route: 'blackhole 10.98.0.0/24' },
    { ns: 'host', route: 'unreachable 10.97.0.0/24' },
    { ns: 'host', route: 'prohibit 10.96.0.0/24' },
    { ns: 'host', route: '10.95.0.0/24 nexthop via 203.0.113.1 dev o0 nexthop via 10.1.0.254 dev d0' },
    { ns: 'host', route: '10.94.0.0/24 nexthop via 203.0.113.1 dev o0 nexthop via 203.0.113.5 dev o0' },
    { ns: 'host', route: '10.93.0.0/24 via 203.0.113.1 dev o0 table 100' },
    { ns: 'host', route: '10.92.0.0/24 via 203.0.113.1 dev o0' },
  ],
  rules: [
    { ns: 'host', rule: 'pref 1000 iif d0 lookup 100' },
    { ns: 'host', rule: 'pref 1001 iif d0 to 10.92.0.0/24 prohibit' },
  ],
};

/** Every sysctl a case may touch, at its baseline: set in full before each group. */
const BASE: Record<string, number> = {
  'net.ipv4.conf.d0.proxy_arp': 0,
  'net.ipv4.conf.all.proxy_arp': 0,
  'net.ipv4.conf.d0.forwarding': 1,
  'net.ipv4.conf.o0.forwarding': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.d0.rp_filter': 0,
  'net.ipv4.conf.d0.arp_ignore': 0,
  'net.ipv4.conf.all.arp_ignore': 0,
  'net.ipv4.conf.d0.arp_filter': 0,
  'net.ipv4.conf.all.arp_filter': 0,
  'net.ipv4.conf.d0.proxy_arp_pvlan': 0,
  'net.ipv4.conf.all.proxy_arp_pvlan': 0,
  'net.ipv4.conf.d0.medium_id': 0,
  'net.ipv4.conf.o0.medium_id': 0,
  'net.ipv4.conf.d0.drop_gratuitous_arp': 0,
  'net.ipv4.conf.all.drop_gratuitous_arp': 0,
  'net.ipv4.conf.d0.route_localnet': 0,
  'net.ipv4.conf.all.route_localnet': 0,
  'net.ipv4.conf.d0.accept_local': 0,
  'net.ipv4.conf.all.accept_local': 0,
  'net.ipv4.neigh.d0.proxy_delay': 0,
};

interface Group {
  name: string;
  sip: string;
  tips: string[];
  sysctls: Record<string, number>;
  /** `ip` argument lists run in `host` before (setup) and after (teardown) the group. */
  setup?: string[][];
  teardown?: string[][];
  ethDst?: 'dev' | string;
  /** Per target: what the kernel did when this was written, and words the reason must contain. */
  expect?: Record<string, { verdict?: 'reply' | 'no-reply'; reason?: RegExp; delayMax?: number; certain?: boolean }>;
}

const sc = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.startsWith('net.') ? k : `net.ipv4.conf.${k}`, v]));

function generate(): Group[] {
  const groups: Group[] = [];
  // 1. Forwarding/proxy family: proxy_arp (where) x forwarding x rp_filter (all, dev) x sender.
  const fwdTips = [T.far, T.same, T.net, T.bcast, T.none, T.blackhole, T.unreachable, T.prohibit, T.mpSame, T.mpSplit, T.ruleTable, T.ruleProhibit, T.local];
  const proxies: Array<[string, Record<string, number>]> = [
    ['proxy_arp off', {}],
    ['proxy_arp on d0', { 'd0.proxy_arp': 1 }],
    ['proxy_arp on all', { 'all.proxy_arp': 1 }],
    ['proxy_arp on d0, forwarding 0', { 'd0.proxy_arp': 1, 'd0.forwarding': 0 }],
  ];
  for (const [pname, p] of proxies)
    for (const [ra, rd] of [[0, 0], [1, 0], [2, 0], [0, 1], [2, 1]] as const)
      for (const [sname, sip] of [['onlink', S.onlink], ['unroutable', S.unroutable], ['viaOther', S.viaOther]] as const) {
        const on = pname !== 'proxy_arp off';
        const fwd = !pname.includes('forwarding 0');
        const rp = Math.max(ra, rd);
        const rpBlocks = (sname === 'unroutable' && rp > 0) || (sname === 'viaOther' && rp === 1);
        const expect: Group['expect'] = {
          [T.bcast]: { verdict: 'no-reply', ...(rpBlocks ? {} : { reason: /broadcast/ }) },
          [T.none]: { verdict: 'no-reply', reason: !fwd ? /forwarding=0/ : /no route to 10\.99\.0\.1/ },
          [T.local]: { verdict: rpBlocks ? 'no-reply' : 'reply' },
          [T.mpSplit]: { certain: !(on && fwd && !rpBlocks) },
        };
        if (fwd) {
          expect[T.blackhole] = { verdict: 'no-reply', reason: /blackhole/ };
          expect[T.unreachable] = { verdict: 'no-reply', reason: /unreachable/ };
          expect[T.prohibit] = { verdict: 'no-reply', reason: /prohibit/ };
          expect[T.ruleProhibit] = { verdict: 'no-reply', reason: /rule 1001/ };
          expect[T.same] = { verdict: 'no-reply', reason: rpBlocks ? /rp_filter/ : /proxy_arp_pvlan is off/ };
          expect[T.far] = { verdict: on && !rpBlocks ? 'reply' : 'no-reply', reason: rpBlocks ? /rp_filter/ : on ? /proxy_arp=/ : /proxy_arp=0 \(d0\), all=0/ };
          expect[T.ruleTable] = { verdict: on && !rpBlocks ? 'reply' : 'no-reply', ...(on && !rpBlocks ? { reason: /table 100, rule 1000/ } : {}) };
        } else for (const t of [T.far, T.same, T.net, T.none, T.mpSame, T.ruleTable]) expect[t] = { verdict: 'no-reply', reason: /forwarding=0/ };
        groups.push({ name: `${pname}; rp_filter all=${ra} d0=${rd}; sender ${sname}`, sip, tips: fwdTips, sysctls: sc({ ...p, 'all.rp_filter': ra, 'd0.rp_filter': rd }), expect });
      }

  // 2. Local family: arp_ignore (all, dev) x arp_filter x sender; forwarding off (local replies do not need it).
  const localTips = [T.local, T.localSecond, T.localPeer, T.localOther, T.hostScope];
  for (const [ia, id] of [[0, 0], [1, 0], [0, 1], [2, 0], [0, 2], [2, 1], [3, 0], [8, 0]] as const)
    for (const af of [0, 1])
      for (const [sname, sip] of [['onlink', S.onlink], ['second subnet', S.second], ['viaOther', S.viaOther]] as const) {
        const ig = Math.max(ia, id);
        const expect: Group['expect'] = {};
        if (ig === 8) for (const t of localTips) expect[t] = { verdict: 'no-reply', reason: /arp_ignore=8/ };
        if (ig === 1 || ig === 2) {
          expect[T.localOther] = { verdict: 'no-reply', reason: /arp_ignore=\d .*203\.0\.113\.2 is not/ };
          expect[T.hostScope] = { verdict: 'no-reply', reason: /it is on lo/ };
          expect[T.localPeer] = { verdict: 'no-reply', reason: /peer 10\.4\.0\.2/ };
        }
        if (ig === 0 && af === 0) for (const t of localTips) expect[t] = { verdict: 'reply' };
        if (ig === 3) expect[T.hostScope] = { verdict: 'no-reply', reason: /scope global or link.*scope host/ };
        groups.push({ name: `arp_ignore all=${ia} d0=${id}; arp_filter=${af}; sender ${sname}`, sip, tips: localTips, sysctls: sc({ 'all.arp_ignore': ia, 'd0.arp_ignore': id, [af ? 'all.arp_filter' : 'd0.arp_filter']: af, 'd0.forwarding': 0 }), expect });
      }

  // 3. Everything else, one row each.
  const proxyOn = sc({ 'd0.proxy_arp': 1 });
  groups.push(
    { name: 'DAD probes (sender 0.0.0.0), proxy_arp on', sip: S.dad, tips: [T.local, T.localOther, T.hostScope, T.far, T.same], sysctls: proxyOn, expect: { [T.local]: { verdict: 'reply' }, [T.localOther]: { verdict: 'reply' }, [T.hostScope]: { verdict: 'reply' }, [T.far]: { verdict: 'no-reply', reason: /never proxied/ } } },
    { name: 'DAD probes, arp_ignore=1', sip: S.dad, tips: [T.local, T.localOther, T.hostScope], sysctls: sc({ 'all.arp_ignore': 1 }), expect: { [T.local]: { verdict: 'reply' }, [T.localOther]: { verdict: 'no-reply', reason: /arp_ignore=1/ } } },
    { name: 'loopback target, route_localnet off', sip: S.onlink, tips: [T.loopback], sysctls: {}, expect: { [T.loopback]: { verdict: 'no-reply', reason: /route_localnet/ } } },
    { name: 'loopback target, route_localnet on d0', sip: S.onlink, tips: [T.loopback], sysctls: sc({ 'd0.route_localnet': 1 }) },
    { name: 'loopback target, route_localnet on all', sip: S.onlink, tips: [T.loopback, T.hostScope], sysctls: sc({ 'all.route_localnet': 1, 'all.arp_ignore': 3 }) },
    { name: 'loopback sender, route_localnet off', sip: S.loop, tips: [T.local, T.far], sysctls: proxyOn, expect: { [T.local]: { verdict: 'no-reply', reason: /127\.0\.0\.0\/8/ } } },
    { name: 'loopback sender, route_localnet on', sip: S.loop, tips: [T.local, T.far], sysctls: { ...proxyOn, ...sc({ 'all.route_localnet': 1 }) } },
    { name: 'multicast, limited broadcast, zero and subnet broadcast targets', sip: S.onlink, tips: [T.mcast, T.lbcast, T.zero, T.bcast], sysctls: { ...proxyOn, ...sc({ 'd0.proxy_arp_pvlan': 1 }) }, expect: { [T.mcast]: { verdict: 'no-reply', reason: /multicast/ }, [T.lbcast]: { verdict: 'no-reply', reason: /broadcast/ }, [T.zero]: { verdict: 'no-reply', reason: /0\.0\.0\.0\/8/ } } },
    ...[0, 1, 2].flatMap((rp) =>
      [0, 1].map((al) => ({ name: `sender is a local address; accept_local=${al}; rp_filter=${rp}`, sip: S.ours, tips: [T.far, T.local, T.same], sysctls: { ...proxyOn, ...sc({ 'all.rp_filter': rp, 'all.accept_local': al }) }, expect: al === 0 ? { [T.far]: { verdict: 'no-reply' as const, reason: /own addresses/ } } : {} })),
    ),
    ...(['d0', 'all'] as const).flatMap((where) =>
      [0, 1].map((pa) => ({ name: `proxy_arp_pvlan on ${where}, proxy_arp=${pa}`, sip: S.onlink, tips: [T.same, T.net, T.far, T.mpSplit, T.local], sysctls: sc({ [`${where}.proxy_arp_pvlan`]: 1, 'd0.proxy_arp': pa }), expect: { [T.same]: { verdict: 'reply' as const, reason: /proxy_arp_pvlan=/ }, [T.far]: { verdict: pa ? ('reply' as const) : ('no-reply' as const) } } })),
    ),
    // Gratuitous requests (sender = target).
    ...[0, 1].flatMap((dg) => [
      { name: `gratuitous request for a routed address; drop_gratuitous_arp=${dg}`, sip: T.far, tips: [T.far], sysctls: { ...proxyOn, ...sc({ 'all.drop_gratuitous_arp': dg }) }, expect: { [T.far]: { verdict: dg ? ('no-reply' as const) : ('reply' as const) } } },
      { name: `gratuitous request on the same segment, pvlan on; drop_gratuitous_arp=${dg}`, sip: T.same, tips: [T.same], sysctls: { ...sc({ 'd0.proxy_arp_pvlan': 1, 'd0.drop_gratuitous_arp': dg }) }, expect: { [T.same]: { verdict: 'no-reply' as const, reason: dg ? /drop_gratuitous_arp/ : /self probes/ } } },
    ]),
    // Static proxy entries (proxy_arp off).
    { name: 'static proxy entry dev d0', sip: S.onlink, tips: [T.far, T.same, T.none], sysctls: {}, setup: [['neigh', 'add', 'proxy', T.far, 'dev', 'd0'], ['neigh', 'add', 'proxy', T.same, 'dev', 'd0'], ['neigh', 'add', 'proxy', T.none, 'dev', 'd0']], teardown: [['neigh', 'flush', 'proxy']], expect: { [T.far]: { verdict: 'reply', reason: /static proxy entry/ }, [T.same]: { verdict: 'no-reply' }, [T.none]: { verdict: 'no-reply' } } },
    { name: 'static proxy entry without dev', sip: S.onlink, tips: [T.far], sysctls: {}, setup: [['neigh', 'add', 'proxy', T.far]], teardown: [['neigh', 'flush', 'proxy']], expect: { [T.far]: { verdict: 'reply', reason: /every interface/ } } },
    { name: 'static proxy entry on another device', sip: S.onlink, tips: [T.far], sysctls: {}, setup: [['neigh', 'add', 'proxy', T.far, 'dev', 'o0']], teardown: [['neigh', 'flush', 'proxy']], expect: { [T.far]: { verdict: 'no-reply' } } },
    { name: 'static proxy entry while medium_id blocks proxy_arp', sip: S.onlink, tips: [T.far, T.mpSame], sysctls: sc({ 'd0.proxy_arp': 1, 'd0.medium_id': 1, 'o0.medium_id': 1 }), setup: [['neigh', 'add', 'proxy', T.far, 'dev', 'd0']], teardown: [['neigh', 'flush', 'proxy']], expect: { [T.far]: { verdict: 'reply', reason: /static proxy entry/ }, [T.mpSame]: { verdict: 'no-reply', reason: /medium/ } } },
    // medium_id (DEV and OUT values only).
    ...([[0, 5], [1, 1], [1, 2], [-1, 0], [1, -1], [2, 0]] as const).map(([mi, mo]) => ({
      name: `medium_id d0=${mi} o0=${mo}`,
      sip: S.onlink,
      tips: [T.far, T.mpSame, T.mpSplit],
      sysctls: sc({ 'd0.proxy_arp': 1, 'd0.medium_id': mi, 'o0.medium_id': mo }),
      expect: { [T.far]: { verdict: mi === 0 || (mi !== -1 && mo !== mi && mo !== -1) ? ('reply' as const) : ('no-reply' as const) } },
    })),
    // proxy_delay: the default 0.8 s for broadcast requests; unicast to DEV skips it.
    { name: 'proxy_delay 80 (default), broadcast', sip: S.onlink, tips: [T.far, T.local], sysctls: { ...proxyOn, 'net.ipv4.neigh.d0.proxy_delay': 80 }, expect: { [T.far]: { verdict: 'reply', delayMax: 800 }, [T.local]: { verdict: 'reply', delayMax: 0 } } },
    { name: 'proxy_delay 6000 (60 s), unicast to d0', sip: S.onlink, tips: [T.far], ethDst: 'dev', sysctls: { ...proxyOn, 'net.ipv4.neigh.d0.proxy_delay': 6000 }, expect: { [T.far]: { verdict: 'reply', delayMax: 0, reason: /at once/ } } },
    // Ethernet destination: another host's MAC is PACKET_OTHERHOST; a multicast MAC is accepted.
    { name: 'unicast to another MAC', sip: S.onlink, tips: [T.far, T.local], ethDst: '02:00:00:00:00:99', sysctls: proxyOn, expect: { [T.far]: { verdict: 'no-reply', reason: /PACKET_OTHERHOST/ }, [T.local]: { verdict: 'no-reply' } } },
    { name: 'multicast Ethernet destination', sip: S.onlink, tips: [T.far, T.local], ethDst: '01:00:5e:00:00:01', sysctls: proxyOn, expect: { [T.far]: { verdict: 'reply' }, [T.local]: { verdict: 'reply' } } },
    { name: 'NOARP on d0', sip: S.onlink, tips: [T.far, T.local], sysctls: proxyOn, setup: [['link', 'set', 'd0', 'arp', 'off']], teardown: [['link', 'set', 'd0', 'arp', 'on']], expect: { [T.far]: { verdict: 'no-reply', reason: /NOARP/ }, [T.local]: { verdict: 'no-reply', reason: /NOARP/ } } },
  );
  return groups;
}

interface Outcome {
  group: string;
  tip: string;
  verdict: string;
  observed: string;
  agrees: boolean;
  certain: boolean;
  record: Record<string, any>;
}

async function runGroup(lab: Lab, g: Group, record: boolean): Promise<{ outcomes: Outcome[]; problems: string[] }> {
  const host = lab.nsName('host');
  const problems: string[] = [];
  const all = { ...BASE, ...g.sysctls };
  await lab.exec('host', ['sysctl', '-q', '-w', ...Object.entries(all).map(([k, v]) => `${k}=${v}`)]);
  for (const args of g.setup ?? []) await lab.ip('host', ...args);
  const ethDst = g.ethDst === 'dev' ? await lab.mac('host', 'd0') : g.ethDst;
  let r;
  try {
    r = await runCli(host, ['explain', '--iface', 'd0', ...g.tips.flatMap((t) => ['--tip', t]), '--sip', g.sip, ...(ethDst ? ['--eth-dst', ethDst] : []), '--verify-from', 'p0', '--verify-netns', lab.nsName('peer'), '--json', ...(record ? ['--dump-state'] : [])], { timeoutMs: 120_000 });
  } finally {
    for (const args of g.teardown ?? []) await lab.ip('host', ...args);
  }
  const recs = r.records.filter((x) => x.type === 'explain');
  if (recs.length !== g.tips.length) return { outcomes: [], problems: [`${g.name}: explain failed (exit ${r.code}): ${r.stderr.trim()}`] };
  const outcomes = recs.map((e) => ({ group: g.name, tip: e.inputs.tip, verdict: e.verdict, observed: e.verification?.observed, agrees: e.verification?.agrees === true, certain: e.certain, record: e }));
  for (const o of outcomes) {
    const e = o.record;
    const tag = `${g.name}: who-has ${o.tip} tell ${g.sip}`;
    if (!o.agrees) problems.push(`${tag}: predicted ${e.verdict} (${e.reason}), kernel ${o.observed}`);
    const x = g.expect?.[o.tip];
    if (x?.verdict && e.verdict !== x.verdict) problems.push(`${tag}: expected ${x.verdict}, got ${e.verdict} (${e.reason})`);
    if (x?.reason && !x.reason.test(e.reason)) problems.push(`${tag}: reason does not match ${x.reason}: ${e.reason}`);
    if (x?.delayMax !== undefined && e.delayMs.max !== x.delayMax) problems.push(`${tag}: delay max ${e.delayMs.max}, expected ${x.delayMax}`);
    if (x?.certain !== undefined && e.certain !== x.certain) problems.push(`${tag}: certain=${e.certain}, expected ${x.certain}`);
    if (e.verdict === 'no-reply' && (!e.reason || /cannot tell/.test(e.reason))) problems.push(`${tag}: a no-reply without a precise reason: ${e.reason}`);
    if (e.verdict === 'no-reply' && !e.fix && !/never|multicast|broadcast|self probes|only for the host|martian/.test(e.reason)) problems.push(`${tag}: a no-reply without a fix: ${e.reason}`);
  }
  const agreedButFailed = r.code !== 0 && problems.length === 0 && outcomes.every((o) => o.agrees);
  if (agreedButFailed) problems.push(`${g.name}: every case agreed, but explain exited ${r.code}`);
  return { outcomes, problems };
}

/** One case per distinct decision path (verdict + the steps taken), with its state and the kernel's answer. */
function writeFixtures(outcomes: Outcome[]): number {
  const seen = new Set<string>();
  const cases = [];
  for (const o of outcomes) {
    const e = o.record;
    const key = `${e.verdict}|${e.certain}|${e.steps.map((s: { step: string; result: string }) => `${s.step}:${s.result}`).join(',')}|${e.reason.replace(/[\d.]+/g, '#').slice(0, 60)}`;
    if (seen.has(key) || !e.state || !o.agrees) continue;
    seen.add(key);
    const { state, verification, ...rest } = e;
    cases.push({ name: `${o.group}: who-has ${o.tip} tell ${e.inputs.sip}`, request: { tip: e.inputs.tip, sip: e.inputs.sip, ...(e.inputs.ethDst ? { ethDst: e.inputs.ethDst } : {}) }, kernel: verification.observed, predicted: { verdict: rest.verdict, certain: rest.certain, reason: rest.reason }, state });
  }
  writeFileSync(new URL('../fixtures/explain/kernel-cases.json', import.meta.url), `{"recordedOn":${JSON.stringify(outcomes[0]?.record.inputs.kernel)},"cases":[\n${cases.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);
  return cases.length;
}

const POOL = 3;

describe('explain agrees with the kernel (generated cases)', { skip: skipUnlessRoot }, () => {
  const labs: Lab[] = [];
  before(async () => {
    for (let i = 0; i < POOL; i++) {
      const lab = await Lab.create({ prefix: `aiex${'abcdefgh'[i]}`, ...ROUTER });
      labs.push(lab);
      await lab.ip('host', 'addr', 'add', '10.4.0.1', 'peer', '10.4.0.2/32', 'dev', 'd0');
      await lab.ip('host', 'addr', 'add', `${T.hostScope}/32`, 'dev', 'lo', 'scope', 'host');
    }
  });
  after(async () => {
    for (const l of labs) await l.destroy();
  });

  // EXPLAIN_GROUPS=regex runs only the matching groups (debugging).
  const only = process.env.EXPLAIN_GROUPS ? new RegExp(process.env.EXPLAIN_GROUPS) : undefined;
  const groups = generate().filter((g) => !only || only.test(g.name));
  const cases = groups.reduce((n, g) => n + g.tips.length, 0);
  test(`${groups.length} groups, ${cases} cases: prediction = observation`, async () => {
    const record = process.env.EXPLAIN_RECORD_FIXTURES === '1';
    const queue = [...groups];
    const outcomes: Outcome[] = [];
    const problems: string[] = [];
    await Promise.all(
      labs.map(async (lab) => {
        for (let g = queue.shift(); g; g = queue.shift()) {
          const res = await runGroup(lab, g, record);
          outcomes.push(...res.outcomes);
          problems.push(...res.problems);
        }
      }),
    );
    if (process.env.EXPLAIN_VERBOSE === '1') for (const o of outcomes) console.log(`${o.observed.padEnd(8)} ${o.agrees ? 'agree' : 'DISAGREE'}${o.certain ? '' : ' (uncertain)'}  ${o.group}: ${o.tip}  | ${o.record.reason}`);
    assert.deepEqual(problems, []);
    assert.equal(outcomes.length, cases);
    const tally = { reply: outcomes.filter((o) => o.observed === 'reply').length, noReply: outcomes.filter((o) => o.observed === 'no-reply').length, uncertain: outcomes.filter((o) => !o.certain).length };
    if (!only) assert.ok(tally.reply >= 100 && tally.noReply >= 100, `both outcomes are exercised: ${JSON.stringify(tally)}`);
    if (record) console.log(`wrote ${writeFixtures(outcomes)} fixtures`);
  });

  test('a no-reply names the blocking setting and the fix; --expect decides the exit code', async () => {
    const lab = labs[0]!;
    const host = lab.nsName('host');
    await lab.exec('host', ['sysctl', '-q', '-w', ...Object.entries({ ...BASE, 'net.ipv4.conf.d0.proxy_arp': 1, 'net.ipv4.conf.all.rp_filter': 2 }).map(([k, v]) => `${k}=${v}`)]);
    const r = await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--sip', S.unroutable, '--expect', 'reply']);
    assert.equal(r.code, 1, 'expectation not met');
    assert.match(r.stdout, /^NO REPLY: who-has 198\.51\.100\.7 tell 10\.2\.0\.9 on d0/);
    assert.match(r.stdout, /rp_filter=2 \(max of d0=0, all=2\): no route back to the sender 10\.2\.0\.9/);
    assert.match(r.stdout, /to change it: set rp_filter to 0 on both all and d0/);
    const ok = await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--sip', S.onlink, '--expect', 'reply']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /route to 198\.51\.100\.7 from 10\.1\.0\.9 iif d0: 198\.51\.100\.0\/25 via 203\.0\.113\.1 dev o0 \(table main, rule 32766\) ≠ d0/);
    const none = await runCli(host, ['explain', '--iface', 'd0', '--tip', T.same, '--expect', 'no-reply', '--json']);
    assert.equal(none.code, 0);
    assert.equal(none.records[0]?.inputs.sip, '10.1.0.2', 'default sender: the first free address of d0 subnet');
  });

  test('bad input exits 2, a missing interface or peer 3', async () => {
    const host = labs[0]!.nsName('host');
    assert.equal((await runCli(host, ['explain', '--iface', 'd0', '--tip', '1.2.3'])).code, 2);
    assert.equal((await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--expect', 'maybe'])).code, 2);
    assert.equal((await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--eth-dst', 'zz'])).code, 2);
    const missing = await runCli(host, ['explain', '--iface', 'nosuch0', '--tip', T.far, '--sip', S.onlink]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /nosuch0 does not exist/);
    const noPeer = await runCli(host, ['explain', '--iface', 'd0', '--tip', T.far, '--sip', S.onlink, '--verify-from', 'nosuch1', '--json']);
    assert.equal(noPeer.code, 3);
    assert.equal(noPeer.records.at(-1)?.type, 'error');
  });
});
