/** The lab builder against the real kernel: creation, naming, teardown, failure cleanup. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lab, cleanupStaleLabs, withLab } from '../../src/lab/lab.js';
import { GRNET_TABLE, createGrnetLab, breakGrnetRoutes } from '../../src/lab/topologies.js';
import { skipUnlessRoot } from '../helpers/root.js';

const netnsList = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]!)
    .filter(Boolean);

describe('lab', { skip: skipUnlessRoot }, () => {
  test('builds namespaces named prefix+pid-role, veths, addresses, sysctls; destroy removes all', async () => {
    const lab = await Lab.create({
      prefix: 'labt',
      namespaces: ['a', 'b'],
      veths: [{ a: { ns: 'a', name: 'x0', addrs: ['10.1.0.1/24'], mac: '02:00:00:00:0a:01' }, b: { ns: 'b', name: 'y0', addrs: ['10.1.0.2/24'] } }],
      sysctls: [{ ns: 'a', key: 'net.ipv4.conf.x0.proxy_arp', value: 1 }],
      routes: [{ ns: 'a', route: '203.0.113.0/24 via 10.1.0.2 dev x0' }],
      rules: [{ ns: 'a', rule: 'iif x0 lookup 123' }],
    });
    try {
      assert.equal(lab.nsName('a'), `labt${process.pid}-a`);
      assert.ok(netnsList().includes(lab.nsName('a')));
      assert.equal(await lab.mac('a', 'x0'), '02:00:00:00:0a:01');
      assert.equal(await lab.readSysctl('a', 'net.ipv4.conf.x0.proxy_arp'), '1');
      assert.equal(await lab.readSysctl('a', 'net.ipv4.conf.all.rp_filter'), '0');
      assert.match(await lab.ip('a', 'route', 'show'), /203\.0\.113\.0\/24 via 10\.1\.0\.2 dev x0/);
      assert.match(await lab.ip('a', 'rule', 'show'), /iif x0 lookup 123/);
      const ping = await lab.exec('a', ['arping', '-q', '-i', 'x0', '-c', '1', '-w', '2', '10.1.0.2'], { allowFail: true });
      assert.equal(ping.code, 0, 'the veth pair carries ARP (Habets arping as a second opinion): ' + ping.stdout + ping.stderr);
    } finally {
      await lab.destroy();
      await lab.destroy(); // idempotent
    }
    assert.ok(!netnsList().some((n) => n.startsWith(`labt${process.pid}-`)));
  });

  test('a failing spec tears down what it made and names the failing command', async () => {
    await assert.rejects(
      Lab.create({ prefix: 'labf', namespaces: ['a'], routes: [{ ns: 'a', route: '10.9.9.0/24 via 10.250.0.1' }] }),
      /lab: `ip -n labf\d+-a route add 10\.9\.9\.0\/24 via 10\.250\.0\.1` failed/,
    );
    assert.ok(!netnsList().some((n) => n.startsWith(`labf${process.pid}-`)));
    await assert.rejects(Lab.create({ prefix: 'labf', namespaces: ['a', 'b'], veths: [{ a: { ns: 'a', name: 'much-too-long-name0' }, b: { ns: 'b', name: 'y' } }] }), /bad interface name/);
    assert.ok(!netnsList().some((n) => n.startsWith(`labf${process.pid}-`)));
  });

  test('withLab destroys even when the body throws; spawned children are stopped', async () => {
    let name = '';
    await assert.rejects(
      withLab({ prefix: 'labw', namespaces: ['a'] }, async (lab) => {
        name = lab.nsName('a');
        const child = lab.spawn('a', ['sleep', '30']);
        assert.equal(child.exitCode, null);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(!netnsList().includes(name));
  });

  test('a process that dies mid-test leaves no namespace (exit hook); stale ones are recognised by pid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arpinject-lab-'));
    try {
      const mod = fileURLToPath(new URL('../../src/lab/lab.ts', import.meta.url));
      const s = join(dir, 'crash.mts');
      writeFileSync(s, `import { Lab } from ${JSON.stringify(mod)};
        const lab = await Lab.create({ prefix: 'labx', namespaces: ['a'] });
        console.log(lab.nsName('a'));
        throw new Error('crash after create');`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', s], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      const name = r.stdout.trim();
      assert.match(name, /^labx\d+-a$/);
      assert.ok(!netnsList().includes(name), 'deleted by the exit hook');
      // A namespace left by a pid that no longer exists (SIGKILL: no hook can run) is cleaned up.
      execFileSync('ip', ['netns', 'add', 'labk999999-a']);
      assert.deepEqual(cleanupStaleLabs('labk'), ['labk999999-a']);
      assert.ok(!netnsList().includes('labk999999-a'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GRNET topology: routes and rules as in the seed; bouncing vlan0 removes its routes (case B)', async () => {
    const g = await createGrnetLab();
    try {
      const table = await g.lab.ip('host', 'route', 'show', 'table', String(GRNET_TABLE));
      assert.match(table, /default via 10\.0\.0\.1 dev vlan0/);
      assert.match(table, /10\.0\.0\.2 dev tap0/);
      assert.match(await g.lab.ip('host', 'rule', 'show'), new RegExp(`iif vlan0 lookup ${GRNET_TABLE}`));
      await breakGrnetRoutes(g.lab);
      const after = await g.lab.ip('host', 'route', 'show', 'table', String(GRNET_TABLE));
      assert.doesNotMatch(after, /vlan0/);
      assert.match(after, /10\.0\.0\.2 dev tap0/);
      assert.match(await g.lab.ip('host', 'route', 'show'), /default via 203\.0\.113\.1 dev eth0/);
    } finally {
      await g.lab.destroy();
    }
  });
});
