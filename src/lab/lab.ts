/**
 * Declarative network-namespace labs: namespaces, veth pairs, bridges, addresses, sysctls, routes
 * and rules, built with iproute2 and always torn down (finally, exit and signal handlers).
 * Real namespace names are `${prefix}${pid}-${role}`, so parallel runs never collide and stale ones
 * can be recognised by their dead pid.
 */
import { EnvironmentError, UsageError } from '../errors.js';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';

export interface LabEnd {
  ns: string;
  name: string;
  mac?: string;
  /** CIDR addresses, e.g. "10.0.0.2/29". */
  addrs?: string[];
  /** Default true. */
  up?: boolean;
  mtu?: number;
}

export interface LabSpec {
  /** Default "ai". */
  prefix?: string;
  /** Logical names of the namespaces. */
  namespaces: string[];
  veths?: Array<{ a: LabEnd; b: LabEnd }>;
  /** Ports are devices already in `ns` (veth ends). */
  bridges?: Array<{ ns: string; name: string; ports: string[]; mac?: string; addrs?: string[] }>;
  /** Applied after links exist, e.g. { ns: 'host', key: 'net.ipv4.conf.vlan0.proxy_arp', value: 1 }. */
  sysctls?: Array<{ ns: string; key: string; value: string | number }>;
  /** Arguments of `ip route add`, e.g. "default via 10.0.0.1 dev vlan0 table 999 onlink". */
  routes?: Array<{ ns: string; route: string }>;
  /** Arguments of `ip rule add`. */
  rules?: Array<{ ns: string; rule: string }>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
/** Namespaces alive in this process, for the exit/signal safety net. */
const alive = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const ns of alive) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      // Only act when nobody else handles the signal (the CLI does, and calls destroy itself).
      if (process.listenerCount(sig) > 1) return;
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function run(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function runOk(argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new EnvironmentError('ERR_COMMAND_FAILED', `lab: \`${argv.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export class Lab {
  readonly prefix: string;
  private readonly names = new Map<string, string>();
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  static async create(spec: LabSpec): Promise<Lab> {
    const lab = new Lab(spec.prefix ?? 'ai');
    hookExit();
    try {
      await lab.build(spec);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  nsName(logical: string): string {
    const n = this.names.get(logical);
    if (!n) throw new UsageError('ERR_INVALID_ARGUMENT', `lab: no namespace "${logical}" (have ${[...this.names.keys()].join(', ')})`);
    return n;
  }

  private async build(spec: LabSpec): Promise<void> {
    for (const ns of spec.namespaces) {
      const real = `${this.prefix}${process.pid}-${ns}`;
      if (real.length > 64) throw new UsageError('ERR_INVALID_ARGUMENT', `lab: namespace name too long: ${real}`);
      await runOk(['ip', 'netns', 'add', real]);
      this.names.set(ns, real);
      alive.add(real);
      await this.ip(ns, 'link', 'set', 'lo', 'up');
      // Quiet, predictable defaults: no rp_filter surprises, no IPv6/ND noise on the links.
      for (const [k, v] of [
        ['net.ipv4.conf.all.rp_filter', 0],
        ['net.ipv4.conf.default.rp_filter', 0],
        ['net.ipv6.conf.all.disable_ipv6', 1],
        ['net.ipv6.conf.default.disable_ipv6', 1],
      ] as const)
        await this.sysctl(ns, k, v);
    }
    for (const { a, b } of spec.veths ?? []) {
      for (const e of [a, b]) if (!IFNAME_RE.test(e.name)) throw new UsageError('ERR_INVALID_ARGUMENT', `lab: bad interface name "${e.name}" (1-15 of [A-Za-z0-9_.-])`);
      await runOk(['ip', 'link', 'add', a.name, 'netns', this.nsName(a.ns), 'type', 'veth', 'peer', 'name', b.name, 'netns', this.nsName(b.ns)]);
    }
    for (const { a, b } of spec.veths ?? []) for (const e of [a, b]) await this.configure(e);
    for (const br of spec.bridges ?? []) {
      if (!IFNAME_RE.test(br.name)) throw new UsageError('ERR_INVALID_ARGUMENT', `lab: bad bridge name "${br.name}"`);
      await this.ip(br.ns, 'link', 'add', br.name, 'type', 'bridge');
      if (br.mac) await this.ip(br.ns, 'link', 'set', br.name, 'address', br.mac);
      await this.sysctl(br.ns, `net.ipv6.conf.${br.name}.disable_ipv6`, 1).catch(() => undefined);
      for (const p of br.ports) await this.ip(br.ns, 'link', 'set', p, 'master', br.name);
      for (const addr of br.addrs ?? []) await this.ip(br.ns, 'addr', 'add', addr, 'dev', br.name);
      await this.ip(br.ns, 'link', 'set', br.name, 'up');
    }
    for (const s of spec.sysctls ?? []) await this.sysctl(s.ns, s.key, s.value);
    for (const r of spec.routes ?? []) await this.ip(r.ns, 'route', 'add', ...r.route.trim().split(/\s+/));
    for (const r of spec.rules ?? []) await this.ip(r.ns, 'rule', 'add', ...r.rule.trim().split(/\s+/));
  }

  private async configure(e: LabEnd): Promise<void> {
    if (e.mac) await this.ip(e.ns, 'link', 'set', e.name, 'address', e.mac);
    if (e.mtu) await this.ip(e.ns, 'link', 'set', e.name, 'mtu', String(e.mtu));
    for (const addr of e.addrs ?? []) await this.ip(e.ns, 'addr', 'add', addr, 'dev', e.name);
    if (e.up !== false) await this.ip(e.ns, 'link', 'set', e.name, 'up');
  }

  /** Run argv inside the namespace. Throws on a non-zero exit unless allowFail. */
  async exec(ns: string, argv: string[], opts: { input?: string; timeoutMs?: number; allowFail?: boolean } = {}): Promise<ExecResult> {
    const full = ['ip', 'netns', 'exec', this.nsName(ns), ...argv];
    const r = await run(full, opts);
    if (r.code !== 0 && !opts.allowFail) throw new EnvironmentError('ERR_COMMAND_FAILED', `lab: \`${full.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r;
  }

  /** `ip -n NS ...`; returns stdout. */
  ip(ns: string, ...args: string[]): Promise<string> {
    return runOk(['ip', '-n', this.nsName(ns), ...args]);
  }

  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    await this.exec(ns, ['sysctl', '-q', '-w', `${key}=${value}`]);
  }

  async readSysctl(ns: string, key: string): Promise<string> {
    return (await this.exec(ns, ['sysctl', '-n', key])).stdout.trim();
  }

  async mac(ns: string, dev: string): Promise<string> {
    const rows = JSON.parse(await this.ip(ns, '-j', 'link', 'show', 'dev', dev)) as Array<{ address: string }>;
    return rows[0]!.address;
  }

  /** A long-running process inside the namespace, killed by destroy(). */
  spawn(ns: string, argv: string[], opts: { stdio?: 'pipe' | 'ignore' | 'inherit' } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.nsName(ns), ...argv], { stdio: opts.stdio ?? 'pipe' });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Idempotent: stop children, delete every namespace (their veths and bridges go with them). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 2000);
        await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)));
        clearTimeout(t);
      }
    }
    for (const real of this.names.values()) {
      await run(['ip', 'netns', 'del', real]);
      alive.delete(real);
    }
  }
}

export async function withLab<T>(spec: LabSpec, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(spec);
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

/** Delete namespaces named `${prefix}<pid>-*` whose pid is no longer running (left by a killed run). */
export function cleanupStaleLabs(prefix = 'ai'): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-\\S+`);
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const m = re.exec(line.trim());
    if (!m) continue;
    const pid = Number(m[1]);
    let running = true;
    try {
      process.kill(pid, 0);
    } catch {
      running = false;
    }
    if (!running) {
      const name = line.trim().split(/\s+/)[0]!;
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      removed.push(name);
    }
  }
  return removed;
}
