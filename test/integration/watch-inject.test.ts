/**
 * watch on a live segment, fed by the project's own tools: `probe` (any field, --op reply too) and
 * `respond` (replies with chosen MACs) craft the storm, the conflict, the gratuitous ARP, the
 * 169.254.1.1 sender and the Ethernet-source lie; inject-raw.ts puts hostile bytes on the wire.
 * The segment is a bridge that floods everything (ageing 0, a hub), so the watcher on its own port
 * sees the unicast replies too, as a SPAN port would. Hostile frames take a direct veth (vm:eth1 ->
 * mon:eth1) instead: with br_netfilter (bridge-nf-call-arptables=1) a Linux bridge drops ARP frames
 * shorter than 22 bytes, and every frame sent must reach the watcher here. Each run: the findings are the expected ones,
 * the counters add up, and `watch --read` on the pcap that same live watch wrote gives the same
 * findings and counters.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../src/lab/lab.js';
import { readPcapFile } from '../../src/link/pcap-file.js';
import { parseNdjson, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-watch-inject-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const helper = (name: string) => fileURLToPath(new URL(`../helpers/${name}`, import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Rec = Record<string, any>;
const findingKeys = (records: Rec[]) => records.filter((r) => r.type === 'finding' && r.kind !== 'new-station').map((r) => `${r.kind}:${r.severity}:${r.mac}:${r.ips.join(',')}`);
const kinds = (records: Rec[]) => records.filter((r) => r.type === 'finding' && r.kind !== 'new-station').map((r) => `${r.kind}:${r.severity}`);
const COUNTERS = ['frames', 'arp', 'requests', 'replies', 'otherOps', 'gratuitous', 'paired', 'malformed', 'malformedByCode', 'ignored', 'findings', 'findingsByKind', 'suppressedByKind', 'ips', 'macs', 'newStations', 'multiMacIps', 'evicted'];
const counters = (s: Rec) => Object.fromEntries(COUNTERS.map((k) => [k, s[k]]));

const ROGUE = '32:6b:33:03:b2:c2';

describe('watch on a live segment, traffic made by probe/respond/inject-raw', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  const ns: Record<string, string> = {};
  before(async () => {
    const hosts = ['router', 'rogue', 'vm', 'mon'];
    lab = await Lab.create({
      namespaces: ['sw', ...hosts],
      veths: [
        ...hosts.map((h) => ({ a: { ns: h, name: 'eth0', ...(h === 'router' ? { addrs: ['10.0.0.1/24'] } : {}) }, b: { ns: 'sw', name: `p-${h}` } })),
        { a: { ns: 'vm', name: 'eth1' }, b: { ns: 'mon', name: 'eth1' } },
      ],
      bridges: [{ ns: 'sw', name: 'br0', ports: hosts.map((h) => `p-${h}`) }],
    });
    await lab.ip('sw', 'link', 'set', 'br0', 'type', 'bridge', 'ageing_time', '0'); // flood: a hub
    for (const h of hosts) ns[h] = lab.nsName(h);
  });
  after(async () => lab?.destroy());

  /** Watch on mon while `act` runs; then the same analysis on the pcap the live watch wrote. */
  async function watched(name: string, act: () => Promise<void>, extra: string[] = [], iface = 'eth0') {
    const pcap = join(tmp, `${name}.pcap`);
    const w = await startCli(ns.mon!, ['watch', '--iface', iface, '--json', '--pcap', pcap, ...extra]);
    try {
      await act();
      await sleep(300);
    } finally {
      assert.equal(await stopChild(w.child), 0, 'SIGTERM ends watch normally');
    }
    const live = parseNdjson(w.output());
    const summary = live.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.interrupted, true);
    assert.equal(summary.frames, summary.arp + summary.malformed + summary.ignored, 'frames = arp + malformed + ignored');
    assert.equal(summary.arp, summary.requests + summary.replies + summary.otherOps);
    assert.equal(summary.findings, live.filter((r) => r.type === 'finding').length);
    assert.equal(summary.arp, live.filter((r) => r.type === 'arp').length);
    assert.equal(summary.malformed, live.filter((r) => r.type === 'malformed').length);
    assert.equal(readPcapFile(pcap).records.length, summary.frames, 'the pcap holds every frame counted');
    const offline = await runCli(undefined, ['watch', '--read', pcap, '--json', ...extra]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(findingKeys(offline.records), findingKeys(live), '--read gives the live findings');
    assert.deepEqual(counters(offline.records.at(-1)!), counters(summary), '--read gives the live counters');
    return { live, summary, pcap };
  }

  const cli = (host: string, args: string[]) => runCli(ns[host], args);

  test('a reply storm: one MAC answering for 20 IPs (the GRNET incident)', async () => {
    const ips = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 2}`);
    const { live, summary } = await watched('storm', async () => {
      const resp = await startCli(ns.rogue!, ['respond', '--iface', 'eth0', '--json', '--claim', ...ips.map((ip) => `${ip}=${ROGUE}`)]);
      try {
        const p = await cli('router', ['probe', '--iface', 'eth0', '--sip', '10.0.0.1', '--json', '--tip', ...ips]);
        assert.equal(p.code, 0, p.stdout + p.stderr);
      } finally {
        await stopChild(resp.child);
      }
    });
    assert.deepEqual(kinds(live), ['reply-storm:critical']);
    const storm = live.find((r) => r.type === 'finding' && r.kind === 'reply-storm')!;
    assert.equal(storm.mac, ROGUE);
    assert.equal(storm.evidence.count, 16, 'raised when the 16th IP is claimed');
    assert.deepEqual([summary.requests, summary.replies, summary.paired], [20, 20, 20]);
    const pairs = live.filter((r) => r.type === 'arp' && r.opcode === 2).map((r) => r.answers?.asker);
    assert.deepEqual(new Set(pairs), new Set(['10.0.0.1']), 'every reply paired with the router as asker');
    assert.ok(live.filter((r) => r.type === 'arp' && r.opcode === 2).every((r) => r.answers.latencyMs >= 0));
  });

  test('an IP conflict: two MACs answer each request (ip-conflict, mac-changed, flip-flop)', async () => {
    const { live, summary } = await watched('conflict', async () => {
      const resp = await startCli(ns.rogue!, ['respond', '--iface', 'eth0', '--json', '--claim', '10.0.0.5=02:00:00:00:00:0a', '--claim', '10.0.0.5=02:00:00:00:00:0b']);
      try {
        await cli('router', ['probe', '--iface', 'eth0', '--sip', '10.0.0.1', '--tip', '10.0.0.5', '--count', '2', '--interval', '200', '--wait', '300', '--json']);
      } finally {
        await stopChild(resp.child);
      }
    });
    assert.deepEqual(kinds(live), ['ip-conflict:warning', 'mac-changed:warning', 'flip-flop:warning']);
    assert.deepEqual(summary.multiMacIps, { '10.0.0.5': ['02:00:00:00:00:0a', '02:00:00:00:00:0b'] });
    assert.deepEqual([summary.requests, summary.replies, summary.paired], [2, 4, 4]);
  });

  test('gratuitous ARP, request and reply forms', async () => {
    const { live, summary } = await watched('gratuitous', async () => {
      await cli('vm', ['probe', '--iface', 'eth0', '--sha', '02:00:00:00:00:07', '--sip', '10.0.0.7', '--tip', '10.0.0.7', '--timeout', '1']);
      await cli('vm', ['probe', '--iface', 'eth0', '--op', 'reply', '--sha', '02:00:00:00:00:07', '--sip', '10.0.0.7', '--tip', '10.0.0.7', '--tha', 'ff:ff:ff:ff:ff:ff', '--timeout', '1']);
    });
    assert.deepEqual(kinds(live), ['gratuitous:info'], 'raised once per MAC and IP within the window');
    assert.deepEqual([summary.gratuitous, summary.requests, summary.replies], [2, 1, 1]);
  });

  test('a 169.254.1.1 sender (seed 002): warning as link-local, critical when it is a host-scope address here', async () => {
    const send = () => cli('vm', ['probe', '--iface', 'eth0', '--sha', '02:00:00:00:00:b0', '--sip', '169.254.1.1', '--tip', '10.0.0.20', '--timeout', '1']).then(() => undefined);
    const plain = await watched('bubble-plain', send);
    assert.deepEqual(findingKeys(plain.live), ['bogus-sender:warning:02:00:00:00:00:b0:169.254.1.1']);
    const scoped = await watched('bubble-scoped', send, ['--host-scoped', '169.254.1.1']);
    assert.deepEqual(kinds(scoped.live), ['host-scoped-sender:critical']);
    assert.equal(scoped.live.find((r) => r.type === 'finding' && r.kind !== 'new-station')!.evidence.reason, 'host-scoped');
  });

  test('a reply whose Ethernet source is not its sender MAC', async () => {
    const { live } = await watched('eth-src', async () => {
      const resp = await startCli(ns.rogue!, ['respond', '--iface', 'eth0', '--json', '--claim', '10.0.0.8=02:00:00:00:00:08', '--eth-src', '02:00:00:00:00:66']);
      try {
        await cli('router', ['probe', '--iface', 'eth0', '--sip', '10.0.0.1', '--tip', '10.0.0.8']);
      } finally {
        await stopChild(resp.child);
      }
    });
    assert.deepEqual(findingKeys(live), ['eth-src-mismatch:warning:02:00:00:00:00:08:10.0.0.8']);
  });

  test('hostile frames: the fixture set and 600 fuzzed frames: all captured byte for byte, counted, survived', async () => {
    let fuzz: { sent: number; sha256: string } = { sent: 0, sha256: '' };
    let fixed = 0;
    const { summary, pcap, live } = await watched('hostile', async () => {
      const run = (script: string, ...args: string[]) => JSON.parse(execFileSync('ip', ['netns', 'exec', ns.vm!, process.execPath, '--import', 'tsx', helper(script), 'eth1', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      fixed = run('inject-pcap.ts', fixture('hostile.pcap')).sent;
      fuzz = run('inject-raw.ts', 'fuzz', '1', '600');
    }, [], 'eth1');
    assert.equal(fixed, 9);
    assert.equal(fuzz.sent, 600);
    assert.equal(summary.frames, fixed + fuzz.sent, 'every frame sent was seen and counted');
    const captured = readPcapFile(pcap).records.slice(fixed);
    const digest = createHash('sha256');
    for (const r of captured) digest.update(r.bytes);
    assert.equal(digest.digest('hex'), fuzz.sha256, 'captured bytes = sent bytes');
    assert.ok(summary.malformed >= 300, `malformed ${summary.malformed}`);
    assert.ok(summary.arp > 0, 'some mutations are still valid ARP');
    for (const code of ['TRUNCATED', 'UNSUPPORTED_FORMAT', 'TOO_MANY_TAGS']) assert.ok(summary.malformedByCode[code] > 0, code);
    const shown = live.find((r) => r.type === 'malformed' && r.raw.hlen !== undefined && r.raw.hlen !== 6)!;
    assert.ok(shown, 'a malformed frame is shown with its raw header fields');
    assert.equal(typeof shown.raw.ethSrc, 'string');
  });
});
