/**
 * watch as arpwatch's successor (issue 13), in the library: arpwatch's findings (new station, changed
 * ethernet address, flip flop, bogon) with VLAN-keyed stations, the state it starts from, and the
 * bounded O(1) structures under floods (sizes at their caps, the gateway survives a flood of new senders).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArpWatcher, type KnownStation, type WatchFinding, type WatchOptions, type WatchRecord } from '../../src/watch/analyzer.js';
import { LruIndex } from '../../src/watch/bounded.js';
import { type ArpFrameSpec, encodeArpFrame } from '../../src/wire/index.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const GW = { mac: '02:00:00:00:00:01', ip: '10.77.0.1' };
const VICTIM = { mac: '02:00:00:00:00:02', ip: '10.77.0.2' };
const ATTACKER = '0a:0b:00:00:00:66';

function run(frames: Array<[number, ArpFrameSpec]>, opts: WatchOptions = {}) {
  const records: WatchRecord[] = [];
  const w = new ArpWatcher((r) => records.push(r), opts);
  for (const [dt, f] of frames) w.ingest({ time: T0 + dt, bytes: encodeArpFrame(f) });
  const findings = records.filter((r): r is WatchFinding => r.type === 'finding');
  return { w, findings, kinds: findings.map((f) => `${f.kind}:${f.severity}`), summary: w.summary() };
}
const req = (tip: string, from: { mac: string; ip: string }, extra: Partial<ArpFrameSpec> = {}): ArpFrameSpec => ({ senderMac: from.mac, senderIp: from.ip, targetIp: tip, ...extra });
const rep = (ip: string, mac: string, to: { mac: string; ip: string }, extra: Partial<ArpFrameSpec> = {}): ArpFrameSpec => ({ op: 2, senderMac: mac, senderIp: ip, targetMac: to.mac, targetIp: to.ip, ethDst: to.mac, ...extra });
/** The gateway asks for the victim, the victim answers: both stations learned, nothing wrong. */
const talk = (at: number): Array<[number, ArpFrameSpec]> => [
  [at, req(VICTIM.ip, GW)],
  [at + 1, rep(VICTIM.ip, VICTIM.mac, GW)],
];

describe('arpwatch findings', () => {
  test('new-station once per (IP, VLAN); none for a known station (state file)', () => {
    const a = run([...talk(0), ...talk(2000)]);
    assert.deepEqual(a.kinds, ['new-station:info', 'new-station:info']);
    assert.deepEqual(a.findings.map((f) => f.ips[0]), [GW.ip, VICTIM.ip]);
    assert.equal(a.summary.newStations, 2);
    const known: KnownStation[] = [{ ip: GW.ip, mac: GW.mac, vlan: null, lastSeen: T0 - 86_400_000 }];
    const b = run([...talk(0), [10, req(GW.ip, { mac: '02:00:00:00:00:03', ip: '10.77.0.3' })]], { known });
    assert.deepEqual(b.findings.map((f) => `${f.kind} ${f.ips[0]}`), [`new-station ${VICTIM.ip}`, 'new-station 10.77.0.3'], 'the known gateway is not new');
  });

  test('the classic spoof: an unsolicited reply moves an active station to another MAC: mac-changed warning (was info ip-moved)', () => {
    const a = run([...talk(0), [8000, rep(VICTIM.ip, ATTACKER, GW)]]);
    const changed = a.findings.filter((f) => f.kind === 'mac-changed');
    assert.deepEqual(changed.map((f) => [f.severity, f.mac, f.ips]), [['warning', ATTACKER, [VICTIM.ip]]]);
    assert.equal(changed[0]!.evidence.from, VICTIM.mac);
    assert.ok(a.kinds.includes('unsolicited:info'));
  });

  test('the same MAC taking a second station (man in the middle), or a gateway: critical', () => {
    const mitm = run([...talk(0), [8000, rep(VICTIM.ip, ATTACKER, GW)], [8001, rep(GW.ip, ATTACKER, VICTIM)]]);
    const changed = mitm.findings.filter((f) => f.kind === 'mac-changed');
    assert.deepEqual(changed.map((f) => f.severity), ['warning', 'critical']);
    assert.deepEqual(changed[1]!.ips, [GW.ip, VICTIM.ip]);
    assert.equal(changed[1]!.evidence.alsoTook, VICTIM.ip);
    const gw = run([...talk(0), [5000, rep(GW.ip, ATTACKER, VICTIM)]], { gateways: [GW.ip] });
    const g = gw.findings.filter((f) => f.kind === 'mac-changed');
    assert.deepEqual(g.map((f) => [f.severity, f.evidence.gateway]), [['critical', true]]);
  });

  test('flip-flop: back to the previous MAC within the window; a silent station taken later is ip-moved (info)', () => {
    const a = run([...talk(0), [8000, rep(VICTIM.ip, ATTACKER, GW)], [9000, rep(VICTIM.ip, VICTIM.mac, GW)]]);
    assert.deepEqual(a.kinds.filter((k) => /changed|flip|moved/.test(k)), ['mac-changed:warning', 'flip-flop:warning']);
    const stale = run([...talk(0), [2 * 3_600_000, rep(VICTIM.ip, ATTACKER, GW)]]);
    assert.deepEqual(stale.kinds.filter((k) => /changed|flip|moved/.test(k)), ['ip-moved:info']);
    // The previous MAC comes from the state file too: the owner fighting back after a restart is a flip-flop.
    const known: KnownStation[] = [{ ip: VICTIM.ip, mac: ATTACKER, vlan: null, lastSeen: T0 - 1000, previousMac: VICTIM.mac, previousSeen: T0 - 2000 }];
    assert.deepEqual(run([[0, rep(VICTIM.ip, VICTIM.mac, GW)]], { known }).kinds.filter((k) => /changed|flip/.test(k)), ['flip-flop:warning']);
  });

  test('a trunk: the same IP on VLAN 10 and VLAN 20 from two MACs is two stations, no alarm', () => {
    const a = run([
      [0, req('10.77.0.9', { mac: '02:00:00:00:0a:10', ip: '10.77.0.5' }, { vlans: [{ vid: 10 }] })],
      [1, req('10.77.0.9', { mac: '02:00:00:00:0a:20', ip: '10.77.0.5' }, { vlans: [{ vid: 20 }] })],
      [2000, req('10.77.0.9', { mac: '02:00:00:00:0a:10', ip: '10.77.0.5' }, { vlans: [{ vid: 10 }] })],
      [2001, req('10.77.0.9', { mac: '02:00:00:00:0a:20', ip: '10.77.0.5' }, { vlans: [{ vid: 20 }] })],
    ]);
    assert.deepEqual(a.kinds, ['new-station:info', 'new-station:info']);
    assert.deepEqual(a.findings.map((f) => f.vlan), [10, 20]);
    assert.deepEqual([a.summary.ips, a.summary.macs, a.summary.multiMacIps], [2, 2, {}]);
    assert.match(a.findings[1]!.message, /10\.77\.0\.5 vlan 20/);
  });

  test('bogon: a reply for an off-link IP and a request from an off-link sender; a DAD probe is not one; bogons are not learned', () => {
    const proxy = '02:00:00:00:00:99';
    const a = run(
      [
        [0, rep('203.0.113.9', proxy, GW)],
        [1, req(GW.ip, { mac: '02:00:00:00:00:07', ip: '198.51.100.7' })],
        [2, req('10.77.0.8', { mac: '02:00:00:00:00:08', ip: '0.0.0.0' })],
      ],
      { localNets: ['10.77.0.0/24'] },
    );
    const bogons = a.findings.filter((f) => f.kind === 'bogon');
    assert.deepEqual(bogons.map((f) => [f.mac, f.ips[0], f.severity]), [[proxy, '203.0.113.9', 'warning'], ['02:00:00:00:00:07', '198.51.100.7', 'warning']]);
    assert.equal(a.summary.ips, 0, 'neither bogon is a station');
    assert.deepEqual(run([[0, rep('203.0.113.9', proxy, GW)]]).kinds.filter((k) => k.startsWith('bogon')), [], 'no --local-net, no subnet known: no bogon rule');
  });

  test('the summary counts every MAC that claimed an IP, not only those still in the table', () => {
    const frames: Array<[number, ArpFrameSpec]> = [];
    for (let i = 0; i < 12; i++) frames.push([i, req(GW.ip, { mac: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`, ip: '10.77.0.50' })]);
    const a = run(frames, { maxTableIps: 8 });
    assert.equal(a.summary.macs, 12);
    assert.equal(a.summary.ips, 1);
  });

  test('a flood of new stations: a burst of new-station findings, the rest counted as suppressed', () => {
    const frames: Array<[number, ArpFrameSpec]> = [];
    for (let i = 0; i < 1000; i++) frames.push([i, req(GW.ip, { mac: '02:00:00:00:00:05', ip: `10.77.${i >> 8}.${i & 255}` })]);
    const a = run(frames, { rateBurst: 50, ratePerSecond: 10 });
    assert.equal(a.summary.findingsByKind['new-station'], 50 + 9, 'the burst, then 10 per second over the 1 s of frame time');
    assert.equal(a.summary.suppressedByKind['new-station'], 1000 - 59);
    assert.equal(a.summary.newStations, 1000, 'every station is counted, reported or not');
  });
});

describe('bounded state under floods', () => {
  test('LruIndex agrees with a Map model through inserts, touches, removes and growth', () => {
    const ix = new LruIndex(5000, { lists: 2, initial: 16 });
    const model = new Map<string, number>();
    let seed = 3;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 60_000; i++) {
      const hi = rnd(3);
      const lo = rnd(7000) * 0x10001;
      const key = `${hi}/${lo}`;
      const s = ix.find(hi, lo);
      assert.equal(s >= 0, model.has(key), `find ${key} at step ${i}`);
      if (s >= 0) {
        assert.equal(model.get(key), s);
        if (rnd(3) === 0) {
          ix.remove(s);
          model.delete(key);
        } else ix.touch(s, rnd(2));
      } else {
        if (ix.full) {
          const victim = ix.oldest(rnd(2)) >= 0 ? ix.oldest(0) >= 0 ? ix.oldest(0) : ix.oldest(1) : ix.oldest(1);
          model.delete(`${ix.keyHi[victim]}/${ix.keyLo[victim]}`);
          ix.remove(victim);
        }
        model.set(key, ix.insert(hi, lo, rnd(2)));
      }
      assert.equal(ix.size, model.size);
    }
    assert.equal(ix.counts[0]! + ix.counts[1]!, ix.size);
  });

  test('300,000 new senders against a 262,144-station table: every structure at its cap, the gateway and an established host survive', () => {
    const records: number[] = [0];
    const w = new ArpWatcher(() => records[0]!++);
    // The gateway and a host, each seen across more than a second: established.
    for (const f of [...talk(0), ...talk(1500)]) w.ingest({ time: T0 + f[0], bytes: encodeArpFrame(f[1]) });
    const bytes = encodeArpFrame(req('10.255.255.254', { mac: '02:00:00:00:00:00', ip: '10.0.0.0' }));
    for (let i = 0; i < 300_000; i++) {
      // A new sender IP (10.x.y.z, never 10.77.0.1/2) and MAC every frame, random target: pending fills too.
      const ip = 0x0a800000 + i;
      bytes[28] = ip >>> 24;
      bytes[29] = (ip >>> 16) & 255;
      bytes[30] = (ip >>> 8) & 255;
      bytes[31] = ip & 255;
      bytes[25] = (i >>> 16) & 255;
      bytes[26] = (i >>> 8) & 255;
      bytes[27] = i & 255;
      bytes.copyWithin(6, 22, 28);
      bytes[39] = i & 255;
      bytes[40] = (i >>> 8) & 255;
      bytes[41] = (i >>> 16) & 255;
      w.ingest({ time: T0 + 2000 + i / 1000, bytes });
    }
    const sz = w.sizes();
    assert.equal(sz.table, 262_144);
    assert.ok(sz.pending <= 65_536, `pending ${sz.pending}`);
    assert.ok(sz.raised <= 100_000, `dedup keys ${sz.raised}`);
    const s = w.summary();
    assert.equal(s.evicted, 300_002 - 262_144);
    const kept = new Set(w.entries().map((e) => e.ip));
    assert.ok(kept.has(GW.ip) && kept.has(VICTIM.ip), 'established stations are never the victims of a flood of newcomers');
    // ...so a hijack of the gateway after the flood is still seen.
    const after: WatchRecord[] = [];
    const w2 = w as unknown as { emit: (r: WatchRecord) => void };
    w2.emit = (r) => after.push(r);
    w.ingest({ time: T0 + 400_000, bytes: encodeArpFrame(rep(GW.ip, ATTACKER, VICTIM)) });
    assert.ok(after.some((r) => r.type === 'finding' && r.kind === 'mac-changed' && r.ips[0] === GW.ip), 'the hijack of the gateway after the flood');
    assert.ok(w.stateBytes() < 64 * 2 ** 20, `typed state ${w.stateBytes()} bytes`);
  });
});
