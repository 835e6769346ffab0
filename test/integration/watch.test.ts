/**
 * watch on a live link: the fixtures' frames are put on a veth with the project's own send path and
 * watched from the other end; the live findings must equal `watch --read` on the same files. Then
 * Ctrl-C, the pcap it leaves, metrics, --duration and bad input. (trigger: trigger.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../src/lab/lab.js';
import { readPcapFile } from '../../src/link/pcap-file.js';
import { parseNdjson, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-watch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const injector = fileURLToPath(new URL('../helpers/inject-pcap.ts', import.meta.url));
const findingKeys = (records: Array<Record<string, any>>) => records.filter((r) => r.type === 'finding' && r.kind !== 'new-station').map((r) => `${r.kind}:${r.severity}:${r.mac}`);

describe('watch, live', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let net: string;
  let mon: string;
  before(async () => {
    lab = await Lab.create({ namespaces: ['net', 'mon'], veths: [{ a: { ns: 'net', name: 'bond0' }, b: { ns: 'mon', name: 'eth0' } }] });
    net = lab.nsName('net');
    mon = lab.nsName('mon');
  });
  after(async () => lab?.destroy());

  const inject = (file: string) => JSON.parse(execFileSync('ip', ['netns', 'exec', net, process.execPath, '--import', 'tsx', injector, 'bond0', file], { encoding: 'utf8' }).trim());

  for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.pcap')).sort()) {
    test(`${name}: live findings = --read findings; counters add up`, async () => {
      const file = join(fixtures, name);
      const offline = await runCli(undefined, ['watch', '--read', file, '--json']);
      assert.equal(offline.code, 0, offline.stderr);
      const w = await startCli(mon, ['watch', '--iface', 'eth0', '--json']);
      const { sent } = inject(file);
      assert.equal(sent, readPcapFile(file).records.length);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await stopChild(w.child), 0, 'SIGTERM ends watch normally');
      const live = parseNdjson(w.output());
      const s = live.at(-1)!;
      assert.equal(s.type, 'summary');
      assert.equal(s.frames, sent, 'every injected frame was captured');
      assert.equal(s.frames, s.arp + s.malformed + s.ignored, 'counters add up');
      assert.deepEqual(findingKeys(live), findingKeys(offline.records));
      const off = offline.records.at(-1)!;
      assert.deepEqual([s.requests, s.replies, s.malformed, s.paired, s.gratuitous], [off.requests, off.replies, off.malformed, off.paired, off.gratuitous]);
      if (name === 'storm.pcap') assert.deepEqual(findingKeys(live), ['reply-storm:critical:32:6b:33:03:b2:c2']);
      if (name === 'hostile.pcap') assert.equal(s.malformed, 8);
    });
  }

  test('Ctrl-C prints the summary and leaves a complete pcap; --fail-on', async () => {
    const pcap = join(tmp, 'live.pcap');
    const w = await startCli(mon, ['watch', '--iface', 'eth0', '--json', '--pcap', pcap, '--fail-on', 'critical']);
    inject(join(fixtures, 'storm.pcap'));
    await new Promise((r) => setTimeout(r, 200));
    const code = await new Promise<number | null>((resolve) => {
      w.child.once('exit', (c) => resolve(c));
      w.child.kill('SIGINT');
    });
    assert.equal(code, 1, 'a critical finding with --fail-on critical: exit 1');
    const s = parseNdjson(w.output()).at(-1)!;
    assert.deepEqual([s.type, s.interrupted, s.frames], ['summary', true, 40]);
    assert.equal(readPcapFile(pcap).records.length, 40);
    const text = execFileSync('tcpdump', ['-r', pcap, '-nn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal((text.match(/is-at 32:6b:33:03:b2:c2/g) ?? []).length, 20);
  });

  test('--metrics serves Prometheus text while watching', async () => {
    const port = 19000 + (process.pid % 1000);
    const w = await startCli(mon, ['watch', '--iface', 'eth0', '--json', '--metrics', String(port)]);
    try {
      inject(join(fixtures, 'flipflop.pcap'));
      await new Promise((r) => setTimeout(r, 200));
      const body = execFileSync('ip', ['netns', 'exec', mon, process.execPath, '-e', `fetch('http://127.0.0.1:${port}/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))`], { encoding: 'utf8' });
      assert.match(body, /arpinject_watch_frames_total\{op="reply"\} 4/);
      assert.match(body, /arpinject_watch_ip_macs\{ip="10\.0\.0\.5"\} 2/);
      assert.match(body, /arpinject_watch_findings_total\{kind="flip-flop",severity="warning"\} 1/);
      assert.match(body, /^arpinject_watch_conflicted_ips 1$/m);
    } finally {
      await stopChild(w.child);
    }
  });

  test('--duration ends a live watch by itself with a summary', async () => {
    const r = await runCli(mon, ['watch', '--iface', 'eth0', '--duration', '1', '--json'], { timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.records[0]!.type, r.records.at(-1)!.type, r.records.at(-1)!.interrupted], ['ready', 'summary', false]);
  });

  test('bad input: neither or both of --iface/--read exits 2; a missing file exits 3', async () => {
    assert.equal((await runCli(undefined, ['watch'])).code, 2);
    assert.equal((await runCli(undefined, ['watch', '--iface', 'x', '--read', 'y'])).code, 2);
    const live = await runCli(undefined, ['watch', '--read', join(fixtures, 'pair.pcap'), '--pcap', join(tmp, 'x.pcap')]);
    assert.equal(live.code, 2);
    assert.match(live.stderr, /--pcap applies to a live capture/);
    const missing = await runCli(undefined, ['watch', '--read', join(tmp, 'nope.pcap')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /cannot read/);
  });
});
