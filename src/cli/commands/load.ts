/**
 * The command modules, imported only for the command that runs (yargs calls one builder, and the top
 * help needs only COMMANDS' descriptions): `arpinject sweep` never loads watch's or explain's code.
 * The man page and shell completion load them here too, to read their options.
 */
import type { CommandModule } from 'yargs';
import type { CommandName } from './meta.js';

export const LOADERS: Record<CommandName, () => Promise<CommandModule>> = {
  probe: async () => (await import('./probe.js')).probeCommand as unknown as CommandModule,
  respond: async () => (await import('./respond.js')).respondCommand as unknown as CommandModule,
  sweep: async () => (await import('./sweep.js')).sweepCommand as unknown as CommandModule,
  explain: async () => (await import('./explain.js')).explainCommand as unknown as CommandModule,
  watch: async () => (await import('./watch.js')).watchCommand as unknown as CommandModule,
  announce: async () => (await import('./announce.js')).announceCommand as unknown as CommandModule,
  dad: async () => (await import('./dad.js')).dadCommand as unknown as CommandModule,
  trigger: async () => (await import('./trigger.js')).triggerCommand as unknown as CommandModule,
  stations: async () => (await import('./stations.js')).stationsCommand as unknown as CommandModule,
  completion: async () => (await import('./completion.js')).completionCommand as unknown as CommandModule,
};
