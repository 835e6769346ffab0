/**
 * Safe identity: a spoofed sender MAC without --sip asks as 0.0.0.0 (RFC 5227: nobody learns this
 * host's IP at a fake MAC) and says so; explain's verification defaults to 0.0.0.0; trigger refuses
 * destinations the kernel never ARPs for (exit 2).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertUnicastDst } from '../../src/cli/commands/trigger.js';
import { UsageError } from '../../src/errors.js';
import { VERIFY_SENDER_NOTE, explainSender } from '../../src/explain/live.js';
import { SPOOFED_SIP_RULE, chooseSenderIp } from '../../src/link/interfaces.js';
import { MemoryLink } from '../../src/link/memory-link.js';
import type { Logger } from '../../src/log.js';
import { FakeClock } from '../../src/time/clock.js';
import { planProbe, probe } from '../../src/probe/probe.js';
import { sweep } from '../../src/sweep/sweep.js';
import { decodeArpFrame } from '../../src/wire/index.js';
import { runCli } from '../helpers/cli.js';

const FAKE = '02:00:00:00:00:66';

function capturingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const noop = () => {};
  return { warnings, debug: noop, info: noop, error: noop, warn: (o: object | string, m?: string) => warnings.push(typeof o === 'string' ? o : (m ?? '')) };
}

const spaOf = (frame: Uint8Array): string => {
  const d = decodeArpFrame(frame);
  assert.ok(d.ok);
  return d.value.arp.senderIp;
};

describe('a spoofed sender MAC without --sip sends as 0.0.0.0', () => {
  test('chooseSenderIp: --sha or --eth-src that is not the interface MAC', () => {
    for (const spoof of [{ sha: FAKE }, { ethSrc: FAKE }]) {
      const c = chooseSenderIp('lo', '10.0.0.2', spoof);
      assert.equal(c.ip, '0.0.0.0');
      assert.equal(c.rule, SPOOFED_SIP_RULE);
      assert.match(c.warning ?? '', /sender IP 0\.0\.0\.0: 02:00:00:00:00:66 is not lo's MAC and no --sip was given/);
    }
  });
  test('planProbe: the frames carry spa 0.0.0.0, sipRule says why; --sip still wins', () => {
    const p = planProbe({ iface: 'mem0', sha: FAKE, targets: ['10.0.0.2'] });
    assert.equal(p.fields.sip, '0.0.0.0');
    assert.equal(p.fields.sipRule, SPOOFED_SIP_RULE);
    assert.equal(spaOf(p.requests[0]!.frame), '0.0.0.0');
    assert.ok(p.sipWarning);
    const given = planProbe({ iface: 'mem0', sha: FAKE, sip: '10.0.0.9', targets: ['10.0.0.2'] });
    assert.equal(spaOf(given.requests[0]!.frame), '10.0.0.9');
    assert.equal(given.fields.sipRule, 'given');
  });
  test('--eth-src alone (the ARP sender is the interface MAC, lo here) is spoofing too', () => {
    const p = planProbe({ iface: 'lo', ethSrc: FAKE, targets: ['10.0.0.2'] });
    assert.equal(p.fields.sip, '0.0.0.0');
  });
  test('probe() logs the warning', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const log = capturingLogger();
    const p = probe({ iface: 'mem0', sha: FAKE, targets: ['10.0.0.2'], link, clock, logger: log, timeoutMs: 10 });
    clock.advance(1000);
    const r = await p;
    assert.equal(r.fields.sip, '0.0.0.0');
    assert.equal(spaOf(link.sentFrames[0]!.bytes), '0.0.0.0');
    assert.ok(log.warnings.some((w) => /sender IP 0\.0\.0\.0/.test(w)), log.warnings.join('\n'));
  });
  test('sweep(): same rule, the summary has sip and sipRule, the warning is logged', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    const log = capturingLogger();
    const p = sweep({ iface: 'mem0', link, clock, sha: FAKE, targets: ['10.0.0.1-3'], canaries: false, retries: 0, logger: log });
    clock.advance(10_000);
    const r = await p;
    assert.equal(r.summary.sip, '0.0.0.0');
    assert.equal(r.summary.sipRule, SPOOFED_SIP_RULE);
    assert.deepEqual(link.sentFrames.map((f) => spaOf(f.bytes)), ['0.0.0.0', '0.0.0.0', '0.0.0.0']);
    assert.ok(log.warnings.some((w) => /sender IP 0\.0\.0\.0/.test(w)));
  });
});

describe("explain's sender", () => {
  const base = { dev: 'd0', addrs: [{ dev: 'd0', local: '10.0.0.5', prefixLen: 24, scope: 'global' }] } as never;
  test('--verify-from without --sip: 0.0.0.0, with a note (it used to be the first free address: usually the router)', () => {
    assert.deepEqual(explainSender({ verifyFrom: 'p0' }, base), { sip: '0.0.0.0', note: VERIFY_SENDER_NOTE });
  });
  test('--sip wins; a prediction alone (nothing sent) keeps the free subnet address', () => {
    assert.deepEqual(explainSender({ verifyFrom: 'p0', sip: '10.0.0.9' }, base), { sip: '10.0.0.9' });
    assert.deepEqual(explainSender({}, base), { sip: '10.0.0.1' });
  });
});

describe('trigger --dst must be a unicast neighbour', () => {
  test('0/8, limited broadcast, multicast, 240/4, the subnet broadcast: UsageError', () => {
    for (const d of ['0.0.0.0', '0.1.2.3', '255.255.255.255', '224.0.0.1', '239.1.1.1', '240.0.0.1']) assert.throws(() => assertUnicastDst(d), UsageError, d);
    assert.throws(() => assertUnicastDst('10.5.0.255', [{ address: '10.5.0.1', prefixLen: 24 }]), /broadcast address of 10\.5\.0\.1\/24/);
    assertUnicastDst('10.5.0.2', [{ address: '10.5.0.1', prefixLen: 24 }]);
    assertUnicastDst('10.5.0.255', [{ address: '10.5.0.1', prefixLen: 23 }]);
  });
  test('the CLI: trigger --dst 255.255.255.255 is exit 2 (was 3), before anything is opened', async () => {
    for (const d of ['255.255.255.255', '224.0.0.251', '0.0.0.0']) {
      const r = await runCli(undefined, ['trigger', '--iface', 'nosuch0', '--dst', d]);
      assert.equal(r.code, 2, `${d}: ${r.stderr}`);
      assert.match(r.stderr, /the kernel never ARPs for it/);
    }
  });
});
