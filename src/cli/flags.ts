/** Library option keys -> the CLI flags that set them: library errors name keys, the CLI names flags. */
export const FLAG_OF: Record<string, string> = {
  targets: '--tip',
  sha: '--sha',
  ethSrc: '--eth-src',
  sip: '--sip',
  tha: '--tha',
  ethDst: '--eth-dst',
  vlan: '--vlan',
  vlanPriority: '--vlan-priority',
  count: '--count',
  intervalMs: '--interval',
  timeoutMs: '--timeout',
  waitMs: '--wait',
  ratePps: '--rate',
  maxTargets: '--max-targets',
  seed: '--seed',
  canaries: '--canary',
  bandwidth: '--bandwidth',
  retries: '--retries',
  deadlineMs: '--deadline',
  limit: '--limit',
  maxIpsPerMac: '--max-ips-per-mac',
  op: '--op',
  ip: '--ip',
  mac: '--mac',
  listenMs: '--listen',
  probeWaitMs: '--probe-wait',
  probeNum: '--probe-num',
  probeMinMs: '--probe-min',
  probeMaxMs: '--probe-max',
  announceWaitMs: '--announce-wait',
};

/** A library error's message with its option key replaced by the flag a CLI user typed. */
export function flagMessage(message: string, option: string | undefined): string {
  const flag = option !== undefined ? FLAG_OF[option] : undefined;
  return flag && message.startsWith(`${option}:`) ? flag + message.slice(option!.length) : message;
}
