/**
 * Library example: who claims these IPs on an interface? Prints one line per reply and a summary.
 *
 *   node --import tsx examples/library.ts IFACE SENDER_IP TARGET_IP...
 */
import { probe, type ReplyRecord } from 'arpinject';

const [iface, sip, ...targets] = process.argv.slice(2);
if (!iface || !sip || targets.length === 0) {
  console.error('usage: library.ts IFACE SENDER_IP TARGET_IP...');
  process.exit(2);
}

const result = await probe({
  iface,
  sip,
  targets,
  timeoutMs: 1000, // covers the kernel's proxy_delay (up to 0.8 s)
  waitMs: 1000, // then keep listening: a second MAC for the same IP is a conflict
});

for (const r of result.replies as ReplyRecord[]) console.log(`${r.ip} is-at ${r.mac} after ${r.rttMs} ms`);
for (const t of result.timeouts) console.log(`${t.ip}: no reply`);
console.log(JSON.stringify({ answered: result.summary.answered, conflicts: result.summary.conflicts, claims: result.summary.claims }));
