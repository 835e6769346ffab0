/** tcpdump-like lines for watch records. */
import type { WatchRecord, WatchSummary } from './analyzer.js';
import { type Paint, plain } from '../findings/paint.js';

const SEV = { critical: 'CRITICAL', warning: 'WARNING', info: 'info' } as const;
const clock = (iso: string): string => iso.slice(11, 23);

export function formatWatchRecord(r: WatchRecord, paint: Paint = plain): string {
  switch (r.type) {
    case 'arp': {
      const tags = r.vlans ?? (r.vlan !== null ? [r.vlan] : []);
      const head = `${clock(r.time)} ${r.ethSrc} > ${r.ethDst}${tags.map((v) => ` vlan ${v}`).join('')}`;
      const mism = r.ethSrc !== r.sha ? ` (sha ${r.sha})` : '';
      if (r.opcode === 1)
        return `${head} ARP Request who-has ${r.tpa}${r.tha !== '00:00:00:00:00:00' ? ` (${r.tha})` : ''} tell ${r.spa}${mism}${r.gratuitous ? ' [gratuitous]' : ''}`;
      if (r.opcode === 2)
        return `${head} ARP Reply ${r.spa} is-at ${r.sha}${r.ethSrc !== r.sha ? ` (eth src ${r.ethSrc})` : ''}${r.answers ? ` (to ${r.answers.asker}, ${r.answers.latencyMs} ms after the request)` : r.gratuitous ? ' [gratuitous]' : ' [no request seen]'}`;
      return `${head} ARP ${r.op} ${r.spa} (${r.sha}) -> ${r.tpa} (${r.tha})`;
    }
    case 'malformed':
      return `${clock(r.time)} MALFORMED ${r.length} bytes: ${r.issue.message} ${JSON.stringify(r.raw)}`;
    case 'finding':
      return `${clock(r.time)} !! ${paint.severity(r.severity, SEV[r.severity])} ${r.kind}: ${r.message}`;
  }
}

export function formatWatchSummary(s: WatchSummary): string[] {
  const kinds = Object.entries(s.findingsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = [
    `--- ${s.frames} frames: ${s.requests} requests, ${s.replies} replies (${s.paired} paired with a request), ${s.otherOps} other ops, ${s.gratuitous} gratuitous, ${s.malformed} malformed, ${s.ignored} not ARP; ${s.ips} stations, ${s.macs}${s.macsCapped ? '+' : ''} MACs; ${(s.durationMs / 1000).toFixed(1)} s${s.interrupted ? ', interrupted' : ''} ---`,
    `findings: ${s.findings}${kinds ? ` (${kinds})` : ''}`,
  ];
  const codes = Object.entries(s.malformedByCode).map(([k, n]) => `${k} ${n}`).join(', ');
  if (codes) lines.push(`malformed by issue: ${codes}`);
  if (s.snapped > 0) lines.push(`${s.snapped} frames cut by the snapshot length before their ARP body ended (not counted as malformed; raise --snaplen)`);
  lines.push(s.dropped > 0 ? `LOST: the kernel dropped ${s.dropped} frame(s) while we listened (capture ring full): raise --ring, or findings may be missing` : '0 frames lost by the capture');
  const held = Object.entries(s.suppressedByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  if (held) lines.push(`held back by the per-kind rate limit (a flood; counted, not printed): ${held}`);
  if (s.newStations > 0) lines.push(`${s.newStations} new station(s)`);
  if (s.state) lines.push(`state ${s.state.file}: ${s.state.loaded} station(s) loaded${s.state.skippedLines ? `, ${s.state.skippedLines} line(s) skipped` : ''}, ${s.ips} saved in ${s.state.written} write(s)${s.state.saved ? '' : ' -- THE LAST WRITE FAILED'}`);
  if (s.evicted > 0) lines.push(`${s.evicted} table entries evicted (the table is full: raise --max-ips)`);
  for (const [ip, macs] of Object.entries(s.multiMacIps)) lines.push(`${ip} was claimed by ${macs.length} MACs: ${macs.join(', ')}`);
  return lines;
}
