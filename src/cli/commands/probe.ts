/**
 * `arpinject probe` (also the default command): send crafted ARP frames, report every reply.
 * Its options only: yargs applies the default command's builder to every invocation (`--version`
 * and `--help` too), so the implementation (probe-run.ts) is imported when a probe runs.
 */
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { requireValues, textOutputOptions } from '../options.js';
import { SEVERITIES } from '../../findings/finding.js';
import { COMMANDS } from './meta.js';

export interface ProbeArgs extends GlobalArgs {
  iface: string;
  tip?: string[];
  file?: string;
  sip?: string;
  sha?: string;
  tha?: string;
  ethSrc?: string;
  ethDst?: string;
  op?: string;
  vlan?: number;
  vlanPriority?: number;
  count?: number;
  interval?: string;
  deadline?: string;
  untilReplies?: number;
  timeout?: number;
  wait?: number;
  pcap?: string;
  promisc: boolean;
  expect?: string;
  failOn: string;
  rate?: number;
  yesFlood: boolean;
  plain?: boolean;
  quiet?: boolean;
  format?: string;
  vendorFile?: string;
}

export function probeOptions<T>(y: Argv<T>) {
  return y
    .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface to send on: --iface IF', describe: 'interface to send on and capture from' })
    .option('tip', { alias: 't', type: 'string', array: true, describe: 'target IP or host name to ask about (repeatable; a name is resolved once, at the start)' })
    .option('file', { alias: 'f', type: 'string', describe: 'more targets from a file (- for stdin): IPs or host names, one or more per line, # comments (arp-scan -f)' })
    .option('sip', { type: 'string', describe: "sender IP (default: the interface's address, else the kernel's source for the route)" })
    .option('sha', { type: 'string', describe: "sender MAC (default: the interface's MAC)" })
    .option('tha', { type: 'string', describe: 'target MAC in the ARP body (default 00:00:00:00:00:00)' })
    .option('eth-src', { type: 'string', describe: 'Ethernet source (default: the sender MAC)' })
    .option('eth-dst', { type: 'string', describe: 'Ethernet destination (default ff:ff:ff:ff:ff:ff; unicast to a host skips proxy_delay)' })
    .option('op', { type: 'string', describe: 'ARP opcode: request, reply or a number (default request)' })
    .option('vlan', { type: 'number', describe: '802.1Q-tag the frames with this VLAN id' })
    .option('vlan-priority', { type: 'number', describe: '802.1p priority for --vlan (0-7)' })
    .option('count', { alias: 'c', type: 'number', describe: 'requests per target (default 1; 0 = until Ctrl-C, --deadline or --until-replies, with running statistics on stderr)' })
    .option('interval', { type: 'string', describe: 'between rounds when --count > 1: ms (default 1000; fractions allowed), or with a unit: 0.2s, 200ms' })
    .option('deadline', { type: 'string', describe: 'stop after this many seconds whatever was sent or is pending (arping -w; 1.5, 500ms)' })
    .option('until-replies', { type: 'number', describe: 'stop once this many replies arrived (arping -C)' })
    .option('timeout', { type: 'number', describe: 'ms to wait for a first reply to each request (default 1000: covers proxy_delay 0.8 s)' })
    .option('wait', { type: 'number', describe: 'ms to keep listening after the last request, for a second responder and late replies (default 1000: covers proxy_delay 0.8 s; 0 = first replies only)' })
    .option('pcap', { type: 'string', describe: 'write every frame sent and received to this pcap file (kernel nanosecond stamps)' })
    .option('promisc', { type: 'boolean', default: true, describe: 'promiscuous capture (--no-promisc: leave the NIC out of promiscuous mode: a NIC that filters by MAC then drops frames for other hosts (a reply to a spoofed --sha among them); a veth or bridge port passes them anyway)' })
    .option('rate', { type: 'number', describe: 'requests per second within a round (default 500, as sweep; 0 = all at once)' })
    .option('yes-flood', { type: 'boolean', default: false, describe: 'allow --rate 0 above 4096 requests per round, or above 10,000 pps for more than 10,000 frames' })
    .option('fail-on', { type: 'string', choices: [...SEVERITIES, 'none'], default: 'warning', describe: 'exit 1 when a finding at or above this severity exists (ip-conflict, hijack, proxy-arp-router, ...)' })
    .option('expect', { type: 'string', describe: 'reply (default: every target answered) | none (nothing answered) | MAC (answered by that MAC only)' });
}

export const probeCommand: CommandModule<GlobalArgs, ProbeArgs> = {
  ...COMMANDS.probe,
  builder: (y) => requireValues(textOutputOptions(probeOptions(y)) as unknown as Argv<ProbeArgs>),
  handler: async (argv) => (await import('./probe-run.js')).runProbe(argv),
};
