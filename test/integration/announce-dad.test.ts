/**
 * announce, dad and probe's timing options against the real kernel, in lab namespaces:
 *
 *   [a] a0 10.77.0.1/24 ==veth== b0 10.77.0.2/24 [b]
 *
 * Ground truth: tcpdump in b (what the wire carried), b's neighbour table (`ip -n b neigh`), b's
 * kernel answering RFC 5227 probes for its own address, and Habets arping -0 (sender IP 0.0.0.0)
 * as a second opinion. iputils `arping -D` is not used: installing iputils-arping removes the Habets
 * arping the rest of the suite needs (`apt-get install -s iputils-arping` says so).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { runCli, startCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';
import { startTcpdump } from '../helpers/tcpdump.js';

const A_IP = '10.77.0.1';
const B_IP = '10.77.0.2';
const FREE_IP = '10.77.0.50';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const byType = (records: Array<Record<string, any>>, type: string) => records.filter((r) => r.type === type);

/** tcpdump in ns on iface, text lines with epoch stamps and link headers. */
async function tcpdump(lab: Lab, ns: string, iface: string, filter = 'arp') {
  const t = await startTcpdump(lab, ns, ['-l', '-i', iface, '-nn', '-e', '-tt', filter]);
  return { stop: async (): Promise<string[]> => (await t.stop()).lines };
}

describe('announce, dad and probe timing on a kernel link', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let a: string;
  let bMac: string;
  before(async () => {
    lab = await Lab.create({
      namespaces: ['a', 'b'],
      veths: [{ a: { ns: 'a', name: 'a0', addrs: [`${A_IP}/24`] }, b: { ns: 'b', name: 'b0', addrs: [`${B_IP}/24`] } }],
    });
    a = lab.nsName('a');
    bMac = await lab.mac('b', 'b0');
  });
  after(async () => lab?.destroy());

  test('announce: tcpdump sees a gratuitous request (sender IP = target IP, to broadcast); exit 0, no claim', async () => {
    const aMac = await lab.mac('a', 'a0');
    const td = await tcpdump(lab, 'b', 'b0');
    const r = await runCli(a, ['announce', '--iface', 'a0', '--ip', A_IP, '--count', '2', '--interval', '0.2', '--listen', '0.3', '--json']);
    const lines = await td.stop();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ours = lines.filter((l) => l.includes(aMac));
    assert.equal(ours.length, 2, lines.join('\n'));
    for (const l of ours) {
      assert.match(l, new RegExp(`${aMac} > ff:ff:ff:ff:ff:ff, ethertype ARP`));
      assert.match(l, new RegExp(`Request who-has ${A_IP.replace(/\./g, '\\.')} tell ${A_IP.replace(/\./g, '\\.')}`), l);
    }
    const gap = Number(ours[1]!.split(' ')[0]) - Number(ours[0]!.split(' ')[0]);
    assert.ok(gap > 0.15 && gap < 0.35, `--interval 0.2 s: the wire shows ${gap.toFixed(3)} s`);
    const s = r.records.at(-1)!;
    assert.deepEqual([s.type, s.sent, s.announce, s.conflicts, s.ok, byType(r.records, 'claim').length, byType(r.records, 'timeout').length], ['summary', 2, 'request', [], true, 0, 0]);
  });

  test('announce --mac: the neighbour entry b holds for the address moves to the announced MAC (request and --reply)', async () => {
    for (const [mac, extra] of [
      ['02:00:00:77:00:22', []],
      ['02:00:00:77:00:33', ['--reply']],
    ] as const) {
      await lab.ip('b', 'neigh', 'replace', A_IP, 'lladdr', '02:00:00:77:00:11', 'dev', 'b0', 'nud', 'stale');
      assert.match(await lab.ip('b', 'neigh', 'show', A_IP, 'dev', 'b0'), /lladdr 02:00:00:77:00:11/);
      const r = await runCli(a, ['announce', '--iface', 'a0', '--ip', A_IP, '--mac', mac, '--listen', '0.2', ...extra, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const after = await lab.ip('b', 'neigh', 'show', A_IP, 'dev', 'b0');
      assert.match(after, new RegExp(`lladdr ${mac}`), `after announce ${extra.join(' ')}: ${after}`);
    }
  });

  test('announce: another MAC answering for the address is a claim, an ip-conflict finding, exit 1', async () => {
    const CLAIMER = '02:00:00:77:00:99';
    const responder = await startCli(lab.nsName('b'), ['respond', '--iface', 'b0', '--claim', `10.77.0.9=${CLAIMER}`, '--json']);
    try {
      const r = await runCli(a, ['announce', '--iface', 'a0', '--ip', '10.77.0.9', '--listen', '0.5', '--json']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const claims = byType(r.records, 'claim');
      assert.deepEqual(claims.map((c) => [c.mac, c.how, c.vendor]), [[CLAIMER, 'reply', null]]);
      const f = byType(r.records, 'finding');
      assert.deepEqual(f.map((x) => [x.kind, x.mac, x.ips]), [['ip-conflict', CLAIMER, ['10.77.0.9']]]);
      assert.deepEqual(r.records.at(-1)!.conflicts, [CLAIMER]);
      const human = await runCli(a, ['announce', '--iface', 'a0', '--ip', '10.77.0.9', '--listen', '0.5']);
      assert.equal(human.code, 1);
      assert.match(human.stdout, new RegExp(`CONFLICT: 10\\.77\\.0\\.9 is also claimed by ${CLAIMER}`));
    } finally {
      responder.child.kill('SIGTERM');
    }
  });

  test('a Linux owner stays silent on a gratuitous ARP for its own address (announce cannot see it; dad can)', async () => {
    // arp_process drops it: the sender IP is local to b (a martian source), so b neither answers nor defends.
    const r = await runCli(a, ['announce', '--iface', 'a0', '--ip', B_IP, '--listen', '0.5', '--json']);
    assert.deepEqual([r.code, r.records.at(-1)!.conflicts], [0, []], r.stdout + r.stderr);
    const d = await runCli(a, ['dad', '--iface', 'a0', '--ip', B_IP, '--fast', '--json']);
    assert.deepEqual([d.code, d.records.at(-1)!.by], [1, [bMac]]);
  });

  test('dad: a free address is exit 0, one a kernel host owns is exit 1 naming its MAC; Habets arping -0 agrees', async () => {
    const free = await runCli(a, ['dad', '--iface', 'a0', '--ip', FREE_IP, '--fast', '--json']);
    assert.equal(free.code, 0, free.stdout + free.stderr);
    const fs = free.records.at(-1)!;
    assert.deepEqual([fs.inUse, fs.sent, fs.ok, fs.by], [false, 3, true, []]);
    const taken = await runCli(a, ['dad', '--iface', 'a0', '--ip', B_IP, '--fast', '--json']);
    assert.equal(taken.code, 1, taken.stdout + taken.stderr);
    const ts = taken.records.at(-1)!;
    assert.deepEqual([ts.inUse, ts.by, ts.ok], [true, [bMac], false]);
    // The kernel's own answer: b replied to the probe (RFC 5227's sender 0.0.0.0 case in arp_process).
    assert.deepEqual(byType(taken.records, 'claim').map((c) => [c.mac, c.how, c.op]), [[bMac, 'reply', 2]]);
    const human = await runCli(a, ['dad', '--iface', 'a0', '--ip', B_IP, '--fast']);
    assert.equal(human.code, 1);
    assert.match(human.stdout, new RegExp(`10\\.77\\.0\\.2 is IN USE: claimed by ${bMac}`));
    // Second opinion: Habets arping, probing from 0.0.0.0 as dad does (exit 0 = answered).
    const ref = async (ip: string) => (await lab.exec('a', ['arping', '-q', '-0', '-i', 'a0', '-c', '2', '-w', '2', ip], { allowFail: true })).code;
    assert.deepEqual([await ref(FREE_IP), await ref(B_IP)], [1, 0], 'arping -0: no answer for the free address, an answer for the owned one');
  });

  test('dad with the RFC 5227 timings: 3 probes from 0.0.0.0 on the wire 1-2 s apart, 4-7 s in all', async (t) => {
    const aMac = await lab.mac('a', 'a0');
    const td = await tcpdump(lab, 'b', 'b0');
    const r = await runCli(a, ['dad', '--iface', 'a0', '--ip', FREE_IP, '--json']);
    const lines = (await td.stop()).filter((l) => l.includes(aMac));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(lines.length, 3, lines.join('\n'));
    for (const l of lines) assert.match(l, /Request who-has 10\.77\.0\.50 tell 0\.0\.0\.0/);
    const at = lines.map((l) => Number(l.split(' ')[0]));
    for (let k = 1; k < 3; k++) assert.ok(at[k]! - at[k - 1]! >= 0.95 && at[k]! - at[k - 1]! <= 2.05, `gap ${at[k]! - at[k - 1]!}`);
    const s = r.records.at(-1)!;
    t.diagnostic(`probes on the wire at +${at.map((x) => (x - at[0]!).toFixed(3)).join(', +')} s; dad took ${s.durationMs} ms`);
    assert.ok(s.durationMs >= 4000 && s.durationMs <= 7200, `durationMs ${s.durationMs}`);
  });

  test('probe --count 0 --until-replies 2 stops after 2 replies; --deadline 1 ends in about 1 s with the summary', async (t) => {
    const r = await runCli(a, ['probe', '--iface', 'a0', '--tip', B_IP, '--count', '0', '--interval', '0.2s', '--until-replies', '2', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = r.records.at(-1)!;
    assert.deepEqual([s.type, s.replies, s.sent, s.stoppedBy, s.received, s.lossPct], ['summary', 2, 2, 'until-replies', 2, 0]);
    assert.ok(s.durationMs < 1000, `2 replies at 0.2 s: ${s.durationMs} ms`);

    const t0 = Date.now();
    const d = await runCli(a, ['probe', '--iface', 'a0', '--tip', B_IP, '--count', '0', '--interval', '0.2s', '--deadline', '1']);
    const wall = Date.now() - t0;
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.match(d.stdout, /requests transmitted, \d+ answered, [\d.]+% loss \(stopped by --deadline\)/);
    assert.match(d.stdout, /rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
    const dj = await runCli(a, ['probe', '--iface', 'a0', '--tip', B_IP, '--count', '0', '--interval', '200', '--deadline', '1', '--json']);
    const ds = dj.records.at(-1)!;
    assert.equal(ds.stoppedBy, 'deadline');
    assert.ok(ds.durationMs >= 990 && ds.durationMs < 1100, `durationMs ${ds.durationMs}`);
    assert.ok(ds.sent >= 5 && ds.sent <= 6, `sent ${ds.sent} at 0.2 s in 1 s`);
    assert.ok(wall < 3000, `the whole CLI run took ${wall} ms`);
    t.diagnostic(`--until-replies 2: ${s.durationMs} ms; --deadline 1: durationMs ${ds.durationMs}, ${ds.sent} sent, CLI wall ${wall} ms`);
  });

  test('probe --count 0: SIGINT still prints the summary (exit 130); running statistics on stderr', async () => {
    const { child, output } = await startCli(a, ['probe', '--iface', 'a0', '--tip', B_IP, '--count', '0', '--interval', '0.2s', '--json'], /"type":"reply"/);
    await sleep(800);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    assert.equal(code, 130);
    const last = JSON.parse(output().trim().split('\n').at(-1)!);
    assert.equal(last.type, 'summary');
    assert.equal(last.interrupted, true);
    assert.ok(last.sent >= 4, `sent ${last.sent}`);
    // Human output: a ping-style line on stderr every second while it runs (stdout keeps the records).
    const h = await runCli(a, ['probe', '--iface', 'a0', '--tip', B_IP, '--count', '0', '--interval', '0.25s', '--deadline', '2.5']);
    const stats = h.stderr.split('\n').filter((l) => /^a0: \d+ sent, \d+ received, [\d.]+% loss, rtt min\/avg\/max\/mdev = /.test(l));
    assert.equal(stats.length, 2, h.stderr);
    assert.doesNotMatch(h.stdout, /% loss, rtt/);
  });
});
