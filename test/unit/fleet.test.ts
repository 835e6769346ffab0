/**
 * examples/ for a fleet: the systemd unit's command line is one watch accepts, and the Prometheus
 * alerting rules are valid, fire on the series watch exports (promtool, Debian's prometheus package,
 * unpacked by .ci/setup.sh), and use only metric names watch really exports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ArpWatcher } from '../../src/watch/analyzer.js';
import { WatchMetrics } from '../../src/watch/metrics.js';
import { runCli } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROMTOOL = join(root, '.ci/tools/usr/bin/promtool');
const RULES = join(root, 'examples/prometheus/arpinject-rules.yml');
const UNIT = join(root, 'examples/systemd/arpinject-watch@.service');

test('promtool: the rules check, and their unit tests pass', { skip: existsSync(PROMTOOL) ? false : `promtool not unpacked at ${PROMTOOL} (run .ci/setup.sh)` }, () => {
  const check = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 5 rules found/);
  const t = spawnSync(PROMTOOL, ['test', 'rules', 'arpinject-rules.test.yml'], { cwd: join(root, 'examples/prometheus'), encoding: 'utf8' });
  assert.equal(t.status, 0, t.stdout + t.stderr);
});

test('every metric the rules use is one watch exports', async () => {
  const m = new WatchMetrics();
  m.track(new ArpWatcher(() => {}));
  m.trackCapture(() => ({ dropped: 3 }));
  m.stateWrites.inc({ result: 'failed' });
  m.observe({ type: 'finding', kind: 'mac-changed', severity: 'critical', mac: null, ips: [], vlan: null, message: '', evidence: {}, time: '' });
  const text = await m.text();
  const used = new Set([...readFileSync(RULES, 'utf8').matchAll(/\b(arpinject_[a-z_]+)/g)].map((x) => x[1]!));
  assert.ok(used.size >= 3, [...used].join(' '));
  for (const name of used) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is not exported`);
  assert.match(text, /^arpinject_watch_capture_dropped_frames_total 3$/m);
});

test("the systemd unit's ExecStart is a command line watch accepts (it fails on the missing interface, exit 3, not on a flag, exit 2)", async () => {
  const unit = readFileSync(UNIT, 'utf8');
  assert.match(unit, /^AmbientCapabilities=CAP_NET_RAW$/m);
  assert.match(unit, /^Restart=on-failure$/m);
  const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'arpinject-unit-'));
  try {
    const args = exec
      .split(/\s+/)
      .slice(1)
      .map((a) => a.replace('%i', 'nosuch0').replace('${ARPINJECT_STATE}', join(dir, 's.dat')).replace('${METRICS_PORT}', '0'));
    assert.equal(args[0], 'watch');
    const r = await runCli(undefined, args);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr + r.stdout, /nosuch0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
