// `cnpg crds`: the CustomResourceDefinitions of every kind, printed or written as files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { crdFileName, crdYaml } from '../api/v1/crd.ts';
import { KINDS } from '../api/v1/kinds.ts';

export function allCrdsYaml(): string {
  return KINDS.map(crdYaml).join('');
}

/** Writes one file per CRD into `dir` and returns their names. */
export function writeCrds(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return KINDS.map((def) => {
    const name = crdFileName(def);
    writeFileSync(join(dir, name), crdYaml(def));
    return name;
  });
}

export function registerCrdsCommand(program: Command): void {
  program
    .command('crds')
    .description('print the CustomResourceDefinitions (or write them, one file each, with --write DIR)')
    .option('--write <dir>', 'write the CRDs as files into DIR instead of printing them')
    .action((opts: { write?: string }) => {
      if (opts.write === undefined) {
        process.stdout.write(allCrdsYaml());
      } else {
        for (const name of writeCrds(opts.write)) process.stdout.write(`wrote ${opts.write}/${name}\n`);
      }
    });
}
