/**
 * `npm run demo`: the GRNET incident (seeds 000/001) rebuilt in network namespaces and probed with
 * the real CLI. Case A: routes intact, the hypervisor proxies only for its guest. Case B: vlan0 bounced
 * (`ip link set vlan0 down; up`), its routes are gone, the default route leaves via eth0, and the same
 * MAC now claims every address asked for on the VLAN. Exit 0 when the kernel behaves as in the incident.
 */
import { EnvironmentError } from '../errors.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { breakGrnetRoutes, createGrnetLab } from './topologies.js';
import type { ProbeSummary } from '../records/records.js';

const cli = fileURLToPath(new URL('../cli/arpinject.cjs', import.meta.url));
const targets = ['10.0.0.2', '10.0.0.6', '8.8.8.8'];

function probeIn(ns: string, title: string): ProbeSummary {
  const args = ['probe', '--iface', 'bond0', '--sip', '10.0.0.1', ...targets.flatMap((t) => ['--tip', t]), '--wait', '1000'];
  console.log(`\n== ${title}\n$ arpinject ${args.join(' ')}`);
  const human = spawnSync('ip', ['netns', 'exec', ns, process.execPath, cli, ...args], { encoding: 'utf8' });
  process.stdout.write(human.stdout);
  const json = spawnSync('ip', ['netns', 'exec', ns, process.execPath, cli, ...args, '--json'], { encoding: 'utf8' });
  const lines = json.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] ?? '{}') as ProbeSummary;
  if (summary.type !== 'summary') throw new EnvironmentError('ERR_COMMAND_FAILED', `probe failed: ${json.stderr || json.stdout}`);
  return summary;
}

async function main(): Promise<number> {
  console.log('arpinject demo: "ARP proxy going rogue" (GRNET, seeds 000/001), rebuilt in network namespaces');
  console.log('  [net] bond0 ==veth== vlan0 [host: proxy_arp, forwarding, table vlan0] tap0 ==veth== guest0 [guest 10.0.0.2/29]');
  console.log('                                     [host] eth0 ==veth== [wan 203.0.113.1] (the default route of table main)');
  const g = await createGrnetLab();
  try {
    const net = g.lab.nsName('net');
    console.log(`vlan0 MAC (the hypervisor): ${g.vlan0Mac}`);
    const a = probeIn(net, 'Case A: routes intact');
    await breakGrnetRoutes(g.lab);
    console.log('\n# ip link set vlan0 down; ip link set vlan0 up   (as `ifdown bond0; ifup bond0` did: routes via vlan0 vanish)');
    const b = probeIn(net, 'Case B: after the interface bounced');
    const only = (s: ProbeSummary, ips: string[]) =>
      Object.keys(s.claims).sort().join() === [...ips].sort().join() && ips.every((ip) => s.claims[ip]?.length === 1 && s.claims[ip]![0] === g.vlan0Mac);
    const okA = only(a, ['10.0.0.2']);
    const okB = only(b, targets);
    console.log('\n== Verdict');
    console.log(`case A: ${okA ? 'as expected' : 'UNEXPECTED'}: ${g.vlan0Mac} claims ${Object.keys(a.claims).join(', ') || 'nothing'}`);
    console.log(`case B: ${okB ? 'as expected' : 'UNEXPECTED'}: ${g.vlan0Mac} claims ${Object.keys(b.claims).join(', ') || 'nothing'}` + (okB ? '  <- hijacking every address on the VLAN' : ''));
    return okA && okB ? 0 : 1;
  } finally {
    await g.lab.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 3;
  },
);
