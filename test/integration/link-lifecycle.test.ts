/**
 * The live link's edges against a real kernel: promiscuous mode is what the flag says (the
 * interface's promiscuity counter), and a capture that dies under a run (the interface deleted)
 * ends it with its summary and exit 3, instead of a watch that waits forever on a dead socket.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Lab, withLab } from '../../src/lab/lab.js';
import { parseNdjson, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const spec = { namespaces: ['a', 'b'], veths: [{ a: { ns: 'a', name: 'bond0', addrs: ['10.9.0.1/24'] }, b: { ns: 'b', name: 'eth0', addrs: ['10.9.0.2/24'] } }] };
const promiscuity = async (lab: Lab) => (JSON.parse(await lab.ip('a', '-d', '-j', 'link', 'show', 'bond0')) as Array<{ promiscuity: number }>)[0]!.promiscuity;

describe('live link lifecycle', { skip: skipUnlessRoot }, () => {
  test('promiscuous by default, not with --no-promisc (the kernel counter says so)', () =>
    withLab(spec, async (lab) => {
      for (const [args, want] of [[[], 1], [['--no-promisc'], 0]] as const) {
        const w = await startCli(lab.nsName('a'), ['watch', '-i', 'bond0', '--json', ...args]);
        try {
          assert.equal(await promiscuity(lab), want, `watch ${args.join(' ')}`);
        } finally {
          await stopChild(w.child);
        }
      }
      assert.equal(await promiscuity(lab), 0, 'closing the capture drops promiscuous mode');
    }));

  test('the interface deleted under a live watch: the summary, then ERR_LINK_OPEN, exit 3', () =>
    withLab(spec, async (lab) => {
      const w = await startCli(lab.nsName('a'), ['watch', '-i', 'bond0', '--json']);
      const exited = new Promise<number | null>((r) => w.child.once('exit', r));
      await lab.ip('a', 'link', 'del', 'bond0');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]);
      if (code === 'still running') await stopChild(w.child);
      assert.equal(code, 3, 'watch ends by itself, exit 3');
      const recs = parseNdjson(w.output());
      const i = recs.findIndex((r) => r.type === 'summary');
      assert.ok(i >= 0, 'the summary is printed');
      assert.equal(recs[i + 1]?.type, 'error');
      assert.equal(recs[i + 1]?.code, 'ERR_LINK_OPEN');
      assert.match(recs[i + 1]!.message, /the capture on bond0 failed/);
    }));

  test('the interface deleted under a listening probe: summary (interrupted), exit 3', () =>
    withLab(spec, async (lab) => {
      const run = runCli(lab.nsName('a'), ['-i', 'bond0', '-t', '10.9.0.2', '--wait', '8000', '--json']);
      await new Promise((r) => setTimeout(r, 1500));
      await lab.ip('a', 'link', 'del', 'bond0');
      const r = await run;
      assert.equal(r.code, 3, r.stderr);
      const s = r.records.find((x) => x.type === 'summary')!;
      assert.equal(s.interrupted, true);
      assert.equal(s.replies, 1, 'the reply captured before is kept');
      assert.match(r.stderr, /the capture on bond0 failed/);
    }));
});
