/** sweep against the real kernel: the GRNET host flagged with the kernel's default proxy settings. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { breakGrnetRoutes, createGrnetLab, segmentSpec, type GrnetLab } from '../../src/lab/topologies.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-sweep-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const of = (r: { records: Array<Record<string, any>> }, type: string) => r.records.filter((x) => x.type === type);

describe('sweep: GRNET host', { skip: skipUnlessRoot }, () => {
  let g: GrnetLab;
  let net: string;
  before(async () => {
    g = await createGrnetLab();
    net = g.lab.nsName('net');
  });
  after(async () => g?.lab.destroy());

  test('case A: the proxy answers for its guest only: no finding, exit 0', async () => {
    const r = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.0/29', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(of(r, 'reply').map((x) => [x.ip, x.mac]), [['10.0.0.2', g.vlan0Mac]]);
    assert.deepEqual(of(r, 'finding'), []);
    const s = r.records.at(-1)!;
    assert.deepEqual([s.type, s.targets, s.canaries, s.answered, s.findings, s.ok], ['summary', 6, 3, 1, 0, true]);
    // Human output to a pipe: the table and the summary; no estimate and no bar on stderr.
    const human = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.0/29', '--wait', '200'], { timeoutMs: 60_000 });
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`^10\\.0\\.0\\.2 +${g.vlan0Mac} +[\\d.]+ +\\(locally administered\\)`, 'm'));
    assert.match(human.stdout, /--- bond0: 6 targets \(\+3 canaries\), .* 1 answered, 5 unanswered, 1 responder MAC\(s\), 0 finding\(s\)/);
    assert.doesNotMatch(human.stderr, /sweeping|\[[#.]+\]/);
  });

  test('case B on a /24 with the kernel defaults (proxy_delay 0.8 s, proxy_qlen 64): hijacking called out', async () => {
    assert.equal(await g.lab.readSysctl('host', 'net.ipv4.neigh.vlan0.proxy_delay'), '80');
    assert.equal(await g.lab.readSysctl('host', 'net.ipv4.neigh.vlan0.proxy_qlen'), '64');
    await breakGrnetRoutes(g.lab);
    const r = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.0/24', '--json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 1, 'critical findings: exit 1\n' + r.stderr);
    const f = of(r, 'finding');
    const hijack = f.find((x) => x.kind === 'hijack');
    assert.ok(hijack, JSON.stringify(f));
    assert.equal(hijack.severity, 'critical', 'GRNET case B stays critical');
    assert.equal(hijack.mac, g.vlan0Mac);
    assert.deepEqual([...hijack.evidence.canaries].sort(), ['192.0.2.234', '198.51.100.234', '203.0.113.234']);
    assert.ok(hijack.evidence.onLinkClaimed > 32, `claims ${hijack.evidence.onLinkClaimed} on-link IPs`);
    const s = r.records.at(-1)!;
    // Every address is attributed: the flow-control window keeps fewer requests outstanding than the
    // proxy queue holds (and retries would re-ask anything it dropped).
    assert.equal(s.answered, 254, `answered ${s.answered} of 254 with ${s.sent} requests`);
    assert.equal(s.responders, 1);
    const human = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.0/28', '--fail-on', 'none', '--progress']);
    assert.match(human.stderr, /sweeping 14 target\(s\) \+ 3 canaries/);
    assert.match(human.stderr, /\[#+\] 17\/17 asked/, 'progress bar on stderr when asked for');
    assert.equal(human.code, 0, '--fail-on none');
    // 14 on-link IPs is under the threshold (32): on a /28 the same proxy is only known to answer off-link.
    assert.match(human.stdout, /WARNING +proxy-arp-router/);
    assert.match(human.stdout, new RegExp(`^10\\.0\\.0\\.14 +${g.vlan0Mac}`, 'm'));
  });
});

describe('sweep: one segment, crafted hosts', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  before(async () => {
    lab = await Lab.create(
      segmentSpec({
        hosts: [
          { name: 'h1', addrs: ['10.0.0.5/24'], mac: '02:00:00:00:01:01' },
          { name: 'h2', addrs: ['10.0.0.5/24'], mac: '02:00:00:00:01:02' },
          { name: 'h3', addrs: ['10.0.0.7/24'], mac: '02:00:00:00:01:03' },
          { name: 'h4', addrs: ['10.0.0.8/24'], mac: '02:00:00:00:01:04' },
        ],
      }),
    );
    net = lab.nsName('net');
  });
  after(async () => lab?.destroy());

  test('two hosts claiming one IP: ip-conflict; baseline: unexpected MAC, missing and new host; pcap', async () => {
    const baseline = join(tmp, 'baseline.txt');
    writeFileSync(baseline, '# expected\n10.0.0.5\t02:00:00:00:01:01\t(arp-scan style)\n10.0.0.7 02:00:00:00:01:09\n10.0.0.9 02:00:00:00:01:0a\n');
    const pcap = join(tmp, 'seg.pcap');
    const r = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.4-10', '--no-canaries', '--baseline', baseline, '--pcap', pcap, '--wait', '300', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    const kinds = of(r, 'finding').map((x) => [x.kind, x.severity, x.ips.join()]);
    assert.deepEqual(kinds, [
      ['unexpected-mac', 'critical', '10.0.0.5'], // the expected MAC answers, and so does 02:..:01:02
      ['unexpected-mac', 'critical', '10.0.0.7'],
      ['ip-conflict', 'warning', '10.0.0.5'],
      ['missing-host', 'warning', '10.0.0.9'],
      ['new-host', 'info', '10.0.0.8'],
    ]);
    const text = execFileSync('tcpdump', ['-r', pcap, '-nn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal((text.match(/Reply 10\.0\.0\.5 is-at/g) ?? []).length, 2);
    assert.ok((text.match(/Request who-has 10\.0\.0\.6 tell/g) ?? []).length === 3, 'unanswered target asked 3 times (2 retries)');
  });

  test('Ethernet source != sender MAC and a VLAN-tagged sweep (our responder on the far end)', async () => {
    const h4 = lab.nsName('h4');
    const resp = await startCli(h4, ['respond', '--iface', 'eth0', '--claim', '10.0.42.7=02:00:00:00:42:07', '--claim', '10.0.0.77=02:00:00:00:77:77', '--eth-src', '02:00:00:00:66:66', '--json']);
    try {
      const list = join(tmp, 'targets.txt');
      writeFileSync(list, '# from a file\n10.0.0.77\n');
      const mism = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '--file', list, '--no-canaries', '--progress', '--json'], { timeoutMs: 30_000 });
      assert.match(mism.stderr, /\[#+\] 1\/1 asked/, '--progress forces the bar, on stderr');
      assert.ok(mism.stdout.trim().split('\n').every((l) => l.startsWith('{')), 'stdout stays pure NDJSON');
      assert.equal(mism.code, 1);
      assert.deepEqual(of(mism, 'finding').map((x) => [x.kind, x.mac, x.evidence.ethSrcs]), [['eth-src-mismatch', '02:00:00:00:77:77', ['02:00:00:00:66:66']]]);
      const tagged = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.42.1', '--vlan', '42', '10.0.42.6-8', '--no-canaries', '--fail-on', 'critical', '--json'], { timeoutMs: 30_000 });
      assert.equal(tagged.code, 0, tagged.stderr);
      assert.deepEqual(of(tagged, 'reply').map((x) => [x.ip, x.vlan, x.mac]), [['10.0.42.7', 42, '02:00:00:00:42:07']]);
    } finally {
      await stopChild(resp.child);
    }
  });

  test('bad input exits 2 with a hint; missing interface exits 3', async () => {
    const big = await runCli(net, ['sweep', '--iface', 'bond0', '10.0.0.0/8']);
    assert.equal(big.code, 2);
    assert.match(big.stderr, /16777214 targets is more than the limit of 65536\n  hint: .*--max-targets 16777214/);
    const none = await runCli(net, ['sweep', '--iface', 'bond0']);
    assert.equal(none.code, 2);
    const bad = await runCli(net, ['sweep', '--iface', 'bond0', '10.0.0.0/33']);
    assert.equal(bad.code, 2);
    const missing = await runCli(net, ['sweep', '--iface', 'nosuch0', '--sha', '02:00:00:00:00:01', '--sip', '10.0.0.1', '10.0.0.1']);
    assert.equal(missing.code, 3, missing.stderr);
  });
});

describe('no reply lost to the capture ring', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  before(async () => {
    // One proxy answering at once (proxy_delay 0) for a whole /16 routed elsewhere: replies come back as
    // fast as requests go out.
    lab = await Lab.create({
      namespaces: ['net', 'host', 'far'],
      veths: [
        { a: { ns: 'net', name: 'bond0', addrs: ['10.77.0.1/16'] }, b: { ns: 'host', name: 'eth0' } },
        { a: { ns: 'host', name: 'up0', addrs: ['203.0.113.2/24'] }, b: { ns: 'far', name: 'up0', addrs: ['203.0.113.1/24'] } },
      ],
      sysctls: [
        { ns: 'host', key: 'net.ipv4.conf.eth0.proxy_arp', value: 1 },
        { ns: 'host', key: 'net.ipv4.conf.eth0.forwarding', value: 1 },
        { ns: 'host', key: 'net.ipv4.neigh.eth0.proxy_delay', value: 0 },
      ],
      routes: [{ ns: 'host', route: '10.77.0.0/16 via 203.0.113.1 dev up0' }],
    });
    net = lab.nsName('net');
  });
  after(async () => lab?.destroy());

  test('an unpaced sweep of a /20 gets every reply', async () => {
    const r = await runCli(net, ['sweep', '--iface', 'bond0', '10.77.0.0/20', '--rate', '0', '--retries', '0', '--timeout', '500', '--wait', '0', '--no-canaries', '--fail-on', 'none', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const s = r.records.at(-1)!;
    assert.deepEqual([s.targets, s.sent, s.answered, s.replies], [4094, 4094, 4094, 4094]);
    assert.equal(s.findings, 1, 'one MAC for 4094 IPs: many-ips');
  });

  test('a probe of 300 targets in one round gets every reply', async () => {
    const tips = Array.from({ length: 300 }, (_, i) => ['--tip', `10.77.${1 + (i >> 8)}.${i & 255}`]).flat();
    const r = await runCli(net, ['probe', '--iface', 'bond0', ...tips, '--timeout', '500', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, 'one MAC for 300 on-link IPs is a many-ips warning (exit 1 with the default --fail-on)\n' + r.stderr);
    assert.deepEqual(r.records.filter((x) => x.type === 'finding').map((x) => x.kind), ['many-ips']);
    const s = r.records.at(-1)!;
    assert.deepEqual([s.targets, s.answered, s.unanswered], [300, 300, 0]);
  });
});
