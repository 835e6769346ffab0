/**
 * explainLive(): read this namespace's state, explain each target, and optionally prove it by
 * injecting the who-has from the peer and watching what the kernel does. What the CLI calls.
 */
import { UsageError } from '../errors.js';
import { formatIpv4, inPrefix, parseIpv4 } from '../wire/address.js';
import { type Verification, compareWithKernel, verifyTimeoutMs } from './compare.js';
import { type ExplainState, type Explanation, explain } from './model.js';
import { type BaseState, readBaseState, readRequestState } from './read-linux.js';
import { observeFromPeer } from './verify.js';

export interface ExplainLiveOptions {
  /** Interface the request arrives on (in this network namespace). */
  iface: string;
  tips: string[];
  /** Sender IP of the request; default: 0.0.0.0 with verifyFrom, else a free address of the device's subnet (explainSender). */
  sip?: string;
  ethDst?: string;
  /** Inject from this interface (the other end of the link) and compare. */
  verifyFrom?: string;
  verifyNetns?: string;
  /** Default: proxy_delay of the device plus slack (verifyTimeoutMs). */
  verifyTimeoutMs?: number;
  /** Attach the snapshot the model read (for bug reports and fixtures). */
  includeState?: boolean;
}

export interface ExplainResult extends Explanation {
  verification?: Verification;
  state?: ExplainState;
}

/** The sender a who-has on this device would plausibly carry: the first free host address of its first subnet. */
export function defaultExplainSender(base: Pick<BaseState, 'addrs' | 'dev'>): string {
  const own = base.addrs.filter((a) => a.dev === base.dev);
  const a = own.find((x) => x.scope !== 'host' && x.prefixLen <= 30);
  if (!a) throw new UsageError('ERR_NO_SOURCE_IP', `${base.dev} has no IPv4 subnet to pick a sender from`, { hint: 'give the sender of the request: --sip IP' });
  const taken = new Set(base.addrs.map((x) => x.local));
  const n = parseIpv4(a.local)!;
  const size = 2 ** (32 - a.prefixLen);
  const net = n - (n % size);
  for (let i = 1; i < size - 1; i++) {
    const cand = formatIpv4(net + i);
    if (!taken.has(cand) && inPrefix(net + i, net, a.prefixLen)) return cand;
  }
  throw new UsageError('ERR_NO_SOURCE_IP', `no free sender address in ${base.dev}'s subnet`, { hint: '--sip IP' });
}

/** Why the verification asks as 0.0.0.0 (the CLI prints it as a note). */
export const VERIFY_SENDER_NOTE =
  'sender 0.0.0.0 (RFC 5227 probe): --verify-from injects the who-has for real, and any other sender would rewrite that address in the neighbours\' caches (usually the router\'s); a DAD probe is answered only for the host\'s own addresses, never proxied: give --sip IP to ask as a particular host';

/**
 * The sender of the request: the caller's; with --verify-from (a request really sent) 0.0.0.0, which
 * poisons no cache; for a prediction alone, a free address of the device's subnet (defaultExplainSender).
 */
export function explainSender(opts: Pick<ExplainLiveOptions, 'sip' | 'verifyFrom'>, base: Pick<BaseState, 'addrs' | 'dev'>): { sip: string; note?: string } {
  if (opts.sip !== undefined) return { sip: opts.sip };
  if (opts.verifyFrom !== undefined) return { sip: '0.0.0.0', note: VERIFY_SENDER_NOTE };
  return { sip: defaultExplainSender(base) };
}

export async function explainLive(opts: ExplainLiveOptions): Promise<ExplainResult[]> {
  const base = readBaseState(opts.iface);
  const { sip } = explainSender(opts, base);
  const results: ExplainResult[] = opts.tips.map((tip) => {
    const req = { tip, sip, ...(opts.ethDst ? { ethDst: opts.ethDst } : {}) };
    const state = readRequestState(base, req);
    const e: ExplainResult = explain(state, req);
    if (opts.includeState) e.state = state;
    return e;
  });
  if (opts.verifyFrom !== undefined) {
    const timeoutMs = opts.verifyTimeoutMs ?? verifyTimeoutMs(base.proxyDelay);
    const seen = await observeFromPeer({ peer: opts.verifyFrom, ...(opts.verifyNetns ? { netns: opts.verifyNetns } : {}), tips: opts.tips, sip, ...(opts.ethDst ? { ethDst: opts.ethDst } : {}), timeoutMs });
    results.forEach((r, i) => {
      r.verification = compareWithKernel(r, base.devMac, seen[i] ?? { tip: r.inputs.tip, replies: [] }, { from: opts.verifyFrom!, ...(opts.verifyNetns ? { netns: opts.verifyNetns } : {}), timeoutMs });
    });
  }
  return results;
}
