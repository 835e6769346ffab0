/** Human text for probe records, in the spirit of arping: one line per reply/timeout, then a summary. */
import type { Finding, Severity } from '../findings/finding.js';
import { type Paint, plain } from '../findings/paint.js';
import type { ProbeRecord, ProbeSummary } from '../records/records.js';
import type { RunningStats } from '../probe/session.js';

const SEVERITY_LABEL: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING ', info: 'info    ' };
/** One finding, one line: the same in probe, sweep and trigger. */
export const formatFinding = (f: Finding, paint: Paint = plain): string => `${paint.severity(f.severity, SEVERITY_LABEL[f.severity])} ${f.kind.padEnd(17)} ${f.message}`;

const ms = (v: number): string => (v < 10 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(1));

export function formatProbeRecord(r: ProbeRecord): string {
  switch (r.type) {
    case 'reply': {
      const extra: string[] = [];
      if (r.vlan !== null) extra.push(`vlan ${r.vlan}`);
      if (r.ethSrcMismatch) extra.push(`ETH SRC ${r.ethSrc} != SHA`);
      if (r.late) extra.push('late');
      if (r.duplicate) extra.push('duplicate');
      if (r.flags.includes('multiple-macs')) extra.push('MULTIPLE MACS');
      return `reply   ${r.ip.padEnd(15)} is-at ${r.mac}  ${ms(r.rttMs).padStart(8)} ms  seq=${r.seq}${extra.length ? '  [' + extra.join(', ') + ']' : ''}`;
    }
    case 'timeout':
      return `timeout ${r.ip.padEnd(15)} no reply within ${r.timeoutMs} ms  seq=${r.seq}${r.vlan !== null ? `  [vlan ${r.vlan}]` : ''}`;
    case 'unsolicited':
      return `unsolicited ${r.ip} is-at ${r.mac} (eth ${r.ethSrc} -> ${r.ethDst}${r.vlan !== null ? `, vlan ${r.vlan}` : ''}): answers no request we sent`;
  }
}

export function formatProbeSummary(s: ProbeSummary, fields: { sip: string; sha: string }, verdict?: { ok: boolean; reason: string }, paint: Paint = plain): string[] {
  const lines = [
    `--- ${s.iface} (sender ${fields.sip} ${fields.sha}) ---`,
    `${s.targets} target(s), ${s.sent} sent, ${s.replies} replies, ${s.answered} answered, ${s.unanswered} unanswered, ${s.unsolicited} unsolicited${s.malformed ? `, ${s.malformed} malformed dropped` : ''}, ${s.dropped} lost by the capture${s.interrupted ? ', INTERRUPTED' : ''}`,
  ];
  const strays = Object.entries(s.unsolicitedByMac);
  if (strays.length > 0) lines.push(`unsolicited by MAC: ${strays.map(([m, n]) => `${m} ${n}`).join(', ')}`);
  if (s.dropped > 0) lines.push(`LOST: the kernel dropped ${s.dropped} frame(s) while we listened (capture ring full): replies may be missing`);
  if (s.lossPct !== undefined) lines.push(`${s.sent} requests transmitted, ${s.received ?? '?'} answered, ${s.lossPct}% loss${s.stoppedBy ? ` (stopped by ${s.stoppedBy === 'deadline' ? '--deadline' : '--until-replies'})` : ''}`);
  if (s.rttMs) lines.push(`rtt min/avg/max${s.rttMs.mdev !== undefined ? '/mdev' : ''} = ${ms(s.rttMs.min)}/${ms(s.rttMs.avg)}/${ms(s.rttMs.max)}${s.rttMs.mdev !== undefined ? `/${ms(s.rttMs.mdev)}` : ''} ms`);
  for (const ip of s.conflicts) lines.push(`CONFLICT: ${ip} is claimed by ${s.claims[ip]!.length} MACs: ${s.claims[ip]!.join(', ')}`);
  if (verdict && s.expect !== undefined) lines.push(`expect ${s.expect}: ${verdict.ok ? paint.good('met') : paint.bad('NOT met')} (${verdict.reason})`);
  return lines;
}

/** ping's running statistics (--count 0, on stderr). */
export function formatRunningStats(iface: string, st: RunningStats): string {
  const rtt = st.rttMs ? `, rtt min/avg/max/mdev = ${ms(st.rttMs.min)}/${ms(st.rttMs.avg)}/${ms(st.rttMs.max)}/${ms(st.rttMs.mdev)} ms` : '';
  return `${iface}: ${st.sent} sent, ${st.received} received, ${st.lossPct}% loss${rtt}`;
}
