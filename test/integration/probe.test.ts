/**
 * The probe path against the real kernel: the GRNET testbed (seeds 000/001) in network namespaces,
 * probed with the built CLI. The kernel is the oracle; nothing here is mocked.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../src/lab/lab.js';
import { breakGrnetRoutes, createGrnetLab, segmentSpec, type GrnetLab } from '../../src/lab/topologies.js';
import { Lab as LabClass } from '../../src/lab/lab.js';
import { CLI, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-probe-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TIPS = ['10.0.0.2', '10.0.0.6', '8.8.8.8'];
const tipArgs = TIPS.flatMap((t) => ['--tip', t]);
const byType = (records: Array<Record<string, any>>, type: string) => records.filter((r) => r.type === type);

describe('GRNET testbed: case A then case B', { skip: skipUnlessRoot }, () => {
  let g: GrnetLab;
  let net: string;
  before(async () => {
    g = await createGrnetLab();
    net = g.lab.nsName('net');
  });
  after(async () => g?.lab.destroy());

  test('case A (routes intact): only 10.0.0.2 is answered, by the vlan0 MAC', async () => {
    const r = await runCli(net, ['probe', '--iface', 'bond0', '--sip', '10.0.0.1', ...tipArgs, '--json']);
    assert.equal(r.code, 1, 'not every target answered: exit 1\n' + r.stdout + r.stderr);
    const replies = byType(r.records, 'reply');
    assert.deepEqual(replies.map((x) => [x.ip, x.mac, x.ethSrc]), [['10.0.0.2', g.vlan0Mac, g.vlan0Mac]]);
    assert.ok(replies[0]!.rttMs > 0);
    assert.deepEqual(byType(r.records, 'timeout').map((x) => x.ip).sort(), ['10.0.0.6', '8.8.8.8']);
    const s = r.records.at(-1)!;
    assert.equal(s.type, 'summary');
    assert.deepEqual([s.sent, s.replies, s.answered, s.unanswered, s.unsolicited], [3, 1, 1, 2, 0]);
    assert.equal(s.ok, false);
  });

  test('case A: --expect <vlan0 MAC> for the guest IP passes (exit 0); another MAC fails (exit 1)', async () => {
    const ok = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--expect', g.vlan0Mac, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--expect', '02:00:00:00:00:99', '--json']);
    assert.equal(bad.code, 1);
    const none = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.6', '--expect', 'none', '--json']);
    assert.equal(none.code, 0);
  });

  test('the CI example and the library example run against case A', async () => {
    const env = { ...process.env, ARPINJECT: `${process.execPath} ${CLI}` };
    const script = fileURLToPath(new URL('../../examples/ci-probe.sh', import.meta.url));
    const run = (mac: string) => {
      try {
        return { code: 0, out: execFileSync('ip', ['netns', 'exec', net, 'bash', script, 'bond0', '10.0.0.2', mac, '10.0.0.1'], { env, encoding: 'utf8' }) };
      } catch (e) {
        const err = e as { status: number; stdout: string };
        return { code: err.status, out: err.stdout };
      }
    };
    const good = run(g.vlan0Mac);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /ok: 10\.0\.0\.2 is claimed by/);
    const bad = run('02:00:00:00:00:99');
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, new RegExp(`FAIL: .*${g.vlan0Mac}`));
    const lib = fileURLToPath(new URL('../../examples/library.ts', import.meta.url));
    const out = execFileSync('ip', ['netns', 'exec', net, process.execPath, '--import', 'tsx', lib, 'bond0', '10.0.0.1', '10.0.0.2', '10.0.0.6'], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    assert.match(out, new RegExp(`10\\.0\\.0\\.2 is-at ${g.vlan0Mac}`));
    assert.match(out, /10\.0\.0\.6: no reply/);
  });

  test('--pcap records every frame sent and received; tcpdump -r reads it', async () => {
    const file = join(tmp, 'caseA.pcap');
    const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--tip', '10.0.0.6', '--pcap', file, '--json']);
    assert.equal(r.code, 1);
    const text = execFileSync('tcpdump', ['-r', file, '-nn', '-e'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 3, text);
    assert.match(lines[0]!, /Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
    assert.match(lines[1]!, /Request who-has 10\.0\.0\.6 tell 10\.0\.0\.1/);
    assert.match(lines[2]!, new RegExp(`Reply 10\\.0\\.0\\.2 is-at ${g.vlan0Mac}`));
  });

  test('unicast to the host (--eth-dst) skips proxy_delay: answered while broadcast requests sit in the queue', async () => {
    // 600 s proxy delay: a broadcast who-has will not be answered within the 300 ms timeout (p < 0.001).
    await g.lab.sysctl('host', 'net.ipv4.neigh.vlan0.proxy_delay', 60000);
    try {
      const bcast = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--timeout', '300', '--json']);
      assert.equal(bcast.code, 1, 'broadcast request is queued by proxy_delay');
      const ucast = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--eth-dst', g.vlan0Mac, '--timeout', '300', '--json']);
      assert.equal(ucast.code, 0, 'PACKET_HOST requests are answered at once\n' + ucast.stdout);
    } finally {
      await g.lab.sysctl('host', 'net.ipv4.neigh.vlan0.proxy_delay', 80);
    }
  });

  test('spoofed sender MAC: the reply goes to that MAC and is still captured and paired', async () => {
    const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--sha', '02:de:ad:be:ef:01', '--tip', '10.0.0.2', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rep = byType(r.records, 'reply')[0]!;
    assert.equal(rep.ethDst, '02:de:ad:be:ef:01');
    assert.equal(rep.tha, '02:de:ad:be:ef:01');
  });

  test('bond0 has no IPv4 address: without --sip the error asks for it (exit 2)', async () => {
    const r = await runCli(net, ['--iface', 'bond0', '--tip', '10.0.0.2', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no IPv4 address.*\n.*--sip/);
    assert.equal(r.records.at(-1)!.code, 'ERR_NO_SOURCE_IP');
  });

  test('case B (vlan0 bounced, default route via eth0): 10.0.0.6 and 8.8.8.8 answered by the same MAC', async () => {
    await breakGrnetRoutes(g.lab);
    const r = await runCli(net, ['probe', '--iface', 'bond0', '--sip', '10.0.0.1', ...tipArgs, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const replies = byType(r.records, 'reply');
    assert.deepEqual(replies.map((x) => x.ip).sort(), ['10.0.0.2', '10.0.0.6', '8.8.8.8']);
    for (const x of replies) assert.equal(x.mac, g.vlan0Mac);
    const s = r.records.at(-1)!;
    assert.deepEqual(s.claims, { '10.0.0.2': [g.vlan0Mac], '10.0.0.6': [g.vlan0Mac], '8.8.8.8': [g.vlan0Mac] });
    const human = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '8.8.8.8']);
    assert.match(human.stdout, new RegExp(`reply +8\\.8\\.8\\.8 +is-at ${g.vlan0Mac}`));
    assert.match(human.stdout, /1 target\(s\), 1 sent, 1 replies, 1 answered, 0 unanswered/);
  });
});

describe('one segment, crafted replies', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  before(async () => {
    lab = await LabClass.create(
      segmentSpec({
        hosts: [
          { name: 'h1', addrs: ['10.0.0.5/24'], mac: '02:00:00:00:01:01' },
          { name: 'h2', addrs: ['10.0.0.5/24'], mac: '02:00:00:00:01:02' },
          { name: 'h3', addrs: ['10.0.0.7/24'], mac: '02:00:00:00:01:03' },
        ],
      }),
    );
    net = lab.nsName('net');
  });
  after(async () => lab?.destroy());

  test('two hosts claim one IP: both MACs reported, a conflict, --expect MAC fails', async () => {
    const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.5', '--wait', '500', '--json']);
    assert.equal(r.code, 1, 'an ip-conflict warning fails the default --fail-on warning\n' + r.stdout + r.stderr);
    assert.deepEqual(byType(r.records, 'finding').map((x) => [x.kind, x.severity]), [['ip-conflict', 'warning']]);
    const macs = byType(r.records, 'reply').map((x) => x.mac).sort();
    assert.deepEqual(macs, ['02:00:00:00:01:01', '02:00:00:00:01:02']);
    assert.deepEqual(r.records.at(-1)!.conflicts, ['10.0.0.5']);
    const strict = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.5', '--wait', '500', '--expect', '02:00:00:00:01:01', '--json']);
    assert.equal(strict.code, 1);
    const human = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.5', '--wait', '500']);
    assert.match(human.stdout, /CONFLICT: 10\.0\.0\.5 is claimed by 2 MACs/);
  });

  test('VLAN-tagged probe answered by a tagged reply (our responder on the other end); tcpdump sees the tags', async () => {
    const h3 = lab.nsName('h3');
    const resp = await startCli(h3, ['respond', '--iface', 'eth0', '--claim', '10.0.42.9=02:00:00:00:42:09', '--json']);
    try {
      const file = join(tmp, 'vlan.pcap');
      const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.42.1', '--tip', '10.0.42.9', '--vlan', '42', '--vlan-priority', '3', '--pcap', file, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const rep = byType(r.records, 'reply')[0]!;
      assert.equal(rep.vlan, 42);
      assert.equal(rep.mac, '02:00:00:00:42:09');
      const text = execFileSync('tcpdump', ['-r', file, '-nn', '-e'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      assert.match(text, /vlan 42, p 3, ethertype ARP.*Request who-has 10\.0\.42\.9 tell 10\.0\.42\.1/);
      assert.match(text, /vlan 42, p 3, ethertype ARP.*Reply 10\.0\.42\.9 is-at 02:00:00:00:42:09/);
      const untagged = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.42.1', '--tip', '10.0.42.9', '--timeout', '300', '--json']);
      assert.equal(untagged.code, 0, 'the responder answers untagged requests untagged');
      assert.equal(byType(untagged.records, 'reply')[0]!.vlan, null);
    } finally {
      await stopChild(resp.child);
    }
  });

  test('Ethernet source different from the ARP sender MAC is flagged', async () => {
    const h3 = lab.nsName('h3');
    const resp = await startCli(h3, ['respond', '--iface', 'eth0', '--claim', '10.0.0.77=02:00:00:00:77:77', '--eth-src', '02:00:00:00:66:66', '--json']);
    try {
      const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.77', '--json']);
      assert.equal(r.code, 1, 'an eth-src-mismatch warning fails the default --fail-on warning\n' + r.stdout + r.stderr);
      assert.deepEqual(byType(r.records, 'finding').map((x) => x.kind), ['eth-src-mismatch']);
      const rep = byType(r.records, 'reply')[0]!;
      assert.equal(rep.mac, '02:00:00:00:77:77');
      assert.equal(rep.ethSrc, '02:00:00:00:66:66');
      assert.equal(rep.ethSrcMismatch, true);
      assert.deepEqual(rep.flags, ['eth-src-mismatch']);
    } finally {
      await stopChild(resp.child);
    }
  });

  test('Ctrl-C during the listening window: summary printed, pcap complete, exit 130', async () => {
    const file = join(tmp, 'int.pcap');
    const { spawn } = await import('node:child_process');
    const child = spawn('ip', ['netns', 'exec', net, process.execPath, CLI, '--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.7', '--wait', '20000', '--pcap', file, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('"type":"reply"')) {
        sent = true; // one Ctrl-C: a second one means "leave now"
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130);
    const last = JSON.parse(out.trim().split('\n').at(-1)!);
    assert.equal(last.type, 'summary');
    assert.equal(last.interrupted, true);
    assert.equal(last.answered, 1);
    const text = execFileSync('tcpdump', ['-r', file, '-nn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal(text.trim().split('\n').length, 2, text);
  });
});

describe('exit codes for bad input and a bad environment', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  before(async () => {
    lab = await LabClass.create({ namespaces: ['net', 'peer'], veths: [{ a: { ns: 'net', name: 'bond0' }, b: { ns: 'peer', name: 'eth0' } }] });
    net = lab.nsName('net');
  });
  after(async () => lab?.destroy());

  const usage: Array<[string, string[], RegExp]> = [
    ['bad target IP', ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.256'], /--tip: "10\.0\.0\.256" is not an IPv4 address/],
    ['bad MAC', ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--sha', 'zz:00'], /--sha: "zz:00" is not a MAC address/],
    ['bad number', ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--count', '-3'], /--count: "-3" must be a whole number/],
    ['bad VLAN', ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--vlan', '4095'], /--vlan/],
    ['bad op', ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--op', 'bogus'], /--op/],
    ['bad --expect', ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--expect', 'maybe'], /--expect/],
    ['unknown option', ['--iface', 'bond0', '--tip', '10.0.0.2', '--bogus'], /Unknown argument: bogus/],
    ['missing --tip', ['--iface', 'bond0'], /--tip/],
    ['missing --iface', ['--tip', '10.0.0.2'], /--iface/],
    ['bad interface name', ['--iface', 'a/b', '--sip', '10.0.0.1', '--tip', '10.0.0.2'], /not a valid interface name/],
  ];
  for (const [name, args, msg] of usage) {
    test(`exit 2: ${name}, no stack trace`, async () => {
      const r = await runCli(net, args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '', 'nothing on stdout without --json');
    });
  }

  test('exit 2 with --json also prints an error record', async () => {
    const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', 'x', '--json']);
    assert.equal(r.code, 2);
    assert.deepEqual(r.records.map((x) => [x.type, x.code]), [['error', 'ERR_INVALID_IP']]);
  });

  test('exit 3: interface missing', async () => {
    const r = await runCli(net, ['--iface', 'nosuch0', '--sip', '10.0.0.1', '--tip', '10.0.0.2', '--sha', '02:00:00:00:00:01']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /interface nosuch0 does not exist/);
  });

  test('exit 3: interface down', async () => {
    await lab.ip('net', 'link', 'set', 'bond0', 'down');
    try {
      const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2']);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /interface bond0 is down\n  hint: bring it up: ip link set dev bond0 up/);
    } finally {
      await lab.ip('net', 'link', 'set', 'bond0', 'up');
    }
  });

  test('exit 3: no CAP_NET_RAW (checked before libpcap is touched)', async () => {
    // Root without CAP_NET_RAW/CAP_NET_ADMIN in the bounding set: what a container or a non-root user gets.
    const { execFile } = await import('node:child_process');
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('ip', ['netns', 'exec', net, 'setpriv', '--bounding-set=-net_raw,-net_admin', process.execPath, CLI, '--iface', 'bond0', '--sip', '10.0.0.1', '--tip', '10.0.0.2'], { encoding: 'utf8' }, (err, _o, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 255) : 0, stderr }),
      ),
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no permission to send and capture raw frames on bond0: CAP_NET_RAW is not in this process.s effective set\n  hint: .*dedicated copy of node.*setcap cap_net_raw.*AmbientCapabilities=CAP_NET_RAW/);
  });

  test('exit 0/1 semantics: a reply (peer with the IP) vs none', async () => {
    await lab.ip('peer', 'addr', 'replace', '10.9.0.2/24', 'dev', 'eth0');
    const yes = await runCli(net, ['--iface', 'bond0', '--sip', '10.9.0.1', '--tip', '10.9.0.2']);
    assert.equal(yes.code, 0, yes.stdout + yes.stderr);
    const no = await runCli(net, ['--iface', 'bond0', '--sip', '10.9.0.1', '--tip', '10.9.0.3', '--timeout', '200']);
    assert.equal(no.code, 1);
    assert.match(no.stdout, /timeout 10\.9\.0\.3 +no reply within 200 ms/);
  });

  test('--count/--interval: every request answered and paired with its own seq', async () => {
    await lab.ip('peer', 'addr', 'replace', '10.9.0.2/24', 'dev', 'eth0');
    const r = await runCli(net, ['--iface', 'bond0', '--sip', '10.9.0.1', '--tip', '10.9.0.2', '--count', '3', '--interval', '150', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(byType(r.records, 'reply').map((x) => x.seq), [1, 2, 3]);
    assert.ok(byType(r.records, 'reply').every((x) => x.rttMs < 150), 'each reply pairs with the request just sent, not an earlier one');
    assert.equal(r.records.at(-1)!.sent, 3);
  });
});

