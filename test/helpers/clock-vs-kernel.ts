/**
 * The system clock against the kernel's capture stamps: ROUNDS times, read clock.now(), send one
 * who-has, and take the kernel's stamp of its echo (our frame as the wire carried it), then read the
 * clock again when the echo is delivered. Prints one JSON line: the smallest and largest
 * (echo - before) and (delivered - echo), in ms. On one clock both are >= 0 (up to the microseconds
 * between two readings of two clocks) and small.
 * usage: node --import tsx clock-vs-kernel.ts IFACE ROUNDS
 */
import { PcapLink } from '../../src/link/pcap-link.js';
import { interfaceMac } from '../../src/link/interfaces.js';
import { systemClock } from '../../src/time/clock.js';
import { encodeArpFrame } from '../../src/wire/index.js';

const [iface, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!iface || !Number.isInteger(rounds)) throw new Error('usage: clock-vs-kernel.ts IFACE ROUNDS');
const link = PcapLink.open(iface);
const mac = interfaceMac(iface);
const sendToEcho: number[] = [];
const echoToJs: number[] = [];
for (let i = 0; i < rounds; i++) {
  const frame = encodeArpFrame({ senderMac: mac, senderIp: '10.9.0.1', targetIp: `10.9.0.${200 + (i % 50)}` });
  const echo = new Promise<{ time: number; seen: number }>((resolve) => {
    const off = link.onFrame((f) => {
      if (f.sentId === undefined) return;
      off();
      resolve({ time: f.time, seen: systemClock.now() });
    });
  });
  const before = systemClock.now();
  link.send(frame);
  const e = await echo;
  sendToEcho.push(e.time - before);
  echoToJs.push(e.seen - e.time);
}
link.close();
const r3 = (x: number) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({ rounds, sendToEcho: [r3(Math.min(...sendToEcho)), r3(Math.max(...sendToEcho))], echoToJs: [r3(Math.min(...echoToJs)), r3(Math.max(...echoToJs))] }));
