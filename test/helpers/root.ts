/** Skip reason for tests that need root and network namespaces, or false when they can run. */
import { execFileSync } from 'node:child_process';

function reason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw sockets)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 with `ip netns`';
  }
  return false;
}

export const skipUnlessRoot: string | false = reason();
