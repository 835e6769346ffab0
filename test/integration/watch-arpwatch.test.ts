/**
 * watch as arpwatch's successor, on a hub of kernel hosts (issue 13's proofs):
 *  - the classic spoof (an unsolicited reply moving an active station to an attacker's MAC) is a
 *    mac-changed warning, exit 1 with --fail-on warning; the same MAC taking the gateway is critical;
 *  - an off-subnet reply and an off-subnet sender are bogons (subnets from the interface), a DAD
 *    probe is not;
 *  - a restart with --state raises no new-station for known stations, one for a new host;
 *  - the same IP on VLAN 10 and VLAN 20 (a trunk) is two stations, no flip-flop;
 *  - live == --read of tcpdump's capture == tcpdump -r | watch --read - (same findings, same counters);
 *  - watch runs with CAP_NET_RAW as its only capability (the systemd unit's claim).
 * The hub is a bridge with ageing 0 (it floods unicast too, as a SPAN port would); the watcher's own
 * host has an address in 10.77.0.0/24 and a default route via the gateway 10.77.0.1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { CLI, parseNdjson, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';
import { startTcpdump } from '../helpers/tcpdump.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-arpwatch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Rec = Record<string, any>;
const findings = (records: Rec[], skipNew = true) => records.filter((r) => r.type === 'finding' && (!skipNew || r.kind !== 'new-station'));
const keys = (records: Rec[]) => findings(records, false).map((r) => `${r.kind}:${r.severity}:${r.mac}:${r.ips.join(',')}:${r.vlan}`);
const COUNTERS = ['arp', 'requests', 'replies', 'otherOps', 'gratuitous', 'paired', 'malformed', 'findings', 'findingsByKind', 'suppressedByKind', 'ips', 'macs', 'newStations', 'multiMacIps', 'evicted'];
const counters = (s: Rec) => Object.fromEntries(COUNTERS.map((k) => [k, s[k]]));
const ATTACKER = '0a:0b:00:00:00:66';

describe('watch as arpwatch: spoof, bogon, state, trunk, on a hub of kernel hosts', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  const ns: Record<string, string> = {};
  const mac: Record<string, string> = {};
  const HOSTS: Record<string, string | undefined> = { gw: '10.77.0.1/24', victim: '10.77.0.2/24', newhost: '10.77.0.3/24', attacker: undefined, mon: '10.77.0.254/24' };
  before(async () => {
    const hosts = Object.keys(HOSTS);
    lab = await Lab.create({
      namespaces: ['sw', ...hosts],
      veths: hosts.map((h) => ({ a: { ns: h, name: 'eth0', ...(HOSTS[h] ? { addrs: [HOSTS[h]!] } : {}) }, b: { ns: 'sw', name: `p-${h}` } })),
      bridges: [{ ns: 'sw', name: 'br0', ports: hosts.map((h) => `p-${h}`) }],
    });
    await lab.ip('sw', 'link', 'set', 'br0', 'type', 'bridge', 'ageing_time', '0'); // a hub
    await lab.ip('mon', 'route', 'add', 'default', 'via', '10.77.0.1');
    for (const h of hosts) {
      ns[h] = lab.nsName(h);
      mac[h] = await lab.mac(h, 'eth0');
    }
  });
  after(async () => lab?.destroy());

  const cli = (host: string, args: string[]) => runCli(ns[host], args);
  /** A kernel host resolves another (trigger: an ICMP echo after flushing its neighbour entry): its request and the owner's reply. */
  async function talk(from: string, toIp: string) {
    await cli(from, ['trigger', '--iface', 'eth0', '--dst', toIp, '--flush', '--timeout', '1000']);
  }
  /** A forged reply from the attacker's host: `ip` is-at ATTACKER, to `to` (an unsolicited reply). */
  const forge = (ip: string, to: string, toIp: string) =>
    cli('attacker', ['probe', '--iface', 'eth0', '--op', 'reply', '--sha', ATTACKER, '--sip', ip, '--tip', toIp, '--tha', mac[to]!, '--eth-dst', mac[to]!, '--timeout', '1', '--fail-on', 'none']);

  /** watch on mon (and tcpdump beside it) while `act` runs. */
  async function watched(name: string, act: () => Promise<void>, extra: string[] = []) {
    const pcap = join(tmp, `${name}.tcpdump.pcap`);
    const td = await startTcpdump(lab, 'mon', ['-i', 'eth0', '-w', pcap, '-s', '256', '-U', 'arp or vlan'], 0);
    const w = await startCli(ns.mon!, ['watch', '--iface', 'eth0', '--json', ...extra]);
    let code: number | null;
    try {
      await act();
      await sleep(300);
    } finally {
      code = await stopChild(w.child);
      await td.stop();
    }
    const live = parseNdjson(w.output());
    return { live, summary: live.at(-1)!, code, pcap };
  }

  test('the classic spoof: mac-changed warning, exit 1 with --fail-on warning; the gateway taken too: critical; live == --read == --read -', async () => {
    const state = join(tmp, 'spoof.dat');
    const { live, summary, code, pcap } = await watched(
      'spoof',
      async () => {
        await talk('gw', '10.77.0.2');
        await sleep(1200);
        await talk('gw', '10.77.0.2'); // both stations seen across more than a second: established
        await forge('10.77.0.2', 'gw', '10.77.0.1'); // the victim's IP, to the gateway
        await forge('10.77.0.1', 'victim', '10.77.0.2'); // and the gateway's, to the victim: a man in the middle
      },
      ['--fail-on', 'warning', '--state', state],
    );
    assert.equal(code, 1, 'a warning was raised: exit 1 with --fail-on warning');
    const changed = live.filter((r) => r.type === 'finding' && r.kind === 'mac-changed');
    assert.deepEqual(
      changed.map((r) => [r.severity, r.mac, r.ips[0], r.evidence.from]),
      [
        ['warning', ATTACKER, '10.77.0.2', mac.victim],
        ['critical', ATTACKER, '10.77.0.1', mac.gw],
      ],
    );
    assert.equal(changed[1]!.evidence.gateway, true, 'the gateway comes from the route table of the watching host');
    assert.equal(changed[1]!.evidence.alsoTook, '10.77.0.2');
    assert.deepEqual(findings(live, false).filter((r) => r.kind === 'new-station').map((r) => r.ips[0]).sort(), ['10.77.0.1', '10.77.0.2']);
    assert.equal(summary.macs, 3, 'gateway, victim, attacker');
    assert.deepEqual(summary.state, { file: state, loaded: 0, skippedLines: 0, written: 1, saved: true });
    const dat = readFileSync(state, 'utf8');
    assert.match(dat, new RegExp(`^${ATTACKER}\\t10\\.77\\.0\\.2\\t\\d+\\t\\teth0\\t`, 'm'));
    assert.match(dat, new RegExp(`^${mac.victim}\\t10\\.77\\.0\\.2\\t`, 'm'), 'the previous pairing is kept');

    // The same frames from tcpdump's file, and from tcpdump through a pipe.
    const same = ['--json', '--local-net', '10.77.0.0/24', '--gateway', '10.77.0.1'];
    const offline = await runCli(undefined, ['watch', '--read', pcap, ...same]);
    assert.deepEqual(keys(offline.records), keys(live), '--read of tcpdump\'s capture gives the live findings');
    assert.deepEqual(counters(offline.records.at(-1)!), counters(summary), '...and the live counters');
    const piped = await new Promise<Rec[]>((resolve, reject) => {
      const sh = spawn('sh', ['-c', `tcpdump -r "$1" -w - 2>/dev/null | "$2" "$3" watch --read - ${same.join(' ')}`, 'sh', pcap, process.execPath, CLI], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      sh.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      sh.on('error', reject);
      sh.on('exit', () => resolve(parseNdjson(out)));
    });
    assert.deepEqual(keys(piped), keys(live), 'tcpdump -r | watch --read - gives the live findings');
    assert.deepEqual(counters(piped.at(-1)!), counters(summary));
  });

  test('bogon: a reply for 203.0.113.9 and a request from 198.51.100.7 (outside 10.77.0.0/24); a DAD probe from 0.0.0.0 is not one', async () => {
    const { live } = await watched('bogon', async () => {
      await forge('203.0.113.9', 'gw', '10.77.0.1');
      await cli('attacker', ['probe', '--iface', 'eth0', '--sha', '02:00:00:00:00:07', '--sip', '198.51.100.7', '--tip', '10.77.0.1', '--timeout', '1', '--fail-on', 'none']);
      await cli('attacker', ['probe', '--iface', 'eth0', '--sha', '02:00:00:00:00:08', '--sip', '0.0.0.0', '--tip', '10.77.0.8', '--timeout', '1', '--fail-on', 'none']);
    });
    const bogons = live.filter((r) => r.type === 'finding' && r.kind === 'bogon');
    assert.deepEqual(bogons.map((r) => [r.mac, r.ips[0], r.severity]), [
      [ATTACKER, '203.0.113.9', 'warning'],
      ['02:00:00:00:00:07', '198.51.100.7', 'warning'],
    ]);
    assert.match(bogons[0]!.message, /10\.77\.0\.0\/24/);
    assert.deepEqual(findings(live).filter((r) => r.kind === 'bogus-sender'), [], 'the DAD probe is fine');
  });

  test('a restart with --state: no new-station for known stations, one for a new host', async () => {
    const state = join(tmp, 'restart.dat');
    const first = await watched('restart1', () => talk('gw', '10.77.0.2'), ['--state', state]);
    assert.deepEqual(findings(first.live, false).filter((r) => r.kind === 'new-station').map((r) => r.ips[0]).sort(), ['10.77.0.1', '10.77.0.2']);
    const second = await watched(
      'restart2',
      async () => {
        await talk('gw', '10.77.0.2');
        await talk('newhost', '10.77.0.1');
      },
      ['--state', state],
    );
    assert.deepEqual(findings(second.live, false).filter((r) => r.kind === 'new-station').map((r) => r.ips[0]), ['10.77.0.3']);
    assert.equal(second.summary.state.loaded, 2);
    const list = await runCli(undefined, ['stations', '--state', state, '--json']);
    assert.deepEqual(list.records.filter((r) => r.type === 'station').map((r) => [r.ip, r.mac]), [
      ['10.77.0.1', mac.gw],
      ['10.77.0.2', mac.victim],
      ['10.77.0.3', mac.newhost],
    ]);
  });

  test('a trunk: the same IP on VLAN 10 and VLAN 20 from two MACs is two stations, no flip-flop (tcpdump sees the tags)', async () => {
    const send = (vlan: number, sha: string) => cli('attacker', ['probe', '--iface', 'eth0', '--vlan', String(vlan), '--sha', sha, '--sip', '10.77.0.50', '--tip', '10.77.0.1', '--timeout', '1', '--fail-on', 'none']);
    const { live, summary, pcap } = await watched('trunk', async () => {
      for (let i = 0; i < 2; i++) {
        await send(10, '02:00:00:00:0a:10');
        await send(20, '02:00:00:00:0a:20');
      }
    });
    assert.deepEqual(findings(live).filter((r) => /flip|changed|moved|conflict/.test(r.kind)), []);
    assert.deepEqual(findings(live, false).filter((r) => r.kind === 'new-station' && r.ips[0] === '10.77.0.50').map((r) => [r.ips[0], r.vlan, r.mac]), [
      ['10.77.0.50', 10, '02:00:00:00:0a:10'],
      ['10.77.0.50', 20, '02:00:00:00:0a:20'],
    ]);
    assert.deepEqual(summary.multiMacIps, {});
    const td = await lab.exec('mon', ['tcpdump', '-r', pcap, '-n', '-e'], { allowFail: true });
    assert.equal((td.stdout.match(/vlan 10,/g) ?? []).length, 2, td.stdout);
    assert.equal((td.stdout.match(/vlan 20,/g) ?? []).length, 2);
  });

  test('watch runs with CAP_NET_RAW as its only capability (the systemd unit: AmbientCapabilities=CAP_NET_RAW)', { skip: existsSync('/usr/bin/setpriv') ? false : 'setpriv (util-linux) not found' }, async () => {
    const w = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const c = spawn('ip', ['netns', 'exec', ns.mon!, 'setpriv', '--inh-caps=-all,+net_raw', '--ambient-caps=-all,+net_raw', '--bounding-set=-all,+net_raw', '--', process.execPath, CLI, 'watch', '--iface', 'eth0', '--duration', '2', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"type":"ready"')) void talk('gw', '10.77.0.2');
      });
      c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) => resolve({ code, out, err }));
    });
    assert.equal(w.code, 0, w.err);
    const s = parseNdjson(w.out).at(-1)!;
    assert.ok(s.arp >= 2, `frames captured with CAP_NET_RAW only: ${JSON.stringify(s)}`);
    const status = await lab.exec('mon', ['setpriv', '--bounding-set=-all,+net_raw', '--', 'grep', 'CapBnd', '/proc/self/status']);
    assert.match(status.stdout, /CapBnd:\s+0000000000002000/, 'the bounding set really was CAP_NET_RAW (bit 13) alone');
  });
});
