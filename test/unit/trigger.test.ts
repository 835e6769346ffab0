import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { formatTrigger } from '../../src/cli/commands/trigger.js';
import { type TriggerResult, classifySender, echoPacket } from '../../src/trigger/trigger.js';

/** RFC 1071 one's-complement sum, written independently of raw-socket's. */
function inetSum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

// The real binding when it loads (it is a dependency); the checks below do not trust it anyway.
const raw = createRequire(import.meta.url)('raw-socket') as Parameters<typeof echoPacket>[0];

describe('trigger: the echo packet', () => {
  test('without --src: an ICMP echo request only, valid checksum, id = pid', () => {
    const p = echoPacket(raw, '10.5.0.2');
    assert.equal(p.length, 16);
    assert.deepEqual([p[0], p[1]], [8, 0], 'type 8 code 0');
    assert.equal(p.readUInt16BE(4), process.pid & 0xffff);
    assert.equal(p.readUInt16BE(6), 1, 'seq 1');
    assert.equal(p.subarray(8).toString('latin1'), 'arpinjct');
    assert.equal(inetSum(p), 0xffff, 'checksum verifies');
  });

  test('with --src: our own IPv4 header (IP_HDRINCL) carrying the chosen source', () => {
    const p = echoPacket(raw, '10.5.0.2', '169.254.1.1');
    assert.equal(p.length, 36);
    assert.equal(p[0], 0x45, 'IPv4, 20-byte header');
    assert.equal(p.readUInt16BE(2), 36, 'total length');
    assert.deepEqual([p[8], p[9]], [64, 1], 'TTL 64, protocol ICMP');
    assert.deepEqual([...p.subarray(12, 16)], [169, 254, 1, 1]);
    assert.deepEqual([...p.subarray(16, 20)], [10, 5, 0, 2]);
    assert.equal(inetSum(p.subarray(0, 20)), 0xffff, 'IP header checksum verifies');
    assert.equal(inetSum(p.subarray(20)), 0xffff, 'ICMP checksum verifies');
    assert.equal(p[20], 8);
  });
});

describe('trigger: classifySender', () => {
  const addrs = [
    { local: '127.0.0.1', scope: 'host', dev: 'lo' },
    { local: '10.5.0.1', scope: 'global', dev: 'eth0' },
    { local: '169.254.1.1', scope: 'host', dev: 'eth0' },
    { local: '169.254.7.7', scope: 'link', dev: 'eth0' },
    { local: '169.254.9.9', scope: 'link', dev: 'eth1' },
    { local: '192.0.2.1', scope: 'global', dev: 'eth1' },
    { local: '198.51.100.1', scope: 'global', dev: 'lo' },
  ];
  const kind = (spa: string) => classifySender(spa, addrs, 'eth0')?.kind ?? null;

  test('the ARP bubble: a host-scoped address as sender is critical, whatever device holds it', () => {
    const l = classifySender('169.254.1.1', addrs, 'eth0');
    assert.equal(l?.kind, 'host-scoped-sender');
    assert.equal(l?.severity, 'critical');
    assert.match(l!.message, /arp_announce=2 on eth0/);
    assert.equal(classifySender('169.254.1.1', [{ local: '169.254.1.1', scope: 'host', dev: 'lo' }], 'eth0')?.kind, 'host-scoped-sender');
  });

  test('each branch', () => {
    assert.equal(kind('127.0.0.1'), 'host-scoped-sender', '127.0.0.1 is scope host on lo');
    assert.equal(kind('127.0.0.2'), 'loopback-sender');
    assert.equal(kind('169.254.9.9'), 'link-local-sender', "link-local of another device");
    assert.equal(kind('169.254.7.7'), null, "the link's own link-local address is legitimate there");
    assert.equal(kind('192.0.2.1'), 'foreign-sender');
    assert.equal(classifySender('192.0.2.1', addrs, 'eth0')?.severity, 'warning');
    assert.equal(kind('198.51.100.1'), null, 'a global address on lo is the usual anycast/loopback service address');
    assert.equal(kind('0.0.0.0'), 'unspecified-sender');
    assert.equal(kind('10.5.0.1'), null);
  });
});

describe('trigger: text output', () => {
  const base: TriggerResult = {
    type: 'trigger',
    iface: 'eth0',
    dst: '10.5.0.2',
    src: '169.254.1.1',
    request: { spa: '169.254.1.1', sha: '02:00:00:00:00:01', time: '2026-01-01T00:00:00.000Z' },
    reply: { mac: '02:00:00:00:00:02', rttMs: 0.5 },
    senderIp: '169.254.1.1',
    arpAnnounce: { dev: 0, all: 0, effective: 0 },
    neighbourBefore: null,
    leak: { kind: 'host-scoped-sender', severity: 'critical', message: 'the bubble' },
  };
  test('a leak', () => {
    assert.deepEqual(formatTrigger(base), [
      'kernel ARP request on eth0: who-has 10.5.0.2 tell 169.254.1.1 (02:00:00:00:00:01)',
      'reply: 10.5.0.2 is-at 02:00:00:00:00:02 (0.5 ms)',
      'arp_announce: eth0=0, all=0 (effective 0); echo sent from 169.254.1.1',
      'CRITICAL host-scoped-sender: the bubble',
    ]);
  });
  test('no request seen: the note says why', () => {
    const lines = formatTrigger({ ...base, src: null, request: null, reply: null, senderIp: null, leak: null, note: 'already resolved' });
    assert.deepEqual(lines, ['no ARP request from this host for 10.5.0.2 on eth0', 'arp_announce: eth0=0, all=0 (effective 0)', 'note: already resolved']);
  });
  test('a fine sender, no reply', () => {
    const lines = formatTrigger({ ...base, src: null, reply: null, senderIp: '10.5.0.1', request: { ...base.request!, spa: '10.5.0.1' }, leak: null });
    assert.deepEqual(lines.slice(1), ['no reply from 10.5.0.2', 'arp_announce: eth0=0, all=0 (effective 0)', 'sender 10.5.0.1: fine']);
  });
});
