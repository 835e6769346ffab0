/**
 * Requests waiting for their answers, by key (VLAN + asked IP): registered BEFORE they are sent
 * (scapy's order: a link may deliver the echo, or even the reply, while send() runs), stamped with
 * their time on the wire when the link captures their echo, paired with replies by the one pick
 * policy (pick.ts). Used by probe's session; the sweep engine keeps the same state in typed arrays.
 */
import { pickRequest } from './pick.js';

export interface PendingRequest {
  /** Global send order on this run, 1-based: the same number in every command's records. */
  id: number;
  /** Which request for this target (1-based): 1 for the first, 2 for the first retry or round... */
  seq: number;
  tip: string;
  key: string;
  vlan: number | undefined;
  /** Software send time: the deadline runs from it. */
  sentAt: number;
  /** Kernel time of the request on the wire (its echo), when captured: RTT runs from it. */
  wireAt: number | undefined;
  deadline: number;
  /** MACs that answered this request. */
  macs: Set<string>;
  timedOut: boolean;
}

export interface Pairing {
  request: PendingRequest;
  /** This MAC had already answered this request. */
  duplicate: boolean;
  /** Captured after the request's deadline. */
  late: boolean;
  /** The first answer this request got (from any MAC). */
  first: boolean;
}

export class PendingTable {
  private readonly byKey = new Map<string, PendingRequest[]>();
  private readonly seqs = new Map<string, number>();
  private nextId = 1;

  /** File a request before sending it. */
  register(tip: string, key: string, vlan: number | undefined, sentAt: number, timeoutMs: number): PendingRequest {
    const seq = (this.seqs.get(key) ?? 0) + 1;
    this.seqs.set(key, seq);
    const r: PendingRequest = { id: this.nextId++, seq, tip, key, vlan, sentAt, wireAt: undefined, deadline: sentAt + timeoutMs, macs: new Set(), timedOut: false };
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(r);
    return r;
  }

  has(key: string): boolean {
    return (this.byKey.get(key)?.length ?? 0) > 0;
  }

  /** Our request for `key` seen on the wire at `time`: echoes come in send order, so the oldest unstamped one. */
  echo(key: string, time: number): void {
    for (const r of this.byKey.get(key) ?? [])
      if (r.wireAt === undefined) {
        r.wireAt = time;
        return;
      }
  }

  /** Pair a reply for `key` from `mac` captured at `time`; undefined when nothing was asked for that key. */
  pair(key: string, mac: string, time: number): Pairing | undefined {
    const list = this.byKey.get(key);
    if (!list || list.length === 0) return undefined;
    const request = list[pickRequest(list.length, (k) => list[k]!.deadline, (k) => list[k]!.macs.has(mac), time)]!;
    const duplicate = request.macs.has(mac);
    const first = request.macs.size === 0;
    request.macs.add(mac);
    return { request, duplicate, late: time > request.deadline, first };
  }
}
