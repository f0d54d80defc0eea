// Runs PostgreSQL's command-line tools (initdb, pg_basebackup, pg_rewind, psql...) as the pod user,
// with a time limit, and turns a failure into an error naming the tool and its last words.
import { spawn } from 'node:child_process';
import type { OsUser } from './os-user.ts';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  /** Run as this user (we are root); undefined runs as ourselves. */
  user?: OsUser;
  env?: Record<string, string>;
  /** Written to the tool's stdin, then closed (secrets go here, never on the command line). */
  input?: string;
  timeoutMs?: number;
  cwd?: string;
}

export class ToolError extends Error {
  override readonly name = 'ToolError';
  readonly run: ToolRun;
  constructor(message: string, run: ToolRun) {
    super(message);
    this.run = run;
  }
}

/** The environment a tool runs with: ours, minus libpq settings that would redirect it, plus `extra`. */
export function toolEnvironment(
  extra: Record<string, string> | undefined,
  user: OsUser | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG')) env[key] = value;
  }
  env.LC_ALL = env.LC_ALL ?? 'C.UTF-8';
  if (user !== undefined) {
    env.HOME = '/tmp';
    env.USER = user.name;
    env.LOGNAME = user.name;
  }
  return { ...env, ...extra };
}

/** Runs `command args`, resolving with its output whatever the exit status. */
export function runTool(command: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: toolEnvironment(opts.env, opts.user),
      cwd: opts.cwd ?? '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.user === undefined ? {} : { uid: opts.user.uid, gid: opts.user.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n(killed after ${opts.timeoutMs} ms)`;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (err) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
    child.stdin.on('error', () => {
      // The tool may exit before reading its input; its exit status tells what happened.
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Lines that only follow an error (`initdb: hint: Try "initdb --help"...`, `DETAIL: ...`): the
 * error itself is the line before, e.g. getopt's `unrecognized option`, which has no `error:`.
 */
const AFTERWORD = /^(\S+: )?(hint|detail|HINT|DETAIL): |^Try ".+ --help" for more information/;

/** What a tool said went wrong: its first error line, else its last line that is not a hint. */
export function lastWords(run: ToolRun): string {
  const lines = `${run.stderr}\n${run.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errorLine = lines.find((l) => /\b(ERROR|FATAL|PANIC|error):/.test(l));
  return errorLine ?? lines.findLast((l) => !AFTERWORD.test(l)) ?? lines.at(-1) ?? `exit status ${run.code}`;
}

/** Runs a tool and throws a ToolError (`<what>: <tool's last words>`) when it fails. */
export async function runToolChecked(
  what: string,
  command: string,
  args: readonly string[],
  opts: ToolOptions = {},
): Promise<ToolRun> {
  const run = await runTool(command, args, opts);
  if (run.code !== 0) throw new ToolError(`${what}: ${lastWords(run)}`, run);
  return run;
}
