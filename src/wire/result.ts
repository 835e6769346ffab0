/** Parse results for untrusted bytes: a value, or an issue that says what and where. Never throws. */

export type WireIssueCode = 'TRUNCATED' | 'NOT_ARP' | 'UNSUPPORTED_FORMAT' | 'TOO_MANY_TAGS';

export interface WireIssue {
  code: WireIssueCode;
  /** Layer that failed: ethernet, vlan, arp. */
  layer: string;
  /** Byte offset in the frame where the problem is. */
  offset: number;
  message: string;
  /** For TRUNCATED: frame bytes needed and frame bytes present. */
  needed?: number;
  got?: number;
}

export type WireResult<T> = { ok: true; value: T } | { ok: false; issue: WireIssue };

export const fail = <T = never>(code: WireIssueCode, layer: string, offset: number, message: string): WireResult<T> => ({
  ok: false,
  issue: { code, layer, offset, message },
});

export const truncated = <T = never>(layer: string, needed: number, got: number): WireResult<T> => ({
  ok: false,
  issue: { code: 'TRUNCATED', layer, offset: got, needed, got, message: `${layer}: truncated, need ${needed} bytes, have ${got}` },
});
