// The single `cnpg` executable: every mode (validate, crds, controller, instance, local and the
// plugin verbs) is a subcommand here, as upstream's `manager` binary holds all of its modes.
// Each mode's module is loaded only when that mode runs: every pod process starts this
// executable, and loading all modes would cost it about half a second.
import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

/** Top-level command -> the module registering it (help lists them all, so it loads every one). */
const COMMANDS: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./validate.ts')).registerValidateCommand,
  crds: async () => (await import('./crds.ts')).registerCrdsCommand,
  instance: async () => (await import('./instance.ts')).registerInstanceCommand,
  bootstrap: async () => (await import('./bootstrap.ts')).registerBootstrapCommand,
  manifests: async () => (await import('./manifests.ts')).registerManifestsCommand,
  controller: async () => (await import('./controller.ts')).registerControllerCommand,
  status: async () => (await import('./status.ts')).registerStatusCommand,
  promote: async () => (await import('./promote.ts')).registerPromoteCommand,
  fencing: async () => (await import('./fencing.ts')).registerFencingCommand,
  restart: async () => (await import('./restart.ts')).registerRestartCommands,
  reload: async () => (await import('./restart.ts')).registerRestartCommands,
  local: async () => {
    const [{ registerLocalCommand }, { registerLocalApiServerCommand }] = await Promise.all([
      import('./local.ts'),
      import('./local-apiserver.ts'),
    ]);
    return (program) => {
      registerLocalCommand(program);
      registerLocalApiServerCommand(program);
    };
  },
};

/** Exit status of a command line commander could not parse (as `cnpg validate`'s unreadable input). */
const EXIT_USAGE = 2;

/** The program with the commands `argv` may run: just the one it names, or all for help and errors. */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('cnpg')
    .description('CloudNativePG in TypeScript: operator, instance manager, local runtime and kubectl plugin')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const named = argv[2];
  const loaders = named !== undefined && named in COMMANDS ? [COMMANDS[named]] : Object.values(COMMANDS);
  // One module may register several commands (restart and reload): each register runs once.
  const registers = new Set<Register>();
  for (const load of loaders) if (load !== undefined) registers.add(await load());
  for (const register of registers) register(program);
  return program;
}

try {
  await (await buildProgram()).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version end with exit code 0; usage errors were already printed by commander.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
