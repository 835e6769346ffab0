/**
 * What `--help` says beyond the options: examples and exit codes for every command, and the findings
 * a command can raise. One source: yargs' help (main.ts applies it to each command as it loads), the
 * man page (scripts/man.ts) and the completion descriptions. Exit codes come from exit-codes.ts's
 * table; findings from the registry (findings/finding.ts). Data only: the top-level help stays cheap.
 */
import { FINDING_KINDS, type FindingKind } from '../findings/finding.js';
import { EXIT_CODE_MEANINGS, ExitCode } from './exit-codes.js';
import type { CommandName } from './commands/meta.js';

export interface CommandHelp {
  /** [command line ($0 = arpinject), what it does]: 3 to 5 of them. */
  examples: ReadonlyArray<readonly [string, string]>;
  /** What 0 and 1 mean for this command (the others are the same everywhere). */
  exits: Partial<Record<number, string>>;
  /** Exit codes this command never returns (respond and watch end normally on a signal: 0). */
  never?: readonly number[];
}

export const COMMAND_HELP: Record<CommandName, CommandHelp> = {
  probe: {
    examples: [
      ['$0 --iface bond0 --tip 8.8.8.8', 'does anyone on bond0 claim 8.8.8.8? (probe is the default command)'],
      ['$0 probe -i eth0 -t 10.0.0.2 --expect 02:00:00:00:00:01 --json', 'CI: only that MAC may answer for 10.0.0.2'],
      ['$0 probe -i eth0 -t 10.0.0.9 --sip 0.0.0.0 --expect none', 'an RFC 5227 probe: is 10.0.0.9 free? (poisons no cache)'],
      ['$0 probe -i eth0 -t 10.0.0.2 --eth-dst 02:00:00:00:00:01 --wait 0', 'unicast (skips proxy_delay), first replies only'],
      ['$0 probe -i eth0 -t 10.0.0.2 --vlan 100 -c 3 --pcap probe.pcap', 'three tagged rounds, every frame kept in a pcap'],
    ],
    exits: {
      [ExitCode.OK]: 'the expectation (--expect, default: every target answered) is met and no finding is at or above --fail-on',
      [ExitCode.NOT_MET]: 'a target went unanswered, another MAC answered, something answered --expect none, or a finding is at or above --fail-on',
    },
  },
  respond: {
    examples: [
      ['$0 respond -i veth0 --claim 10.0.0.2', "answer who-has 10.0.0.2 with veth0's MAC until Ctrl-C"],
      ['$0 respond -i veth0 --claim 10.0.0.2=02:00:00:00:00:02 --claim 10.0.0.2=02:00:00:00:00:03', 'two MACs for one IP: an address conflict to detect'],
      ['$0 respond -i veth0 --claim 10.0.0.5 --delay 500 --duration 60 --json', 'a slow host for a minute, every answer as NDJSON'],
    ],
    exits: { [ExitCode.OK]: 'ran until --duration, Ctrl-C or SIGTERM (a signal is how respond ends)' },
    never: [ExitCode.NOT_MET, ExitCode.INTERRUPTED, ExitCode.TERMINATED],
  },
  sweep: {
    examples: [
      ['$0 sweep -i eth0 10.0.0.0/24', 'who answers for which address, with vendors and flags'],
      ['$0 sweep -i bond0 --sip 10.0.0.1 10.0.0.0/28 --fail-on critical', 'CI: exit 1 only on a hijack (GRNET case B)'],
      ['$0 sweep -i eth0 10.0.0.10-99 --rate 100 --retries 1 --json > sweep.ndjson', 'slowly, every reply and finding as NDJSON'],
      ['$0 sweep -i eth0 10.0.0.0/24 --baseline hosts.txt', 'flag unexpected MACs, missing and new hosts ("IP MAC" lines, arp-scan output works)'],
      ['$0 sweep -i eth0 -f targets.txt --random --seed 7', 'targets from a file, in a repeatable random order'],
    ],
    exits: {
      [ExitCode.OK]: 'no finding at or above --fail-on (default warning)',
      [ExitCode.NOT_MET]: 'a finding at or above --fail-on',
    },
  },
  explain: {
    examples: [
      ['$0 explain -i vlan0 -t 10.0.0.6 --sip 10.0.0.1', 'would vlan0 answer a who-has for 10.0.0.6, and why?'],
      ['$0 explain -i vlan0 -t 10.0.0.6 -t 8.8.8.8 --expect no-reply', 'CI: exit 1 if this host would answer either'],
      ['ip netns exec host $0 explain -i vlan0 -t 8.8.8.8 --sip 10.0.0.1 --verify-from bond0 --verify-netns net', 'predict, then ask the kernel'],
      ['$0 explain -i eth0 -t 10.0.0.6 --json --dump-state', 'the explanation and the state it was read from, as JSON'],
    ],
    exits: {
      [ExitCode.OK]: 'every verdict is --expect (when given) and every --verify-from check agrees with the prediction',
      [ExitCode.NOT_MET]: 'a verdict is not --expect, or the kernel disagreed with the prediction',
    },
  },
  watch: {
    examples: [
      ['$0 watch -i eth0', 'every ARP frame on eth0, paired, with findings, until Ctrl-C'],
      ['tcpdump -i eth0 -w - arp | $0 watch -r -', 'analyse a capture as tcpdump takes it (no privileges needed)'],
      ['$0 watch -i eth0 --state /var/lib/arpinject/eth0.dat --fail-on warning', "arpwatch's job: stations kept across restarts (arp.dat), exit 1 on a MAC change"],
      ['$0 watch -r capture.pcap --local-net 10.0.0.0/24 --gateway 10.0.0.1', 'a pcap file, with the bogon and gateway rules of the live segment'],
      ['$0 watch -i eth0 --metrics 9105 --pcap arp.pcap', 'Prometheus metrics on 127.0.0.1:9105, every frame kept'],
    ],
    exits: {
      [ExitCode.OK]: 'ended by --duration, Ctrl-C, SIGTERM or the end of --read (and no finding at or above --fail-on)',
      [ExitCode.NOT_MET]: 'with --fail-on: a finding at or above it was raised',
    },
    never: [ExitCode.INTERRUPTED, ExitCode.TERMINATED],
  },
  announce: {
    examples: [
      ['$0 announce -i eth0 --ip 10.0.0.5', 'one gratuitous ARP request for 10.0.0.5 (sender IP = target IP), then listen for a conflict'],
      ['$0 announce -i eth0 --ip 10.0.0.5 --reply --count 3 --interval 1s', 'three gratuitous replies a second apart (iputils arping -A)'],
      ['$0 announce -i eth0 --ip 10.0.0.5 --mac 02:00:00:00:00:05 --json', "after a failover: move every neighbour's entry to the new MAC"],
    ],
    exits: {
      [ExitCode.OK]: 'sent, and no other MAC claimed the address',
      [ExitCode.NOT_MET]: 'another MAC answered for or announced the address (ip-conflict)',
    },
  },
  dad: {
    examples: [
      ['$0 dad -i eth0 --ip 10.0.0.9', 'RFC 5227: is 10.0.0.9 free? (probes from 0.0.0.0, about 6 s; iputils arping -D)'],
      ['$0 dad -i eth0 --ip 10.0.0.9 --fast --json', 'the same in about half a second (shortened timings, for CI)'],
      ['$0 dad -i eth0 --ip 10.0.0.9 --probe-num 5 --announce-wait 3s', 'more probes, a longer last wait'],
    ],
    exits: {
      [ExitCode.OK]: 'the address is free: nobody claimed it while we probed',
      [ExitCode.NOT_MET]: 'the address is in use (its MAC is printed), or another host probes for it at the same time',
    },
  },
  stations: {
    examples: [
      ['$0 stations --state /var/lib/arpinject/eth0.dat', 'the station database watch --state keeps: IP, MAC, vendor, first and last seen'],
      ['$0 stations --state /var/lib/arpwatch/eth0.dat --json', "arpwatch's own arp.dat, as NDJSON station records"],
      ['ARPINJECT_STATE=eth0.dat $0 stations', 'the file from the environment, as watch reads it'],
    ],
    exits: { [ExitCode.OK]: 'printed (lines that cannot be read are reported on stderr with their number and skipped)' },
    never: [ExitCode.NOT_MET, ExitCode.INTERRUPTED, ExitCode.TERMINATED],
  },
  trigger: {
    examples: [
      ['$0 trigger -i eth0 --dst 10.5.0.2 --flush', 'make the kernel ARP for 10.5.0.2: which sender IP does it use?'],
      ['$0 trigger -i eth0 --dst 10.5.0.2 --src 169.254.1.1 --flush', 'the ARP bubble: does a host-scoped address leak?'],
      ['$0 trigger -i eth0 --dst 10.5.0.2 --timeout 3000 --json', 'as JSON (a finding record first when it leaks)'],
    ],
    exits: {
      [ExitCode.OK]: 'the kernel sent its ARP request and its sender IP is fine',
      [ExitCode.NOT_MET]: 'no ARP request was seen, or its sender IP leaks an address (a finding)',
    },
  },
  completion: {
    examples: [
      ['$0 completion bash > /etc/bash_completion.d/arpinject', 'bash, for every user'],
      ['$0 completion zsh > "${fpath[1]}/_arpinject"', 'zsh (then restart it, or run compinit)'],
      ['source <($0 completion bash)', 'bash, in this shell only'],
    ],
    exits: { [ExitCode.OK]: 'the script was printed' },
    never: [ExitCode.NOT_MET, ExitCode.ENVIRONMENT, ExitCode.INTERRUPTED, ExitCode.TERMINATED],
  },
};

/** Examples of the top-level help: one or two per command. */
export const TOP_EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  COMMAND_HELP.probe.examples[0]!,
  COMMAND_HELP.probe.examples[1]!,
  COMMAND_HELP.sweep.examples[0]!,
  COMMAND_HELP.watch.examples[0]!,
  COMMAND_HELP.explain.examples[0]!,
];

/** The exit codes a command returns and what each means for it; undefined: the top level (all of them). */
export function exitCodes(name?: CommandName): Array<{ code: number; meaning: string }> {
  const h = name !== undefined ? COMMAND_HELP[name] : undefined;
  return EXIT_CODE_MEANINGS.filter((e) => !h?.never?.includes(e.code)).map((e) => ({ code: e.code, meaning: h?.exits[e.code] ?? e.meaning }));
}

/** The registry's kinds a command raises (sweep's help lists them). */
export function findingsOf(name: CommandName): Array<{ kind: FindingKind; severity: string; meaning: string }> {
  return (Object.entries(FINDING_KINDS) as Array<[FindingKind, (typeof FINDING_KINDS)[FindingKind]]>)
    .filter(([, k]) => (k.raisedBy as readonly string[]).includes(name))
    .map(([kind, k]) => ({ kind, severity: k.severity, meaning: k.meaning }));
}

/** The width yargs renders help at (main.ts passes it to .wrap): the epilogue is wrapped to the same. */
export const helpWidth = (columns: number | undefined): number => Math.min(110, columns ?? 100);

/** `text` in lines of at most `width`, the first after `lead` and the rest indented by lead's length. */
export function hang(lead: string, text: string, width: number): string[] {
  const pad = ' '.repeat(lead.length);
  const room = Math.max(20, width - lead.length);
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + word.length > room) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  lines.push(cur);
  return lines.map((l, i) => (i === 0 ? lead : pad) + l);
}

/** The text after the options in `--help`: exit codes, and the findings the command can raise. */
export function epilogue(name: CommandName | undefined, width: number): string {
  const lines = ['Exit codes:'];
  for (const e of exitCodes(name)) lines.push(...hang(`  ${String(e.code).padEnd(5)}`, e.meaning, width));
  if (name === undefined) {
    lines.push('', 'arpinject COMMAND --help: its options, examples and exit codes. man arpinject: all of it.');
  } else {
    const kinds = findingsOf(name);
    if (kinds.length) {
      lines.push('', `Findings ${name} raises (kind, default severity; --fail-on LEVEL exits 1 at or above LEVEL):`);
      for (const k of kinds) lines.push(...hang(`  ${k.kind.padEnd(19)}${k.severity.padEnd(10)}`, k.meaning, width));
    }
  }
  return lines.join('\n');
}
