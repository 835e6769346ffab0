/** `arpinject completion [bash|zsh]`: print the shell's completion script. */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { SHELLS, type Shell, completionScript } from '../completion.js';
import { cliIo } from '../io.js';
import type { GlobalArgs } from '../context.js';
import { COMMANDS } from './meta.js';

export interface CompletionArgs extends GlobalArgs {
  shell?: string;
}

export const completionCommand: CommandModule<GlobalArgs, CompletionArgs> = {
  ...COMMANDS.completion,
  builder: (y) =>
    y.positional('shell', { type: 'string', choices: SHELLS, describe: 'bash or zsh (default: the one in $SHELL, else bash)' }) as unknown as Argv<CompletionArgs>,
  handler: (argv) => {
    const shell = (argv.shell ?? (/zsh$/.test(process.env.SHELL ?? '') ? 'zsh' : 'bash')) as Shell;
    if (!SHELLS.includes(shell)) throw new UsageError('ERR_INVALID_ARGUMENT', `completion: no script for "${shell}" (bash or zsh)`);
    cliIo().stdout.write(completionScript(shell));
  },
};
