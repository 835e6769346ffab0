/**
 * The package as a user gets it: `npm pack`, then `npm install -g` of that tarball into a scratch
 * prefix. Its install script builds the libpcap binding from source (binding.gyp + src/link/native),
 * and the installed `arpinject` probes a kernel host in a namespace.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withLab } from '../../src/lab/lab.js';
import { parseNdjson } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'arpinject-install-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function sh(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }),
    ),
  );
}

describe('npm install -g from the packed tarball', { skip: skipUnlessRoot }, () => {
  test('builds the binding at install, and the installed arpinject probes a kernel host', async () => {
    const pack = await sh(['npm', 'pack', '--pack-destination', tmp], { cwd: root });
    assert.equal(pack.code, 0, pack.stderr);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack made a tarball');
    const env = { ...process.env, ...(existsSync('/usr/include/node/node_version.h') ? { npm_config_nodedir: '/usr' } : {}) };
    const prefix = join(tmp, 'global');
    const inst = await sh(['npm', 'install', '-g', '--no-audit', '--no-fund', '--prefix', prefix, join(tmp, tgz!)], { env });
    assert.equal(inst.code, 0, inst.stderr);
    const pkg = join(prefix, 'lib', 'node_modules', 'arpinject');
    assert.ok(existsSync(join(pkg, 'build', 'Release', 'arpinject_pcap.node')), 'the binding was built by the install script');
    assert.ok(!existsSync(join(pkg, 'node_modules', 'cap')), 'cap is no longer a dependency');
    const bin = join(prefix, 'bin', 'arpinject');
    const v = await sh([bin, '--version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    await withLab(
      {
        namespaces: ['a', 'b'],
        veths: [{ a: { ns: 'a', name: 'bond0', addrs: ['10.9.0.1/24'] }, b: { ns: 'b', name: 'eth0', addrs: ['10.9.0.2/24'] } }],
      },
      async (lab) => {
        const r = await lab.exec('a', [bin, '-i', 'bond0', '-t', '10.9.0.2', '--json']);
        const recs = parseNdjson(r.stdout);
        assert.equal(recs.find((x) => x.type === 'reply')?.mac, await lab.mac('b', 'eth0'));
        assert.equal(recs.at(-1)!.dropped, 0);
      },
    );
  });
});
