// `cnpg bootstrap DEST`: what upstream's `bootstrap-controller` init container does with
// `/manager bootstrap /controller/manager`: put the instance manager where the pod's containers
// run it from (the shared scratch volume). Upstream copies its static binary; our executable is this
// checkout's `bin/cnpg` (a wrapper needing the checkout beside it), so DEST becomes a symlink to it.
// Under the local runtime DEST resolves under CNPG_POD_ROOT, as every container path does.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { podPath } from '../instance/pod-paths.ts';

const CNPG_BIN = fileURLToPath(new URL('../../bin/cnpg', import.meta.url));

/** Makes `dest` (a container path) run this checkout's cnpg; returns the path on this machine. */
export function installManager(dest: string): string {
  const target = podPath(dest);
  mkdirSync(dirname(target), { recursive: true });
  // An init container runs again after a pod restart: replace what the last run left.
  rmSync(target, { force: true });
  symlinkSync(CNPG_BIN, target);
  return target;
}

export function registerBootstrapCommand(program: Command): void {
  program
    .command('bootstrap')
    .description('install the instance manager at DEST (the bootstrap-controller init container of instance pods)')
    .argument('<dest>', 'where the pod runs the manager from, e.g. /controller/manager')
    .action((dest: string) => {
      try {
        const target = installManager(dest);
        process.stdout.write(`installed the instance manager at ${target}\n`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        process.stderr.write(`error: cannot install the instance manager at ${dest}: ${code ?? String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
