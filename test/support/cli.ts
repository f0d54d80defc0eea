// Runs `cnpg` commands: in-process through the same function the binary calls (fast enough for
// thousands of runs), or as the real executable.
import { spawnSync } from 'node:child_process';
import { type CliIO, runValidate, type ValidateOptions } from '../../src/cli/validate.ts';
import { CNPG_BIN } from './samples.ts';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

export function validateInProcess(opts: ValidateOptions, stdin = ''): CliRun {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: () => stdin };
  const status = runValidate(opts, io);
  return { status, stdout: out.join('\n'), stderr: err.join('\n') };
}

export function cnpg(args: string[], stdin?: string): CliRun {
  const r = spawnSync(CNPG_BIN, args, { input: stdin ?? '', encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
