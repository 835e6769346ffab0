/** `arpinject sweep`: ask for every address in a range, keep every reply, call out hijacking. */
import type { Argv, CommandModule } from 'yargs';
import { SEVERITIES, type Severity, failsOn } from '../../findings/finding.js';
import { UsageError } from '../../errors.js';
import type { ReplyRecord } from '../../records/records.js';
import { readBaseline } from '../../sweep/baseline.js';
import type { SweepProgress } from '../../sweep/engine.js';
import { ReplyNdjson } from '../../sweep/ndjson.js';
import { SWEEP_DEFAULTS, type SweepOptions, type SweepResult, type SweepSummary, sweep } from '../../sweep/sweep.js';
import { parseTarget, targetsFromChunks } from '../../sweep/targets.js';
import { assertInterfaceExists, interfaceSubnets } from '../../link/interfaces.js';
import { cliIo, processStderr } from '../io.js';
import { describeResolution, isHostName, resolveHostNames } from '../resolve.js';
import { inputName, readInput } from '../../read-input.js';
import { checkInt } from '../../probe/options.js';
import { vendorDisplay } from '../../records/vendor.js';
import { parseIpv4 } from '../../wire/address.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues, textOutputOptions } from '../options.js';
import { ReplyLines, loadVendorFile, safeText, textMode } from '../text-modes.js';
import { formatFinding } from '../format.js';
import { COMMANDS } from './meta.js';
import { ExitCode } from '../exit-codes.js';

export interface SweepArgs extends GlobalArgs {
  iface: string;
  targets?: string[];
  file?: string;
  localnet: boolean;
  sip?: string;
  sha?: string;
  tha?: string;
  op?: string;
  ethSrc?: string;
  ethDst?: string;
  vlan?: number;
  rate?: number;
  bandwidth?: number;
  retries?: number;
  backoff?: number;
  timeout?: number;
  wait?: number;
  deadline?: number;
  limit?: number;
  random?: boolean;
  seed?: number;
  canary?: string[];
  canaries: boolean;
  maxIpsPerMac?: number;
  baseline?: string;
  failOn: string;
  maxTargets?: number;
  includeEdges: boolean;
  pcap?: string;
  promisc: boolean;
  progress?: boolean;
  yesFlood: boolean;
  plain?: boolean;
  quiet?: boolean;
  format?: string;
  vendorFile?: string;
}


/** Targets from a file or stdin, streamed line by line (bounded; Ctrl-C works while it waits). undefined: interrupted. */
async function readTargetsFile(path: string, signal: AbortSignal, maxTargets: number | undefined, includeEdges: boolean): Promise<string[] | undefined> {
  const input = await readInput(path, signal);
  // Host names are kept as they are: resolved with the command line's, once, before the sweep.
  const targets = await targetsFromChunks(input.chunks, { name: inputName(path), includeEdges, keep: isHostName, ...(maxTargets !== undefined ? { maxTargets } : {}) });
  return input.aborted ? undefined : targets;
}

const secs = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`);

/** A one-line progress bar on stderr, redrawn at most every 100 ms. TTY only. */
function progressBar(stream: NodeJS.WritableStream): { update(p: SweepProgress): void; done(): void } {
  let last = 0;
  const start = Date.now();
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.firstPassDone < p.total) return;
      last = now;
      const width = 30;
      const filled = Math.round((p.firstPassDone / Math.max(1, p.total)) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.firstPassDone}/${p.total} asked, ${p.sent} sent, ${p.answered} answered, ${secs(now - start)}  `);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}

export function formatResponders(replies: ReplyRecord[]): string[] {
  const first = new Map<string, ReplyRecord>();
  const flags = new Map<string, Set<string>>();
  for (const r of replies) {
    const k = `${r.ip} ${r.mac}`;
    if (!first.has(k)) first.set(k, r);
    if (!flags.has(k)) flags.set(k, new Set());
    for (const f of r.flags) flags.get(k)!.add(f);
    if (r.ethSrcMismatch) flags.get(k)!.add(`eth-src ${r.ethSrc}`);
  }
  const rows = [...first.values()].sort((a, b) => parseIpv4(a.ip)! - parseIpv4(b.ip)! || a.mac.localeCompare(b.mac));
  const lines = [`${'IP'.padEnd(16)}${'MAC'.padEnd(19)}${'RTT ms'.padStart(9)}  ${'vendor'.padEnd(28)} flags`];
  for (const r of rows) {
    const f = [...flags.get(`${r.ip} ${r.mac}`)!].filter((x) => x !== 'eth-src-mismatch');
    lines.push(`${r.ip.padEnd(16)}${r.mac.padEnd(19)}${r.rttMs.toFixed(1).padStart(9)}  ${safeText(vendorDisplay(r.mac) ?? '').slice(0, 28).padEnd(28)} ${f.join(', ')}`.trimEnd());
  }
  return lines;
}

/** sweep(), with the streamed replies written out before anything else is (also when it throws). */
async function sweepFlushing(ndjson: ReplyNdjson | undefined, o: SweepOptions): Promise<SweepResult> {
  try {
    return await sweep(o);
  } finally {
    ndjson?.flush();
  }
}


export function formatSweepSummary(s: SweepSummary): string {
  return (
    `--- ${s.iface}: ${s.targets} targets (+${s.canaries} canaries), ${s.sent} sent at ${Math.round(s.ratePps)} pps, ${s.replies} replies, ` +
    `${s.answered} answered, ${s.unanswered} unanswered, ${s.responders} responder MAC(s), ${s.findings} finding(s)` +
    `${s.unsolicited ? `, ${s.unsolicited} unsolicited` : ''}${s.malformed ? `, ${s.malformed} malformed dropped` : ''}, ${secs(s.durationMs)}` +
    `${s.dropped > 0 ? `, ${s.dropped} frames LOST by the capture (replies may be missing)` : ', 0 lost by the capture'}` +
    `${s.interrupted ? ', INTERRUPTED' : ''}${s.deadlineReached ? ', DEADLINE REACHED' : ''}${s.limitReached ? `, LIMIT REACHED: stopped early after ${s.answered} answered` : ''}` +
    `${s.notAsked ? `, ${s.notAsked} not asked` : ''} ---`
  );
}

export const sweepCommand: CommandModule<GlobalArgs, SweepArgs> = {
  ...COMMANDS.sweep,
  builder: (y) =>
    requireValues(
    textOutputOptions(
    y
      .positional('targets', { type: 'string', array: true, describe: 'CIDR (10.0.0.0/24), net:mask (10.0.0.0:255.255.255.0), range (10.0.0.10-10.0.0.99 or 10.0.0.10-99), IP or host name' })
      .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface to sweep on: --iface IF', describe: 'interface to send on and capture from' })
      .option('file', { alias: 'f', type: 'string', describe: 'read targets from a file (- for stdin), one or more per line, # comments' })
      .option('localnet', { alias: 'l', type: 'boolean', default: false, describe: "every IPv4 subnet configured on --iface (arp-scan -l), network and broadcast left out; with other targets, the union" })
      .option('sip', { type: 'string', describe: "sender IP, or dest: each request's own target IP (arp-scan --arpspa=dest) (default: the interface's address, else the kernel's source for the route)" })
      .option('sha', { type: 'string', describe: "sender MAC (default: the interface's MAC)" })
      .option('tha', { type: 'string', describe: 'target MAC in the ARP body (default 00:00:00:00:00:00)' })
      .option('op', { type: 'string', describe: 'ARP opcode: request, reply or a number (default request)' })
      .option('eth-src', { type: 'string', describe: 'Ethernet source (default: the sender MAC)' })
      .option('eth-dst', { type: 'string', describe: 'Ethernet destination (default broadcast)' })
      .option('vlan', { type: 'number', describe: '802.1Q-tag the requests with this VLAN id' })
      .option('rate', { type: 'number', describe: `requests per second (default ${SWEEP_DEFAULTS.ratePps}; 0 = as fast as possible)` })
      .option('yes-flood', { type: 'boolean', default: false, describe: 'allow --rate 0 above 4096 targets, or above 10,000 pps for more than 10,000 frames' })
      .option('bandwidth', { type: 'number', describe: 'bits per second on the wire, K/M/G suffixes as arp-scan (256k, 1M, 1.5M; 64 bytes per request); the slower of --rate and --bandwidth wins' })
      .option('retries', { type: 'number', describe: `extra attempts for unanswered targets (default ${SWEEP_DEFAULTS.retries})` })
      .option('backoff', { type: 'number', describe: `timeout multiplier per attempt (default ${SWEEP_DEFAULTS.backoff})` })
      .option('timeout', { type: 'number', describe: `ms a target waits for an answer before it is asked again (default ${SWEEP_DEFAULTS.timeoutMs}: covers proxy_delay)` })
      .option('wait', { type: 'number', describe: `ms to keep listening after the last request (default ${SWEEP_DEFAULTS.waitMs})` })
      .option('deadline', { type: 'number', describe: 'stop the whole sweep after this many ms' })
      .option('limit', { alias: 'M', type: 'number', describe: 'stop as soon as this many targets have answered (arp-scan --limit); exit 1 if fewer did' })
      .option('random', { type: 'boolean', describe: 'ask in random order' })
      .option('seed', { type: 'number', describe: 'seed for --random (repeatable order)' })
      .option('canary', { type: 'string', array: true, describe: 'extra canary IP that no host may answer for (repeatable)' })
      .option('canaries', { type: 'boolean', default: true, describe: 'ask the default canaries (one address per RFC 5737 range not swept); --no-canaries to skip' })
      .option('max-ips-per-mac', { type: 'number', describe: 'a MAC answering for more IPs than this is a finding (default 32)' })
      .option('baseline', { type: 'string', describe: 'expected "IP MAC" per line (arp-scan output works): flags unexpected MACs, missing and new hosts' })
      .option('fail-on', { type: 'string', default: 'warning', choices: [...SEVERITIES, 'none'], describe: 'exit 1 when a finding at or above this severity exists' })
      .option('max-targets', { type: 'number', describe: 'raise the target limit (default 65536)' })
      .option('include-edges', { type: 'boolean', default: false, describe: 'also ask for network and broadcast addresses of CIDR blocks' })
      .option('pcap', { type: 'string', describe: 'write every frame sent and received to this pcap file (kernel nanosecond stamps)' })
      .option('promisc', { type: 'boolean', default: true, describe: 'promiscuous capture (--no-promisc: leave the NIC out of promiscuous mode: a NIC that filters by MAC then drops frames for other hosts (a reply to a spoofed --sha among them); a veth or bridge port passes them anyway)' })
      .option('progress', { type: 'boolean', describe: 'progress bar on stderr (default: when stderr is a TTY and not --json)' }),
    )
      .check((a) => {
        if (a.seed !== undefined && !a.random) throw new UsageError('ERR_INVALID_ARGUMENT', '--seed only applies to --random', { hint: 'add --random, or drop --seed' });
        return true;
      }) as unknown as Argv<SweepArgs>, ['targets']),
  handler: (argv) =>
    runCommand(argv, async ({ out, log, signal }) => {
      const maxTargets = argv.maxTargets !== undefined ? checkInt(argv.maxTargets, '--max-targets', 1, 2 ** 24) : undefined;
      const fromFile = argv.file !== undefined ? await readTargetsFile(argv.file, signal, maxTargets, argv.includeEdges) : [];
      if (fromFile === undefined) {
        out.note(`interrupted while reading targets from ${inputName(argv.file!)}: nothing sent`);
        return ExitCode.OK; // the signal's own code (130/143) replaces it
      }
      let local: string[] = [];
      if (argv.localnet) {
        local = interfaceSubnets(argv.iface);
        if (local.length === 0)
          throw new UsageError('ERR_INVALID_ARGUMENT', `--localnet: ${argv.iface} has no IPv4 subnet to sweep`, { hint: `give the targets (CIDR, net:mask, range, IP), or add an address: ip addr add 192.0.2.10/24 dev ${argv.iface}` });
        out.note(`--localnet: ${local.join(', ')} on ${argv.iface}`);
        log.info({ iface: argv.iface, subnets: local }, 'localnet');
      }
      const given = [...(argv.targets ?? []).map(String), ...fromFile];
      const literal = (t: string): boolean => {
        try {
          parseTarget(t);
          return true;
        } catch {
          return false;
        }
      };
      const injected = cliIo().lookup;
      // No DNS query for a run that cannot start: the interface first (an injected lookup sends nothing).
      const named = await resolveHostNames(given, { literal, what: 'target', ...(injected ? { lookup: injected } : { beforeLookup: () => assertInterfaceExists(argv.iface) }) });
      for (const r of named.resolved) {
        out.note(describeResolution(r));
        log.info(r, 'resolved');
      }
      const targets = [...named.targets, ...local];
      if (targets.length === 0) throw new UsageError('ERR_INVALID_ARGUMENT', 'no targets: give CIDR blocks, ranges, IPs or host names, --file FILE, or --localnet');
      const baseline = argv.baseline !== undefined ? readBaseline(argv.baseline) : undefined;
      const mode = textMode(argv);
      const lines = mode ? new ReplyLines(mode) : undefined;
      if (argv.vendorFile !== undefined) loadVendorFile(argv.vendorFile, log);
      const showProgress = argv.progress ?? ((processStderr() as { isTTY?: boolean }).isTTY === true && !out.json);
      // JSON: replies stream out as they come, encoded without garbage (a /16 is 21 MB of them).
      const ndjson = out.json
        ? new ReplyNdjson((chunk) => out.raw(chunk))
        : undefined;
      const bar = showProgress ? progressBar(processStderr()) : undefined;
      const result = await sweepFlushing(ndjson, {
        iface: argv.iface,
        targets,
        includeEdges: argv.includeEdges,
        maxTargets: argv.maxTargets,
        sip: argv.sip,
        sha: argv.sha,
        tha: argv.tha,
        op: argv.op,
        ethSrc: argv.ethSrc,
        ethDst: argv.ethDst,
        vlan: argv.vlan,
        ratePps: argv.rate,
        yesFlood: argv.yesFlood,
        bandwidth: argv.bandwidth,
        retries: argv.retries,
        backoff: argv.backoff,
        timeoutMs: argv.timeout,
        waitMs: argv.wait,
        deadlineMs: argv.deadline,
        limit: argv.limit,
        ...(argv.random ? { random: true } : {}),
        seed: argv.seed,
        canaries: argv.canaries ? (argv.canary ?? []).map(String) : false,
        maxIpsPerMac: argv.maxIpsPerMac,
        ...(baseline ? { baseline } : {}),
        pcap: argv.pcap,
        promisc: argv.promisc,
        // JSON streams every reply as it comes, from the engine's view (no record per reply); only the human table needs them kept.
        ...(ndjson ? { keepReplies: false, onReplyView: (v) => ndjson.view(v), onUnsolicited: (u) => ndjson.text(JSON.stringify(u)) } : {}),
        // Script lines stream as replies come, in arrival order (arp-scan's order); no table to keep.
        ...(lines ? { keepReplies: false, onReply: (r: ReplyRecord) => out.line(lines.line(r)) } : {}),
        ...(bar ? { onProgress: (p: SweepProgress) => bar.update(p) } : {}),
        // The estimate belongs with the bar: a person watching a terminal (or --progress), never a pipe.
        onStart: (p) => {
          if (bar)
            processStderr().write(
              `sweeping ${p.targets} target(s)${p.canaries.length ? ` + ${p.canaries.length} canaries (${p.canaries.join(', ')})` : ''} on ${argv.iface} ` +
                `as ${p.sip} ${p.sha}, ${p.ratePps > 0 ? `${Math.round(p.ratePps)} pps` : 'unpaced'}, ${p.retries} retries: about ${secs(p.estimateMs)} when few answer\n`,
            );
        },
        signal,
        logger: log,
      });
      bar?.done();
      const failOn = argv.failOn as Severity | 'none';
      const failing = result.findings.filter((f) => failsOn(f.severity, failOn));
      if (out.json) for (const f of result.findings) out.record(f);
      else if (lines) for (const f of result.findings) out.note(formatFinding(f));
      else {
        const rows = formatResponders(result.replies);
        if (rows.length > 1) for (const l of rows) out.line(l);
        else out.line('no replies');
        if (result.findings.length) {
          out.line('');
          out.line('FINDINGS (worst first)');
          for (const f of result.findings) out.line(formatFinding(f, out.paint));
        }
      }
      // --limit as arp-scan: fewer targets answered than the limit is a failure (exit 1).
      const limitMet = argv.limit === undefined || result.summary.answered >= argv.limit;
      const ok = failing.length === 0 && limitMet;
      if (!lines || lines.summaryLine) out.summary({ ...result.summary, ...(argv.limit !== undefined ? { limit: argv.limit } : {}), failOn, ok }, () => [
        formatSweepSummary(result.summary),
        ...(limitMet ? [] : [`limit ${argv.limit}: only ${result.summary.answered} target(s) answered`]),
      ]);
      else if (!limitMet) out.note(`limit ${argv.limit}: only ${result.summary.answered} target(s) answered`);
      // The results above are printed first: a full disk loses the rest of the capture, not the sweep.
      if (result.fileError) {
        out.error(result.fileError);
        return ExitCode.ENVIRONMENT;
      }
      return ok ? ExitCode.OK : ExitCode.NOT_MET;
    }),
};
