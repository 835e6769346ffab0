/** `arpinject probe` (also the default command): send crafted ARP frames, report every reply. */
import type { Argv, CommandModule } from 'yargs';
import { describeExpectation, judge, parseExpectation } from '../../probe/expect.js';
import { type ProbeOptions, probe } from '../../probe/probe.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues } from '../options.js';
import { ExitCode } from '../exit-codes.js';
import { formatFinding, formatProbeRecord, formatProbeSummary } from '../format.js';
import { SEVERITIES, type Severity, failsOn } from '../../findings/finding.js';

export interface ProbeArgs extends GlobalArgs {
  iface: string;
  tip: string[];
  sip?: string;
  sha?: string;
  tha?: string;
  ethSrc?: string;
  ethDst?: string;
  op?: string;
  vlan?: number;
  vlanPriority?: number;
  count?: number;
  interval?: number;
  timeout?: number;
  wait?: number;
  pcap?: string;
  promisc: boolean;
  expect?: string;
  failOn: string;
  rate?: number;
  yesFlood: boolean;
}

export function probeOptions<T>(y: Argv<T>) {
  return y
    .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface to send on: --iface IF', describe: 'interface to send on and capture from' })
    .option('tip', { alias: 't', type: 'string', array: true, demandOption: 'give at least one target: --tip IP', describe: 'target IP to ask about (repeatable)' })
    .option('sip', { type: 'string', describe: "sender IP (default: the interface's address, else the kernel's source for the route)" })
    .option('sha', { type: 'string', describe: "sender MAC (default: the interface's MAC)" })
    .option('tha', { type: 'string', describe: 'target MAC in the ARP body (default 00:00:00:00:00:00)' })
    .option('eth-src', { type: 'string', describe: 'Ethernet source (default: the sender MAC)' })
    .option('eth-dst', { type: 'string', describe: 'Ethernet destination (default ff:ff:ff:ff:ff:ff; unicast to a host skips proxy_delay)' })
    .option('op', { type: 'string', describe: 'ARP opcode: request, reply or a number (default request)' })
    .option('vlan', { type: 'number', describe: '802.1Q-tag the frames with this VLAN id' })
    .option('vlan-priority', { type: 'number', describe: '802.1p priority for --vlan (0-7)' })
    .option('count', { alias: 'c', type: 'number', describe: 'requests per target (default 1)' })
    .option('interval', { type: 'number', describe: 'ms between rounds when --count > 1 (default 1000)' })
    .option('timeout', { type: 'number', describe: 'ms to wait for a first reply to each request (default 1000: covers proxy_delay 0.8 s)' })
    .option('wait', { type: 'number', describe: 'ms to keep listening after the last request, for a second responder and late replies (default 1000: covers proxy_delay 0.8 s; 0 = first replies only)' })
    .option('pcap', { type: 'string', describe: 'write every frame sent and received to this pcap file (kernel nanosecond stamps)' })
    .option('promisc', { type: 'boolean', default: true, describe: 'promiscuous capture (--no-promisc: replies to a spoofed --sha are then not seen)' })
    .option('rate', { type: 'number', describe: 'requests per second within a round (default 500, as sweep; 0 = all at once)' })
    .option('yes-flood', { type: 'boolean', default: false, describe: 'allow --rate 0 above 4096 requests per round, or above 10,000 pps for more than 10,000 frames' })
    .option('fail-on', { type: 'string', choices: [...SEVERITIES, 'none'], default: 'warning', describe: 'exit 1 when a finding at or above this severity exists (ip-conflict, hijack, proxy-arp-router, ...)' })
    .option('expect', { type: 'string', describe: 'reply (default: every target answered) | none (nothing answered) | MAC (answered by that MAC only)' });
}

export const probeCommand: CommandModule<GlobalArgs, ProbeArgs> = {
  command: ['probe', '$0'],
  describe: 'send ARP requests (any field you choose) and report every reply and who gave it',
  builder: (y) => requireValues(probeOptions(y) as unknown as Argv<ProbeArgs>),
  handler: (argv) =>
    runCommand(argv, async ({ out, log, signal }) => {
      const expectation = parseExpectation(argv.expect);
      const result = await probe({
        iface: argv.iface,
        targets: argv.tip.map(String),
        sip: argv.sip,
        sha: argv.sha,
        tha: argv.tha,
        ethSrc: argv.ethSrc,
        ethDst: argv.ethDst,
        op: argv.op as ProbeOptions['op'],
        vlan: argv.vlan,
        vlanPriority: argv.vlanPriority,
        count: argv.count,
        intervalMs: argv.interval,
        timeoutMs: argv.timeout,
        waitMs: argv.wait,
        ratePps: argv.rate,
        yesFlood: argv.yesFlood,
        pcap: argv.pcap,
        promisc: argv.promisc,
        onRecord: (r) => (out.json ? out.record(r) : out.line(formatProbeRecord(r))),
        signal,
        logger: log,
      });
      const verdict = judge(expectation, result.summary, result.listenedMs);
      const failOn = argv.failOn as Severity | 'none';
      const failing = result.findings.filter((f) => failsOn(f.severity, failOn));
      const ok = verdict.ok && failing.length === 0;
      const summary = { ...result.summary, findings: result.findings.length, worst: result.worst, listenedMs: result.listenedMs, expect: describeExpectation(expectation), failOn, ok };
      for (const f of result.findings) out.json ? out.record(f) : out.line(formatFinding(f));
      out.summary(summary, () => [
        ...formatProbeSummary(summary, result.fields, verdict),
        ...(failing.length ? [`fail-on ${failOn}: ${failing.length} finding(s) at or above ${failOn}`] : []),
      ]);
      // The summary above is printed first: a full disk loses the rest of the capture, not the results.
      if (result.fileError) {
        out.error(result.fileError);
        return ExitCode.ENVIRONMENT;
      }
      return ok ? ExitCode.OK : ExitCode.NOT_MET;
    }),
};
