/**
 * The one pick policy (probe's session and the sweep engine both call it): which of a target's
 * requests a reply answers. Requests are the attempts for one key (VLAN + asked IP), oldest first.
 * A reply from `mac` answers the oldest request that this MAC has not answered yet and whose timeout
 * has not expired when the reply was captured; else the newest one (a late or repeated answer:
 * flagged `late` when past that request's deadline, `duplicate` when this MAC had already answered it).
 * Every command's `seq`, `requestId`, `duplicate`, `late` and `rttMs` come from the request it picks.
 */
export function pickRequest(count: number, deadlineOf: (k: number) => number, answeredBy: (k: number) => boolean, time: number): number {
  for (let k = 0; k < count; k++) if (!answeredBy(k) && time <= deadlineOf(k)) return k;
  return count - 1;
}
