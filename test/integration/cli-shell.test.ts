/**
 * The CLI and the shell around it, against a real kernel: a loopback interface is refused (exit 3,
 * ERR_LINK_TYPE) before any frame is sent. Only ever on the loopback of a namespace this test
 * created (never the root namespace's lo), with tcpdump on that loopback as the witness.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';
import { startTcpdump } from '../helpers/tcpdump.js';


describe('a loopback interface is refused before anything is sent', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'arpinject-shell-'));
    lab = await Lab.create({ prefix: 'aish', namespaces: ['a'] });
  });
  after(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** tcpdump on the namespace's lo (every frame, no filter); stop() returns how many it captured. */
  async function tcpdumpLo() {
    const t = await startTcpdump(lab, 'a', ['-i', 'lo', '-nn', '-w', join(tmp, `lo-${Date.now()}.pcap`)], 300);
    return {
      async stop(): Promise<number> {
        const r = await t.stop();
        assert.ok(!Number.isNaN(r.captured), `tcpdump said: ${r.stderr}`);
        return r.captured;
      },
    };
  }

  test("the witness works: tcpdump on the namespace's lo sees a UDP datagram sent there", async () => {
    const td = await tcpdumpLo();
    const send = "const s = require('node:dgram').createSocket('udp4'); s.send('x', 9, '127.0.0.1', () => s.close())";
    const r = await lab.exec('a', [process.execPath, '-e', send], { allowFail: true });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await td.stop()) >= 1, 'the datagram was captured');
  });

  const commands: Array<[string, string[]]> = [
    ['probe', ['probe', '-i', 'lo', '-t', '127.0.0.2', '--timeout', '200', '--wait', '0']],
    ['probe (default command, --sha and --sip given)', ['--iface', 'lo', '--tip', '127.0.0.2', '--sha', '02:00:00:00:00:01', '--sip', '127.0.0.1', '--timeout', '200', '--wait', '0']],
    ['probe (no sender IP on lo for the target)', ['probe', '-i', 'lo', '-t', '10.0.0.2', '--timeout', '200', '--wait', '0']],
    ['sweep', ['sweep', '-i', 'lo', '127.0.0.0/30', '--timeout', '100', '--wait', '0', '--retries', '0']],
    ['respond', ['respond', '-i', 'lo', '--claim', '127.0.0.2', '--duration', '1']],
    ['watch', ['watch', '-i', 'lo', '--duration', '1']],
    ['trigger', ['trigger', '-i', 'lo', '--dst', '127.0.0.2', '--timeout', '200']],
  ];
  for (const [name, args] of commands)
    test(`${name} -i lo: exit 3, ERR_LINK_TYPE, "a loopback interface", and tcpdump on lo saw no frame`, async () => {
      const td = await tcpdumpLo();
      const r = await runCli(lab.nsName('a'), [...args, '--json']);
      const captured = await td.stop();
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^arpinject: interface lo is a loopback interface \(ARPHRD 772\), not Ethernet: ARP does not run on it\n  hint: give an Ethernet interface/m);
      assert.equal(r.records.at(-1)?.code, 'ERR_LINK_TYPE');
      assert.equal(captured, 0, 'nothing was sent on lo');
    });
});
