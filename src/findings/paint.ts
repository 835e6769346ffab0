/**
 * How human text marks verdicts and severities: the CLI passes ANSI colours on a terminal
 * (cli/color.ts), everything else gets `plain` (the text unchanged). Pure.
 */
import type { Severity } from './finding.js';

export interface Paint {
  /** A severity word (CRITICAL, WARNING, info) in its colour. */
  severity(s: Severity, text: string): string;
  /** A good verdict (met, fine, confirmed). */
  good(text: string): string;
  /** A bad verdict (NOT met, WRONG). */
  bad(text: string): string;
}

const same = (t: string): string => t;
export const plain: Paint = { severity: (_s, t) => t, good: same, bad: same };
