/**
 * Script output against the real kernel and arp-scan: kernel hosts in namespaces on one bridge, MACs
 * set to known prefixes (QEMU, Xen, VMware, Bochs, XEROX, locally administered), two of them on one
 * IP. `sweep --plain` must print arp-scan -x's lines for the same responders.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { segmentSpec } from '../../src/lab/topologies.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-outmodes-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTS = [
  { name: 'h1', addrs: ['10.0.0.5/24'], mac: '52:54:00:12:34:56' }, // QEMU (arp-scan's mac-vendor.txt)
  { name: 'h2', addrs: ['10.0.0.5/24'], mac: '00:16:3e:00:00:02' }, // Xensource (IEEE), same IP: a DUP
  { name: 'h3', addrs: ['10.0.0.7/24'], mac: '02:00:00:00:01:03' }, // locally administered
  { name: 'h4', addrs: ['10.0.0.8/24'], mac: '00:50:56:00:00:04' }, // VMware (IEEE)
  { name: 'h5', addrs: ['10.0.0.9/24'], mac: 'b0:c4:20:00:00:05' }, // Bochs (mac-vendor.txt)
  { name: 'h6', addrs: ['10.0.0.10/24'], mac: '00:00:00:00:00:06' }, // XEROX (IEEE)
];
const RANGE = '10.0.0.4-10.0.0.11';

const run = (ns: string, cmd: string, args: string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout))),
  );
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
/** Lines without the DUP marker (which of two MACs replies second is a race), sorted; and the DUP marks per IP. */
const norm = (ls: string[]) => ({
  lines: ls.map((l) => l.replace(/ \(DUP: \d+\)$/, '')).sort(),
  dups: ls.map((l) => /^(\S+)\t.* \(DUP: (\d+)\)$/.exec(l)).filter((m) => m !== null).map((m) => `${m![1]} ${m![2]}`).sort(),
});

describe('output modes: sweep --plain / --quiet / --format against arp-scan', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  before(async () => {
    lab = await Lab.create(segmentSpec({ hosts: HOSTS }));
    net = lab.nsName('net');
    // arp-scan takes its sender IP from the interface.
    await lab.ip('net', 'addr', 'add', '10.0.0.1/24', 'dev', 'bond0');
  });
  after(async () => lab?.destroy());

  test('--plain: the lines arp-scan -x prints for the same responders (vendor column included)', async () => {
    const theirs = lines(await run(net, 'arp-scan', ['-x', '-I', 'bond0', RANGE]));
    const r = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', RANGE, '--no-canaries', '--plain', '--wait', '300']);
    assert.equal(r.code, 1, `an ip-conflict (warning) fails the default --fail-on\n${r.stderr}`);
    const ours = lines(r.stdout);
    assert.equal(ours.length, 6, r.stdout);
    assert.deepEqual(norm(ours), norm(theirs), `ours:\n${r.stdout}\narp-scan:\n${theirs.join('\n')}`);
    // Not just equal to each other: the names this brief is about.
    assert.deepEqual(norm(ours).lines, [
      '10.0.0.10\t00:00:00:00:00:06\tXEROX CORPORATION',
      '10.0.0.5\t00:16:3e:00:00:02\tXensource, Inc.',
      '10.0.0.5\t52:54:00:12:34:56\tQEMU',
      '10.0.0.7\t02:00:00:00:01:03\t(Unknown: locally administered)',
      '10.0.0.8\t00:50:56:00:00:04\tVMware, Inc.',
      '10.0.0.9\tb0:c4:20:00:00:05\tBochs',
    ]);
    assert.deepEqual(norm(ours).dups, ['10.0.0.5 2']);
    // Findings on stderr, stdout only the lines (a script parsing arp-scan -x reads it as is).
    assert.match(r.stderr, /WARNING +ip-conflict/);
    assert.doesNotMatch(r.stdout, /---|FINDINGS|IP +MAC/);
  });

  test('--quiet: arp-scan -q -x lines with --plain; the summary line without', async () => {
    const theirs = lines(await run(net, 'arp-scan', ['-q', '-x', '-I', 'bond0', RANGE]));
    const qx = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', RANGE, '--no-canaries', '--quiet', '--plain', '--wait', '300', '--fail-on', 'none']);
    assert.equal(qx.code, 0, qx.stderr);
    assert.deepEqual(lines(qx.stdout).sort(), theirs.sort());
    const q = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', RANGE, '--no-canaries', '-q', '--wait', '300', '--fail-on', 'none']);
    const ql = lines(q.stdout);
    assert.deepEqual(ql.slice(0, -1).sort(), theirs.sort());
    assert.match(ql.at(-1)!, /^--- bond0: 8 targets \(\+0 canaries\), .* 6 replies, 5 answered, 3 unanswered, 6 responder MAC\(s\)/);
  });

  test('--format renders every field; probe too; JSON records carry vendor', async () => {
    const f = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.7-10.0.0.9', '--no-canaries', '--wait', '300', '--format', '${IP;-10}|${mac}|${Vendor;14}|${rtt}|${vlan}|${dup}|${hdrmac}|']);
    assert.equal(f.code, 0, f.stderr);
    const rows = lines(f.stdout).sort();
    assert.equal(rows.length, 3, f.stdout);
    const re = /^(\S+) *\|([0-9a-f:]{17})\|(.*)\|(\d+\.\d{3})\|\|\|\|$/;
    const got = rows.map((l) => {
      const m = re.exec(l);
      assert.ok(m, `line shape: ${JSON.stringify(l)}`);
      assert.equal(l.indexOf('|'), 10, 'left-aligned to width 10');
      return [m[1], m[2], m[3]];
    });
    assert.deepEqual(got, [
      ['10.0.0.7', '02:00:00:00:01:03', '(Unknown: locally administered)'],
      ['10.0.0.8', '00:50:56:00:00:04', '  VMware, Inc.'],
      ['10.0.0.9', 'b0:c4:20:00:00:05', '         Bochs'],
    ]);
    // A probe with --count 2: the second reply of each host is its ${dup}.
    const p = await runCli(net, ['probe', '--iface', 'bond0', '--sip', '10.0.0.1', '-t', '10.0.0.8', '--count', '2', '--interval', '100', '--wait', '200', '-F', '${ip} ${mac} ${dup}\\t${vendor}']);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(lines(p.stdout), ['10.0.0.8 00:50:56:00:00:04 \tVMware, Inc.', '10.0.0.8 00:50:56:00:00:04 2\tVMware, Inc.']);
    const bad = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', RANGE, '--format', '${ip} ${nope}']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format: unknown field \$\{nope\}/);
    // JSON: every reply names its vendor, null when none does (schema-checked by runCli).
    const j = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', RANGE, '--no-canaries', '--wait', '300', '--json', '--fail-on', 'none']);
    const byMac = Object.fromEntries(j.records.filter((x) => x.type === 'reply').map((x) => [x.mac, x.vendor]));
    assert.deepEqual(byMac, {
      '52:54:00:12:34:56': 'QEMU',
      '00:16:3e:00:00:02': 'Xensource, Inc.',
      '02:00:00:00:01:03': null,
      '00:50:56:00:00:04': 'VMware, Inc.',
      'b0:c4:20:00:00:05': 'Bochs',
      '00:00:00:00:00:06': 'XEROX CORPORATION',
    });
    const pj = await runCli(net, ['probe', '--iface', 'bond0', '--sip', '10.0.0.1', '-t', '10.0.0.9', '--wait', '100', '--json']);
    assert.equal(pj.records.find((x) => x.type === 'reply')?.vendor, 'Bochs');
  });

  test('--vendor-file: its names win, bad lines are warnings with their line number', async () => {
    const file = join(tmp, 'names.txt');
    writeFileSync(file, '# lab names\n52:54:00:12\tlab VM\n00:50:56\tMy VMware\nnot-a-prefix\tx\n');
    const r = await runCli(net, ['sweep', '--iface', 'bond0', '--sip', '10.0.0.1', '10.0.0.5-10.0.0.8', '--no-canaries', '--wait', '300', '--plain', '--fail-on', 'none', '--vendor-file', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(norm(lines(r.stdout)).lines, [
      '10.0.0.5\t00:16:3e:00:00:02\tXensource, Inc.',
      '10.0.0.5\t52:54:00:12:34:56\tlab VM',
      '10.0.0.7\t02:00:00:00:01:03\t(Unknown: locally administered)',
      '10.0.0.8\t00:50:56:00:00:04\tMy VMware',
    ]);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:4: \\\\"not-a-prefix\\\\" is not a MAC prefix`));
    // arp-scan reads the same file (-m), and agrees where its rules are ours (longest prefix wins).
    const theirs = lines(await run(net, 'arp-scan', ['-x', '-I', 'bond0', '-m', file, '10.0.0.5']));
    assert.ok(theirs.some((l) => l.startsWith('10.0.0.5\t52:54:00:12:34:56\tlab VM')), theirs.join('\n'));
    // watch records carry the same vendor (of sha), from a capture of the same hosts.
    const pcap = join(tmp, 'watch.pcap');
    await runCli(net, ['probe', '--iface', 'bond0', '--sip', '10.0.0.1', '-t', '10.0.0.8', '--wait', '100', '--pcap', pcap, '--json']);
    const w = await runCli(undefined, ['watch', '--read', pcap, '--json', '--vendor-file', file]);
    const arp = w.records.filter((x) => x.type === 'arp');
    assert.deepEqual(arp.map((x) => [x.op, x.sha === '00:50:56:00:00:04' ? x.vendor : 'other']).filter(([op]) => op === 'reply'), [['reply', 'My VMware']]);
  });
});
