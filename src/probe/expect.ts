/** CI expectations over a probe result (`--expect`), pure. */
import { UsageError } from '../errors.js';
import { normalizeMac } from '../wire/address.js';
import type { ProbeSummary } from '../records/records.js';

export type Expectation = { kind: 'reply' } | { kind: 'none' } | { kind: 'mac'; mac: string };

export function parseExpectation(text: string | undefined): Expectation {
  if (text === undefined || text === 'reply') return { kind: 'reply' };
  if (text === 'none') return { kind: 'none' };
  const mac = normalizeMac(text);
  if (mac) return { kind: 'mac', mac };
  throw new UsageError('ERR_INVALID_ARGUMENT', `--expect: "${text}" is not reply, none or a MAC address`);
}

export const describeExpectation = (e: Expectation): string => (e.kind === 'mac' ? e.mac : e.kind);

/**
 * reply: every target answered. none: no target answered. mac: every target answered, and by that MAC
 * only (any other MAC claiming a target fails it: that is the hijack a CI job wants to catch).
 */
export function judge(e: Expectation, s: Pick<ProbeSummary, 'targets' | 'answered' | 'claims'> & { dropped?: number }, listenedMs?: number): { ok: boolean; reason: string } {
  let v = judgeObserved(e, s);
  // The fast path (--wait 0) returns on the first replies: a verdict then says what it did not wait for.
  if (listenedMs === 0 && v.ok && e.kind !== 'none') v = { ok: true, reason: `${v.reason.replace(/ only$/, '')}, first replies only: did not listen for other responders (--wait 0)` };
  const dropped = s.dropped ?? 0;
  if (dropped === 0) return v;
  // Frames were lost: a verdict that rests on something NOT being seen (no reply, no other MAC) cannot hold.
  const lost = `the capture lost ${dropped} frame(s)`;
  if (!v.ok) return { ok: false, reason: `${v.reason}; ${lost}, so replies may be missing` };
  if (e.kind === 'reply') return { ok: true, reason: `${v.reason} (${lost})` };
  return { ok: false, reason: `cannot tell: ${lost}, so a reply may have been missed (${v.reason} among what was captured)` };
}

function judgeObserved(e: Expectation, s: Pick<ProbeSummary, 'targets' | 'answered' | 'claims'>): { ok: boolean; reason: string } {
  const unanswered = s.targets - s.answered;
  switch (e.kind) {
    case 'reply':
      return unanswered === 0 ? { ok: true, reason: `all ${s.targets} target(s) answered` } : { ok: false, reason: `${unanswered} of ${s.targets} target(s) unanswered` };
    case 'none':
      return s.answered === 0 ? { ok: true, reason: 'no target answered' } : { ok: false, reason: `${s.answered} target(s) answered: ${Object.keys(s.claims).join(', ')}` };
    case 'mac': {
      const others = Object.entries(s.claims).flatMap(([ip, macs]) => macs.filter((m) => m !== e.mac).map((m) => `${ip} by ${m}`));
      if (others.length > 0) return { ok: false, reason: `claimed by another MAC: ${others.join(', ')}` };
      if (unanswered > 0) return { ok: false, reason: `${unanswered} of ${s.targets} target(s) unanswered` };
      return { ok: true, reason: `every target answered by ${e.mac} only` };
    }
  }
}
