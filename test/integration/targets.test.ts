/**
 * Issue 12, targets: sweep --localnet against arp-scan -l, --limit, --sip dest / --tha / --op on the
 * wire (tcpdump), respond --vlan with arpinject's own tagged probe on the other end of a veth, and
 * host names resolved by the system resolver (a hosts file for the test's namespace only).
 * Every frame stays inside the namespaces this file creates.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { segmentSpec, waitOperUp } from '../../src/lab/topologies.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';
import { startTcpdump } from '../helpers/tcpdump.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-targets-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const of = (r: { records: Array<Record<string, any>> }, type: string) => r.records.filter((x) => x.type === type);

/** tcpdump -e -l (text, one line a frame) on ns:iface; stop() ends it and returns its lines. */
async function tcpdumpText(lab: Lab, ns: string, iface: string, filter = 'arp or (vlan and arp)') {
  const t = await startTcpdump(lab, ns, ['-l', '-e', '-nn', '-i', iface, ...filter.split(' ')], 300);
  return { stop: async (): Promise<string[]> => (await t.stop()).lines };
}

/** `IP<tab>MAC` lines of arp-scan --plain, as a sorted list of "IP MAC". */
const arpScanPairs = (stdout: string): string[] =>
  stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f[0] ?? ''))
    .map((f) => `${f[0]} ${f[1]}`)
    .sort();

const HOSTS = [11, 12, 13, 14, 15, 16].map((n) => ({ name: `h${n}`, addrs: [`10.0.0.${n}/24`], mac: `02:00:00:00:0c:${n.toString(16).padStart(2, '0')}` }));
const MAC_OF = (n: number) => `02:00:00:00:0c:${n.toString(16).padStart(2, '0')}`;

describe('sweep targets on one segment: six kernel hosts on 10.0.0.0/24, one on 10.9.0.0/28', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  before(async () => {
    const spec = segmentSpec({ hosts: [...HOSTS, { name: 'h95', addrs: ['10.9.0.5/28'], mac: '02:00:00:00:09:05' }] });
    spec.prefix = 'ait';
    spec.veths![0]!.a.addrs = ['10.0.0.1/24'];
    lab = await Lab.create(spec);
    net = lab.nsName('net');
    await waitOperUp(lab, 'net', 'bond0');
  });
  after(async () => lab?.destroy());

  test('sweep -l finds the responders arp-scan -l -I bond0 finds; a second subnet on the interface is swept too (the union)', async (t) => {
    const scan = await lab.exec('net', ['arp-scan', '-l', '-I', 'bond0', '--plain', '--retry', '3'], { timeoutMs: 60_000 });
    const theirs = arpScanPairs(scan.stdout);
    assert.deepEqual(theirs, HOSTS.map((h) => `${h.addrs[0]!.split('/')[0]} ${h.mac}`).sort(), `arp-scan -l saw:\n${scan.stdout}`);
    const r = await runCli(net, ['sweep', '-i', 'bond0', '-l', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const ours = [...new Set(of(r, 'reply').map((x) => `${x.ip} ${x.mac}`))].sort();
    assert.deepEqual(ours, theirs, 'the same responders as arp-scan -l');
    const s = r.records.at(-1)!;
    assert.deepEqual([s.targets, s.answered, s.notAsked, s.limitReached], [254, 6, 0, false], '10.0.0.0/24 without its network and broadcast addresses');
    t.diagnostic(`sweep -l: ${s.targets} targets, ${s.sent} sent, ${s.answered} answered in ${Math.round(s.durationMs)} ms; arp-scan -l: ${theirs.length} responders`);
    // A second subnet on bond0: -l sweeps both (arp-scan -l reads the interface's first address only).
    await lab.ip('net', 'addr', 'add', '10.9.0.1/28', 'dev', 'bond0');
    try {
      const both = await runCli(net, ['sweep', '-i', 'bond0', '--localnet', '--wait', '200'], { timeoutMs: 60_000 });
      assert.equal(both.code, 0, both.stderr);
      assert.match(both.stderr, /^--localnet: 10\.0\.0\.0\/24, 10\.9\.0\.0\/28 on bond0$/m);
      assert.match(both.stdout, /^10\.9\.0\.5 +02:00:00:00:09:05/m);
      assert.match(both.stdout, /--- bond0: 268 targets/, '254 + 14');
      for (const h of HOSTS) assert.match(both.stdout, new RegExp(`^${h.addrs[0]!.split('/')[0]!.replace(/\./g, '\\.')} +${h.mac}`, 'm'));
      // With explicit targets: the union (198.51.100.7 is off every subnet; it adds one target).
      const union = await runCli(net, ['sweep', '-i', 'bond0', '-l', '198.51.100.7', '--no-canaries', '--json', '--wait', '200'], { timeoutMs: 60_000 });
      assert.equal(union.records.at(-1)!.targets, 269);
    } finally {
      await lab.ip('net', 'addr', 'del', '10.9.0.1/28', 'dev', 'bond0');
    }
  });

  test('--limit 3 stops after the third responder: the wire (tcpdump) saw only what was sent; no missing-host for targets never asked', async (t) => {
    const baseline = join(tmp, 'baseline.txt');
    writeFileSync(baseline, [...HOSTS.map((h) => `${h.addrs[0]!.split('/')[0]} ${h.mac}`), '10.0.0.200 02:00:00:00:0c:c8'].join('\n') + '\n');
    const td = await tcpdumpText(lab, 'net', 'bond0', 'arp');
    const r = await runCli(net, ['sweep', '-i', 'bond0', '10.0.0.0/24', '--limit', '3', '--baseline', baseline, '--json'], { timeoutMs: 60_000 });
    const lines = await td.stop();
    assert.equal(r.code, 0, r.stderr);
    const s = r.records.at(-1)!;
    assert.equal(s.limitReached, true);
    assert.equal(s.limit, 3);
    assert.equal(s.answered, 3);
    assert.deepEqual(of(r, 'reply').filter((x) => !x.flags.includes('canary')).map((x) => x.ip), ['10.0.0.11', '10.0.0.12', '10.0.0.13']);
    const requests = lines.filter((l) => /Request who-has/.test(l) && /tell 10\.0\.0\.1,/.test(l));
    assert.equal(requests.length, s.sent, `tcpdump saw ${requests.length} requests, the summary says ${s.sent}`);
    t.diagnostic(`--limit 3: ${s.sent} sent (tcpdump: ${requests.length}), ${s.notAsked} not asked, stopped after ${Math.round(s.durationMs)} ms`);
    assert.ok(s.sent <= 3 + 13 + 2, `stopped at once: ${s.sent} sent (3 canaries, .1-.13, and at most a batch more)`);
    assert.equal(s.notAsked, 254 - (s.sent - 3));
    assert.equal(s.unanswered, 254 - s.notAsked - 3);
    // Nothing asked after the limit was reached, by the wire's clock: the third target's reply is the
    // limit; a request in the same batch as .13's (sent before that reply existed) is not "after".
    // 1 ms of grace for the reply's way from the ring to the engine (a tick is 2 ms at 500 pps).
    const at = (l: string): number => {
      const m = /^(\d+):(\d+):(\d+\.\d+)/.exec(l);
      return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : NaN;
    };
    const third = lines.find((l) => /Reply 10\.0\.0\.13 is-at/.test(l));
    assert.ok(third !== undefined && !Number.isNaN(at(third)), 'tcpdump saw the third reply, with its time');
    const late = requests.filter((l) => at(l) > at(third!) + 1);
    const after13 = requests.filter((l) => at(l) > at(third!));
    t.diagnostic(`requests on the wire after the third reply: ${after13.map((l) => `${/who-has (\S+)/.exec(l)?.[1]} +${(at(l) - at(third!)).toFixed(3)} ms`).join(', ') || 'none'}`);
    assert.deepEqual(late, [], 'nothing asked after the limit was reached');
    const kinds = of(r, 'finding').map((f) => f.kind);
    assert.ok(!kinds.includes('missing-host'), `findings: ${kinds.join(', ')}`);
    // Human output: the summary says it stopped early. Fewer answered than the limit: exit 1 (arp-scan's rule).
    const human = await runCli(net, ['sweep', '-i', 'bond0', '10.0.0.8-20', '-M', '4', '--no-canaries'], { timeoutMs: 60_000 });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /LIMIT REACHED: stopped early after 4 answered, \d+ not asked ---/);
    const short = await runCli(net, ['sweep', '-i', 'bond0', '10.0.0.8-20', '--limit', '10', '--no-canaries', '--retries', '0', '--wait', '200'], { timeoutMs: 60_000 });
    assert.equal(short.code, 1, short.stdout + short.stderr);
    assert.match(short.stdout, /^limit 10: only 6 target\(s\) answered$/m);
  });

  test('--sip dest: every request on the wire says "who-has X tell X" (as arp-scan --arpspa=dest); --tha and --op in the body; net:mask targets; --bandwidth 1M', async () => {
    const td = await tcpdumpText(lab, 'net', 'bond0', 'arp');
    const r = await runCli(net, ['sweep', '-i', 'bond0', '10.0.0.8:255.255.255.248', '--sip', 'dest', '--tha', 'ff:ff:ff:ff:ff:ff', '--no-canaries', '--retries', '0', '--wait', '300', '--bandwidth', '1M', '--json'], { timeoutMs: 60_000 });
    const ours = await td.stop();
    assert.ok([0, 1].includes(r.code), r.stderr);
    const s = r.records.at(-1)!;
    assert.deepEqual([s.sip, s.targets, s.sent], ['dest', 6, 6]);
    assert.equal(s.ratePps, 1_000_000 / 512, '--bandwidth 1M: 1,000,000 bit/s / 512 bits a request');
    const asked = ours.filter((l) => /Request who-has/.test(l));
    assert.equal(asked.length, 6, ours.join('\n'));
    for (const l of asked) {
      const m = /who-has (\S+) \(ff:ff:ff:ff:ff:ff\) tell (\S+),/.exec(l);
      assert.ok(m, `tha on the wire: ${l}`);
      assert.equal(m[1], m[2], `sender IP = target IP: ${l}`);
    }
    assert.deepEqual(asked.map((l) => /who-has (\S+)/.exec(l)![1]).sort(), ['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14', '10.0.0.9']);
    // arp-scan's own --arpspa=dest puts the same sender IP on the wire.
    const td2 = await tcpdumpText(lab, 'net', 'bond0', 'arp');
    await lab.exec('net', ['arp-scan', '-I', 'bond0', '--arpspa=dest', '--retry', '1', '--plain', '10.0.0.11', '10.0.0.12'], { timeoutMs: 30_000 });
    const theirs = (await td2.stop()).filter((l) => /Request who-has/.test(l));
    assert.ok(theirs.length >= 2, theirs.join('\n'));
    for (const l of theirs) {
      const m = /who-has (\S+) tell (\S+),/.exec(l);
      assert.ok(m && m[1] === m[2], l);
    }
    // --op: the opcode on the wire (tcpdump names 1 and 2).
    const td3 = await tcpdumpText(lab, 'net', 'bond0', 'arp');
    const op = await runCli(net, ['sweep', '-i', 'bond0', '10.0.0.11', '--op', 'reply', '--sip', '10.0.0.1', '--no-canaries', '--retries', '0', '--wait', '100', '--fail-on', 'none'], { timeoutMs: 30_000 });
    const replies = (await td3.stop()).filter((l) => /Reply 10\.0\.0\.1 is-at/.test(l));
    assert.equal(op.code, 0, op.stderr);
    assert.equal(replies.length, 1, 'one ARP reply frame sent');
  });

  test('host names: resolved once by the system resolver (a hosts file for this namespace only), the records carry the IP', async () => {
    // `ip netns exec NS` bind-mounts /etc/netns/NS/hosts over /etc/hosts: the machine's own file is untouched.
    const dir = `/etc/netns/${net}`;
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n10.0.0.12 web12.lab.test\n10.0.0.13 db13.lab.test\n');
      const names = join(tmp, 'names.txt');
      writeFileSync(names, '# by name\ndb13.lab.test\n');
      const r = await runCli(net, ['sweep', '-i', 'bond0', 'web12.lab.test', '--file', names, '--no-canaries', '--wait', '200'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^resolved web12\.lab\.test to 10\.0\.0\.12$/m);
      assert.match(r.stderr, /^resolved db13\.lab\.test to 10\.0\.0\.13$/m);
      assert.match(r.stdout, /^10\.0\.0\.12 +02:00:00:00:0c:0c/m);
      assert.match(r.stdout, /^10\.0\.0\.13 +02:00:00:00:0c:0d/m);
      const p = await runCli(net, ['probe', '-i', 'bond0', '--tip', 'web12.lab.test', '--sip', '10.0.0.1', '--wait', '100', '--json'], { timeoutMs: 30_000 });
      assert.equal(p.code, 0, p.stderr);
      assert.deepEqual(of(p, 'reply').map((x) => [x.ip, x.mac]), [['10.0.0.12', MAC_OF(12)]]);
      const bad = await runCli(net, ['probe', '-i', 'bond0', '--tip', 'nosuch.lab.test', '--sip', '10.0.0.1'], { timeoutMs: 30_000 });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--tip: "nosuch\.lab\.test" is not an IPv4 address, and it does not resolve as a host name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('probe --file: targets from a file and from stdin (-)', async () => {
    const f = join(tmp, 'tips.txt');
    writeFileSync(f, '# two hosts\n10.0.0.11\n\n10.0.0.14 # and one more\n');
    const r = await runCli(net, ['probe', '-i', 'bond0', '--file', f, '--sip', '10.0.0.1', '--wait', '100', '--json'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(of(r, 'reply').map((x) => x.ip).sort(), ['10.0.0.11', '10.0.0.14']);
    assert.equal(r.records.at(-1)!.targets, 2);
  });
});

describe('respond --vlan 90: tagged requests on VLAN 90 answered, untagged and other VLANs ignored', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ prefix: 'aiv', namespaces: ['resp', 'asker'], veths: [{ a: { ns: 'resp', name: 'r0' }, b: { ns: 'asker', name: 'a0', mac: '02:00:00:00:0a:01' } }] });
    await waitOperUp(lab, 'asker', 'a0');
  });
  after(async () => lab?.destroy());

  test("arpinject's own probe --vlan 90 on the other end gets a reply tagged 90; untagged and --vlan 91 get none (tcpdump -e shows the tags)", async () => {
    const resp = await startCli(lab.nsName('resp'), ['respond', '-i', 'r0', '--claim', '10.0.0.9=02:00:00:00:00:09', '--vlan', '90', '--json']);
    const td = await tcpdumpText(lab, 'asker', 'a0', 'arp or (vlan and arp)');
    const asker = lab.nsName('asker');
    try {
      const tagged = await runCli(asker, ['probe', '-i', 'a0', '--tip', '10.0.0.9', '--sip', '10.0.0.1', '--vlan', '90', '--wait', '300', '--json']);
      assert.equal(tagged.code, 0, tagged.stderr);
      assert.deepEqual(of(tagged, 'reply').map((x) => [x.ip, x.mac, x.vlan]), [['10.0.0.9', '02:00:00:00:00:09', 90]]);
      const untagged = await runCli(asker, ['probe', '-i', 'a0', '--tip', '10.0.0.9', '--sip', '10.0.0.1', '--wait', '300', '--expect', 'none', '--json']);
      assert.equal(untagged.code, 0, 'nobody answered the untagged request\n' + untagged.stdout);
      assert.deepEqual(of(untagged, 'reply'), []);
      const other = await runCli(asker, ['probe', '-i', 'a0', '--tip', '10.0.0.9', '--sip', '10.0.0.1', '--vlan', '91', '--wait', '300', '--expect', 'none']);
      assert.equal(other.code, 0, other.stdout);
    } finally {
      const lines = await td.stop();
      const code = await stopChild(resp.child);
      const out = resp.output();
      const answers = out.split('\n').filter((l) => l.includes('"type":"answer"'));
      assert.equal(answers.length, 1, out);
      assert.match(answers[0]!, /"vlan":90/);
      assert.match(out, /"type":"ready".*"vlans":\[90\]/);
      assert.equal(code, 0);
      // The wire: requests tagged 90 and 91 and one untagged; one reply, tagged 90.
      const req = (re: RegExp) => lines.filter((l) => /Request who-has 10\.0\.0\.9/.test(l) && re.test(l));
      assert.equal(req(/vlan 90,/).length, 1, lines.join('\n'));
      assert.equal(req(/vlan 91,/).length, 1, lines.join('\n'));
      assert.equal(lines.filter((l) => /Request who-has 10\.0\.0\.9/.test(l) && !/vlan \d+/.test(l)).length, 1, lines.join('\n'));
      const replies = lines.filter((l) => /Reply 10\.0\.0\.9 is-at 02:00:00:00:00:09/.test(l));
      assert.equal(replies.length, 1, lines.join('\n'));
      assert.match(replies[0]!, /vlan 90,/);
    }
  });
});
