/**
 * Lifetime check for the native link: one process runs ROUNDS sessions back to back (probe(),
 * sweep(), and an ArpWatcher fed by a PcapLink, in turn), every tenth round two probes at once,
 * with gc() between rounds (run with --expose-gc). Prints open fds and RSS at the start, after a
 * warm-up and at the end, as one JSON line. A use-after-free in close or in the finaliser crashes it.
 * usage: node --expose-gc --import tsx lifetime.ts IFACE TARGET ROUNDS
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { PcapLink } from '../../src/link/pcap-link.js';
import { probe } from '../../src/probe/probe.js';
import { sweep } from '../../src/sweep/sweep.js';
import { ArpWatcher } from '../../src/watch/analyzer.js';

const [iface, target, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!iface || !target || !Number.isInteger(rounds)) throw new Error('usage: lifetime.ts IFACE TARGET ROUNDS');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const fds = () => readdirSync('/proc/self/fd').length;
/** What each open descriptor is (for the diagnostic when the counts differ); the listing's own, gone by then, is left out. */
const fdTargets = (): string[] =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [`${fd}:${readlinkSync(`/proc/self/fd/${fd}`)}`];
    } catch {
      return [];
    }
  });
const rssMb = () => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
const settle = async () => {
  // let uv_close callbacks run, then collect closed wrappers (their finalisers run here)
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
};

await settle();
const fdStart = fds();
const fdStartList = fdTargets();
const rssStart = rssMb();
let rssWarm = 0;
let fdWarm = 0;
let replies = 0;
const counts = { probe: 0, sweep: 0, watch: 0, overlapping: 0, failedOpens: 0 };
for (let i = 0; i < rounds; i++) {
  if (i % 10 === 9) {
    const rs = await Promise.all([probe({ iface, targets: [target], timeoutMs: 500, waitMs: 0 }), probe({ iface, targets: [target], timeoutMs: 500, waitMs: 0 })]);
    replies += rs.reduce((a, r) => a + r.replies.length, 0);
    counts.overlapping += 2;
  } else if (i % 3 === 0) {
    const r = await probe({ iface, targets: [target], timeoutMs: 500, waitMs: 0 });
    replies += r.replies.length;
    counts.probe++;
  } else if (i % 3 === 1) {
    const r = await sweep({ iface, targets: [target], ratePps: 0, retries: 0, timeoutMs: 200, waitMs: 0, canaries: false });
    replies += r.summary.replies;
    counts.sweep++;
  } else {
    const link = PcapLink.open(iface);
    const watcher = new ArpWatcher(() => {});
    link.onFrame((f) => watcher.ingest(f));
    await new Promise((r) => setTimeout(r, 2));
    link.close();
    counts.watch++;
  }
  if (i % 25 === 0) {
    // A failed open (bad filter: libpcap's compile error) must leave nothing behind to crash later.
    try {
      PcapLink.open(iface, { filter: 'arp and' });
    } catch {
      counts.failedOpens++;
    }
  }
  await settle();
  if (i === 49) {
    rssWarm = rssMb();
    fdWarm = fds();
  }
}
await settle();
const endList = fdTargets();
const fdChanged = [...fdStartList.filter((x) => !endList.includes(x)).map((x) => `-${x}`), ...endList.filter((x) => !fdStartList.includes(x)).map((x) => `+${x}`)];
console.log(JSON.stringify({ rounds, counts, replies, fdStart, fdWarm, fdEnd: fds(), fdChanged, rssStart, rssWarm, rssEnd: rssMb() }));
