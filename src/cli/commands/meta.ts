/**
 * Every command's name and one-line description, and nothing else: main.ts lists them in `--help` and
 * imports a command's module (its options and implementation) only when that command runs.
 */
export const COMMANDS = {
  probe: { command: ['probe', '$0'], describe: 'send ARP requests (any field you choose) and report every reply and who gave it' },
  respond: { command: 'respond', describe: 'answer who-has for the IPs you claim, with the MACs you choose (a lab host; mirrors VLAN tags)' },
  sweep: { command: 'sweep [targets..]', describe: 'ask for every address in a range, keep every reply, and call out hijacking' },
  explain: { command: 'explain', describe: 'explain whether and why this host answers a who-has on an interface (run it on the receiving host)' },
  watch: { command: 'watch', describe: 'decode every ARP frame on a link (or in a pcap file), pair requests and replies, raise findings' },
  stations: { command: 'stations', describe: "print the station database that watch --state keeps (arpwatch's arp.dat)" },
  announce: { command: 'announce', describe: 'gratuitous ARP for an address (sender IP = target IP), reporting any other MAC that claims it' },
  dad: { command: 'dad', describe: 'RFC 5227 duplicate address detection: probe for an address from 0.0.0.0; exit 0 free, 1 in use' },
  trigger: {
    command: 'trigger',
    describe: 'make the kernel ARP for an address (ICMP echo via raw-socket) and check the sender IP it uses (ARP bubble)',
  },
  completion: { command: 'completion [shell]', describe: 'print the bash or zsh completion script (source it from your shell rc)' },
} as const satisfies Record<string, { command: string | readonly string[]; describe: string }>;

export type CommandName = keyof typeof COMMANDS;
