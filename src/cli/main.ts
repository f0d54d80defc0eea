// The single `cnpg` executable: every mode (validate, crds; later controller, instance, local and
// the plugin verbs) is a subcommand here, as upstream's `manager` binary holds all of its modes.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerBootstrapCommand } from './bootstrap.ts';
import { registerControllerCommand } from './controller.ts';
import { allCrdsYaml, writeCrds } from './crds.ts';
import { registerInstanceCommand } from './instance.ts';
import { registerLocalCommand } from './local.ts';
import { registerLocalApiServerCommand } from './local-apiserver.ts';
import { registerStatusCommand } from './status.ts';
import { registerManifestsCommand } from './manifests.ts';
import { type CliIO, EXIT_UNREADABLE, runValidate } from './validate.ts';

const io: CliIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readStdin: () => readFileSync(0, 'utf8'),
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('cnpg')
    .description('CloudNativePG in TypeScript: operator, instance manager, local runtime and kubectl plugin')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('validate')
    .description('admit manifests as the API server and the webhooks would: defaults, schema, CNPG rules')
    .requiredOption('-f, --filename <file>', 'a YAML file (multi-document allowed; "-" for stdin); repeatable', collect)
    .option('--old <file>', 'the previous version of the objects: validate the documents as updates of it')
    .addOption(new Option('-o, --output <format>', 'also print the defaulted objects').choices(['yaml']))
    .action((opts: { filename: string[]; old?: string; output?: 'yaml' }) => {
      process.exitCode = runValidate({ files: opts.filename, old: opts.old, output: opts.output }, io);
    });

  program
    .command('crds')
    .description('print the CustomResourceDefinitions (or write them, one file each, with --write DIR)')
    .option('--write <dir>', 'write the CRDs as files into DIR instead of printing them')
    .action((opts: { write?: string }) => {
      if (opts.write === undefined) {
        process.stdout.write(allCrdsYaml());
      } else {
        for (const name of writeCrds(opts.write)) io.stdout(`wrote ${opts.write}/${name}`);
      }
    });

  registerInstanceCommand(program);
  registerBootstrapCommand(program);
  registerManifestsCommand(program);
  registerControllerCommand(program);
  registerStatusCommand(program);
  registerLocalCommand(program);
  registerLocalApiServerCommand(program);

  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version end with exit code 0; usage errors were already printed by commander.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_UNREADABLE;
  } else {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
