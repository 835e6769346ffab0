/**
 * Put the frames of a pcap file on a link with the project's own send path (PcapLink), 2 ms apart.
 * Run inside a namespace: ip netns exec NS node --import tsx test/helpers/inject-pcap.ts IFACE FILE
 */
import { PcapLink } from '../../src/link/pcap-link.js';
import { readPcapFile } from '../../src/link/pcap-file.js';

const [iface, file] = process.argv.slice(2);
if (!iface || !file) throw new Error('usage: inject-pcap.ts IFACE FILE');
const link = PcapLink.open(iface, { bufferSize: 1 << 20 }); // nothing is read; frames captured meanwhile are dropped with the handle
let sent = 0;
for (const r of readPcapFile(file).records) {
  link.send(r.bytes);
  sent++;
  await new Promise((res) => setTimeout(res, 2));
}
link.close();
console.log(JSON.stringify({ sent }));
