/**
 * Shell completion. The scripts (after yargs' templates) call `arpinject --get-completions SHELL
 * WORDS...` at each Tab; main.ts answers that before yargs is loaded, from COMMANDS and the command's
 * own options (spec.ts). Commands are completed in first position, options (and --no-X for a
 * boolean that defaults to true) after a dash, choices after an option that has them; after an
 * option that takes a free value nothing is offered (the shell completes file names).
 */
import { COMMANDS, type CommandName } from './commands/meta.js';
import { type OptionSpec, commandSpec, globalSpecs } from './spec.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];
export const COMPLETION_FLAG = '--get-completions';

export function completionScript(shell: Shell): string {
  if (shell === 'zsh')
    return `#compdef arpinject
###-begin-arpinject-completions-###
# arpinject completion for zsh. Install: arpinject completion zsh > "\${fpath[1]}/_arpinject"
# (or: source <(arpinject completion zsh) in ~/.zshrc)
_arpinject() {
  local -a reply
  local si=$IFS
  IFS=$'\\n' reply=($(arpinject ${COMPLETION_FLAG} zsh "\${words[@]}" 2>/dev/null))
  IFS=$si
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'values' reply
  else
    _files
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _arpinject "$@"
else
  compdef _arpinject arpinject
fi
###-end-arpinject-completions-###
`;
  return `###-begin-arpinject-completions-###
# arpinject completion for bash. Install: arpinject completion bash > /etc/bash_completion.d/arpinject
# (or: source <(arpinject completion bash) in ~/.bashrc)
_arpinject() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local -a words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(arpinject ${COMPLETION_FLAG} bash "\${words[@]}" 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _arpinject arpinject
###-end-arpinject-completions-###
`;
}

const flagOf = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/**
 * The candidates for the last word of `words` (words[0] is the program). zsh gets `candidate:description`
 * lines (for _describe; colons in the candidate escaped), bash bare candidates.
 */
export async function complete(shell: Shell, words: string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(1, -1);
  const names = Object.keys(COMMANDS) as CommandName[];
  const cmd = before.find((w): w is CommandName => (names as string[]).includes(w));
  const show = (value: string, describe: string): string => (shell === 'zsh' ? `${value.replace(/:/g, '\\:')}:${describe.replace(/\n/g, ' ')}` : value);
  const spec = await commandSpec(cmd ?? 'probe');
  const options: OptionSpec[] = [...spec.options, ...globalSpecs()];
  const byFlag = new Map<string, OptionSpec>();
  for (const o of options) for (const n of [o.name, ...o.aliases]) byFlag.set(flagOf(n), o);

  const prev = before.at(-1);
  const prevOption = prev !== undefined ? byFlag.get(prev) : undefined;
  if (prevOption && prevOption.type !== 'boolean') {
    return (prevOption.choices ?? []).filter((c) => c.startsWith(current)).map((c) => show(c, prevOption.describe));
  }
  const out: string[] = [];
  if (current.startsWith('-')) {
    for (const o of options) {
      const flags = [`--${o.name}`, ...(o.type === 'boolean' && o.default === true ? [`--no-${o.name}`] : [])];
      for (const f of flags) if (f.startsWith(current) && !before.includes(f)) out.push(show(f, o.describe));
    }
    for (const f of ['--help', ...(cmd === undefined ? ['--version'] : [])]) if (f.startsWith(current)) out.push(show(f, f === '--help' ? 'show help' : 'show the version'));
    return out;
  }
  // A positional word: a command in first position, else the command's positional choices.
  const positionalsSoFar = before.filter((w, i) => !w.startsWith('-') && !(i > 0 && byFlag.get(before[i - 1]!)?.type !== 'boolean' && byFlag.has(before[i - 1]!)));
  if (cmd === undefined && positionalsSoFar.length === 0) {
    for (const n of names) if (n.startsWith(current)) out.push(show(n, COMMANDS[n].describe));
    return out;
  }
  for (const p of spec.positionals) for (const c of p.choices ?? []) if (c.startsWith(current)) out.push(show(c, p.describe));
  return out;
}
