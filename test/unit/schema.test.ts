/**
 * The JSON vocabulary: every record the commands print validates against schema/ (integration tests
 * check every record they capture, through parseNdjson); here records made without root, and the
 * README's record tables checked against the schemas.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { FINDING_KINDS } from '../../src/findings/finding.js';
import { findingsTable } from '../../schema/docs.js';
import { MemoryLink } from '../../src/link/memory-link.js';
import { FakeClock } from '../../src/time/clock.js';
import { probe } from '../../src/probe/probe.js';
import { sweep } from '../../src/sweep/sweep.js';
import { ArpWatcher, type WatchRecord } from '../../src/watch/analyzer.js';
import { PcapFileLink } from '../../src/link/pcap-file.js';
import { encodeArpFrame } from '../../src/wire/frame.js';
import { SCHEMAS, validateRecord } from '../helpers/schema.js';

const ME = '02:00:00:00:00:aa';
const reply = (ip: string, mac: string) => encodeArpFrame({ op: 2, senderMac: mac, senderIp: ip, targetMac: ME, targetIp: '10.0.0.1', ethDst: ME });

describe('JSON records against schema/', () => {
  test('probe: reply, timeout, unsolicited, finding, summary', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'bond0');
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 1);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:02'), 2);
    link.injectLater(reply('10.9.9.9', '02:00:00:00:00:03'), 3);
    const p = probe({ iface: 'bond0', link, clock, targets: ['10.0.0.2', '10.0.0.3'], sip: '10.0.0.1', sha: ME, localNets: [{ base: 0x0a000000, len: 24 }] });
    clock.advance(5000);
    const r = await p;
    const types = new Set<string>();
    for (const x of [...r.records, ...r.findings, { ...r.summary, findings: r.findings.length, worst: r.worst, listenedMs: r.listenedMs, expect: 'reply', failOn: 'warning', ok: false }]) {
      validateRecord(x as unknown as Record<string, unknown>);
      types.add(x.type);
    }
    assert.deepEqual([...types].sort(), ['finding', 'reply', 'summary', 'timeout', 'unsolicited']);
  });

  test('sweep: reply, finding, summary', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock, 'bond0');
    link.addResponder((_f, l) => l.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 1));
    const p = sweep({ iface: 'bond0', link, clock, targets: ['10.0.0.2'], sip: '10.0.0.1', sha: ME, canaries: false, waitMs: 10 });
    clock.advance(10_000);
    const r = await p;
    for (const x of [...r.replies, ...r.findings, r.summary]) validateRecord(x as unknown as Record<string, unknown>);
    assert.ok(r.replies.length > 0);
  });

  test('watch: arp, malformed, finding, summary (every fixture)', () => {
    for (const name of ['storm', 'flipflop', 'gratuitous', 'bubble', 'eth-src', 'pair', 'hostile']) {
      const recs: WatchRecord[] = [];
      const w = new ArpWatcher((r) => recs.push(r));
      const l = PcapFileLink.open(new URL(`../fixtures/${name}.pcap`, import.meta.url).pathname);
      l.onFrame((f) => w.ingest(f));
      l.replay();
      for (const x of [...recs, w.summary()]) validateRecord(x as unknown as Record<string, unknown>);
    }
  });

  test("every JSON record example in README.md matches its schema (the docs cannot drift from the vocabulary)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    let n = 0;
    for (const block of readme.matchAll(/```json\n([\s\S]*?)```/g))
      for (const line of block[1]!.split('\n')) {
        if (!line.startsWith('{"type":') || line.includes('...same fields')) continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line);
        } catch (e) {
          throw new Error(`README.md has a JSON example that does not parse: ${line.slice(0, 120)}`);
        }
        if (rec.type === 'explain') continue; // abbreviated on purpose (steps, inputs); its schema is open
        validateRecord(rec);
        n++;
      }
    assert.ok(n >= 12, `checked ${n} README examples`);
  });

  test('a renamed or extra field fails', () => {
    const ok = { type: 'timeout', iface: 'bond0', ip: '10.0.0.2', seq: 1, requestId: 1, vlan: null, timeoutMs: 1000 };
    validateRecord(ok);
    const { ip, ...rest } = ok;
    assert.throws(() => validateRecord({ ...rest, tip: ip }), /does not match schema\/timeout\.json/);
    assert.throws(() => validateRecord({ type: 'nonsense' }), /no schema/);
  });

  test('the finding schema lists every kind of the registry; README lists every kind and every schema', () => {
    const f = SCHEMAS.finding as { properties: { kind: { enum: string[] } } };
    assert.deepEqual(f.properties.kind.enum, Object.keys(FINDING_KINDS));
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(findingsTable()), 'README\'s findings table is the registry (npm run docs writes it)');
    for (const kind of Object.keys(FINDING_KINDS)) assert.ok(readme.includes(`| \`${kind}\` |`), `README's findings table has ${kind}`);
    for (const type of Object.keys(SCHEMAS)) assert.ok(readme.includes(`schema/${type}.json`), `README links schema/${type}.json`);
  });
});
