/** What `arpinject probe` does once its arguments are parsed (loaded by probe.ts's handler). */
import { describeExpectation, judge, parseExpectation } from '../../probe/expect.js';
import { type ProbeOptions, probe } from '../../probe/probe.js';
import { runCommand } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatFinding, formatProbeRecord, formatProbeSummary, formatRunningStats } from '../format.js';
import { parseDuration } from '../duration.js';

/** --count 0 prints running statistics on stderr this often. */
export const PROGRESS_EVERY_MS = 1000;
import { type Severity, failsOn } from '../../findings/finding.js';
import { ReplyLines, loadVendorFile, textMode } from '../text-modes.js';
import type { ProbeArgs } from './probe.js';
import { UsageError } from '../../errors.js';
import { inputName } from '../../read-input.js';
import { parseIpv4 } from '../../wire/address.js';
import { cliIo } from '../io.js';
import { describeResolution, resolveHostNames } from '../resolve.js';
import { readTipsFile } from '../target-file.js';
import { assertInterfaceExists } from '../../link/interfaces.js';

export function runProbe(argv: ProbeArgs): Promise<void> {
  return runCommand(argv, async ({ out, log, signal }) => {
    const expectation = parseExpectation(argv.expect);
    const mode = textMode(argv);
    const lines = mode ? new ReplyLines(mode) : undefined;
    if (argv.vendorFile !== undefined) loadVendorFile(argv.vendorFile, log);
    // Checked here, not in the builder: the default command's checks would also run for --help.
    if ((argv.tip === undefined || argv.tip.length === 0) && argv.file === undefined)
      throw new UsageError('ERR_INVALID_ARGUMENT', 'give at least one target: --tip IP (or --file FILE)', { hint: 'see arpinject --help' });
    const fromFile = argv.file !== undefined ? await readTipsFile(argv.file, signal) : [];
    if (fromFile === undefined) {
      out.note(`interrupted while reading targets from ${inputName(argv.file!)}: nothing sent`);
      return ExitCode.OK; // the signal's own code (130/143) replaces it
    }
    const given = [...(argv.tip ?? []).map(String), ...fromFile];
    if (given.length === 0) throw new UsageError('ERR_INVALID_ARGUMENT', `no target: ${inputName(argv.file!)} holds none`, { hint: 'one target (IPv4 address or host name) per line' });
    const injected = cliIo().lookup;
    const named = await resolveHostNames(given, {
      literal: (t) => parseIpv4(t) !== undefined,
      what: '--tip',
      code: 'ERR_INVALID_IP',
      // No DNS query for a run that cannot start: the interface first (an injected lookup sends nothing).
      ...(injected ? { lookup: injected } : { beforeLookup: () => assertInterfaceExists(argv.iface) }),
    });
    for (const r of named.resolved) {
      out.note(describeResolution(r));
      log.info(r, 'resolved');
    }
    const result = await probe({
      iface: argv.iface,
      targets: named.targets,
      sip: argv.sip,
      sha: argv.sha,
      tha: argv.tha,
      ethSrc: argv.ethSrc,
      ethDst: argv.ethDst,
      op: argv.op as ProbeOptions['op'],
      vlan: argv.vlan,
      vlanPriority: argv.vlanPriority,
      count: argv.count,
      intervalMs: argv.interval !== undefined ? parseDuration(argv.interval, '--interval', 'ms', 3_600_000) : undefined,
      deadlineMs: argv.deadline !== undefined ? parseDuration(argv.deadline, '--deadline', 's', 86_400_000 * 365) : undefined,
      untilReplies: argv.untilReplies,
      // Until stopped: ping-style statistics on stderr as it runs (stdout keeps the records).
      progress: argv.count === 0 && !out.json ? { everyMs: PROGRESS_EVERY_MS, fn: (st) => out.note(formatRunningStats(argv.iface, st)) } : undefined,
      timeoutMs: argv.timeout,
      waitMs: argv.wait,
      ratePps: argv.rate,
      yesFlood: argv.yesFlood,
      pcap: argv.pcap,
      promisc: argv.promisc,
      // --plain/--quiet/--format: a line per reply only (as arp-scan: no line for silence or strays).
      onRecord: (r) => (out.json ? out.record(r) : lines ? r.type === 'reply' && out.line(lines.line(r)) : out.line(formatProbeRecord(r))),
      signal,
      logger: log,
    });
    const verdict = judge(expectation, result.summary, result.listenedMs);
    const failOn = argv.failOn as Severity | 'none';
    const failing = result.findings.filter((f) => failsOn(f.severity, failOn));
    const ok = verdict.ok && failing.length === 0;
    const summary = { ...result.summary, findings: result.findings.length, worst: result.worst, listenedMs: result.listenedMs, expect: describeExpectation(expectation), failOn, ok };
    for (const f of result.findings) out.json ? out.record(f) : lines ? out.note(formatFinding(f)) : out.line(formatFinding(f, out.paint));
    if (lines) {
      // Script output: the reply lines are the results; --quiet alone adds the counts line and the verdict.
      if (lines.summaryLine) {
        const all = formatProbeSummary(summary, result.fields, verdict);
        out.summary(summary, () => [all[1]!, ...all.filter((l) => l.startsWith('expect ')), ...(failing.length ? [`fail-on ${failOn}: ${failing.length} finding(s) at or above ${failOn}`] : [])]);
      }
    } else out.summary(summary, () => [
      ...formatProbeSummary(summary, result.fields, verdict, out.paint),
      ...(failing.length ? [`fail-on ${failOn}: ${failing.length} finding(s) at or above ${failOn}`] : []),
    ]);
    // The summary above is printed first: a full disk loses the rest of the capture, not the results.
    if (result.fileError) {
      out.error(result.fileError);
      return ExitCode.ENVIRONMENT;
    }
    return ok ? ExitCode.OK : ExitCode.NOT_MET;
  });
}
