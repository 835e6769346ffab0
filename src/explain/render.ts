/** Human text for an explanation (the CLI's default output). Pure. */
import type { Verification } from './compare.js';
import type { Explanation } from './model.js';
import { type Paint, plain } from '../findings/paint.js';

const width = (xs: string[]): number => Math.max(0, ...xs.map((x) => x.length));

export function formatExplanation(e: Explanation, verification?: Verification, paint: Paint = plain): string[] {
  const on = e.inputs.iface !== e.inputs.dev ? `${e.inputs.iface} (processed on ${e.inputs.dev})` : e.inputs.dev;
  const head = `${e.verdict === 'reply' ? 'REPLY' : 'NO REPLY'}${e.certain ? '' : ' (uncertain)'}: who-has ${e.inputs.tip} tell ${e.inputs.sip} on ${on}${e.inputs.ethDst ? ` (to ${e.inputs.ethDst})` : ''}`;
  const lines = [head];
  if (e.verdict === 'reply') lines.push(`  delay: ${e.queued ? `0-${e.delayMs.max} ms (proxy_delay; queued, see below)` : 'none'}`);
  lines.push(`  why: ${e.reason}`);
  if (e.fix) lines.push(`  to change it: ${e.fix}`);
  lines.push('  steps:');
  const wr = width(e.steps.map((s) => s.result)) + 2;
  const ws = width(e.steps.map((s) => s.step));
  for (const s of e.steps) lines.push(`    ${`[${s.result}]`.padEnd(wr)} ${s.step.padEnd(ws)}  ${s.detail}`);
  for (const x of e.warnings) lines.push(`  warning: ${x}`);
  for (const x of e.unseen) lines.push(`  not seen: ${x}`);
  lines.push(`  model: ${e.inputs.model}; running ${e.inputs.kernel}`);
  if (verification) lines.push(formatVerification(e, verification, paint));
  return lines;
}

export function formatVerification(e: Explanation, v: Verification, paint: Paint = plain): string {
  const where = `${v.from}${v.netns ? ` (netns ${v.netns})` : ''}`;
  const saw = v.observed === 'reply' ? `replied with ${v.macs.join(', ')} after ${v.rttMs} ms` : `did not reply within ${v.timeoutMs} ms`;
  const verdict = v.agrees ? (e.certain ? paint.good('prediction confirmed') : paint.severity('warning', 'prediction was uncertain')) : paint.bad(`PREDICTION WRONG (predicted ${e.verdict})`);
  return `  verified from ${where}: the kernel ${saw}: ${verdict}${v.note ? ` (${v.note})` : ''}`;
}
