// The runtime as one background process per data directory (`cnpg local daemon`): started by
// `cnpg local up`, found again through its state file, stopped by `cnpg local down`.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POD_USER, resolveOsUser, runningAsRoot, untraversableAncestors } from '../postgres/os-user.ts';
import { CNPG_BIN } from './node/image-map.ts';
import { processAlive } from './process-alive.ts';

/** Written by the daemon once every component is up; removed when it stops. */
export const STATE_FILE = 'runtime.json';
/** The daemon's own output (logs of every component). */
export const LOG_FILE = 'runtime.log';

export interface DaemonState {
  pid: number;
  url: string;
  kubeconfig: string;
}

/**
 * The default data directory: `$XDG_DATA_HOME/cnpg-local` or `~/.local/share/cnpg-local`, and
 * `/var/lib/cnpg-local` for root, whose home is closed to the pod user.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (runningAsRoot()) return '/var/lib/cnpg-local';
  const xdg = env.XDG_DATA_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share'), 'cnpg-local');
}

/** When root, the pod user must be able to reach the data directory: returns the problem, if any. */
export function dataDirProblem(dataDir: string): string | undefined {
  if (!runningAsRoot()) return undefined;
  const user = resolveOsUser(DEFAULT_POD_USER);
  let existing = dataDir;
  while (!existsSync(existing)) existing = join(existing, '..');
  const blocked = untraversableAncestors(join(existing, 'x'), user);
  if (blocked.length === 0) return undefined;
  return (
    `the data directory ${dataDir} is not reachable by the pod user "${user.name}": ` +
    `${blocked.join(', ')} ${blocked.length === 1 ? 'is' : 'are'} not traversable by it ` +
    `(choose another --data-dir, or chmod o+x ${blocked[0]})`
  );
}

/** The running daemon of a data directory, if there is one. */
export function runningDaemon(dataDir: string): DaemonState | undefined {
  const path = join(dataDir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as DaemonState;
    if (Number.isInteger(state.pid) && processAlive(state.pid)) return state;
  } catch {
    // A torn or stale file: no daemon.
  }
  return undefined;
}

export function writeDaemonState(dataDir: string, state: DaemonState): void {
  writeFileSync(join(dataDir, STATE_FILE), `${JSON.stringify(state)}\n`);
}

export function removeDaemonState(dataDir: string): void {
  rmSync(join(dataDir, STATE_FILE), { force: true });
}

/** Starts `cnpg local daemon` in the background and waits until it is up (or says why not). */
export async function startDaemon(dataDir: string, timeoutMs = 60_000): Promise<DaemonState> {
  const logPath = join(dataDir, LOG_FILE);
  const log = openSync(logPath, 'a');
  const child = spawn(CNPG_BIN, ['local', 'daemon', '--data-dir', dataDir], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = runningDaemon(dataDir);
    if (state !== undefined && state.pid === child.pid) return state;
    if (exited !== undefined) {
      throw new Error(`the local runtime exited (code ${exited}) while starting: ${lastError(logPath)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  throw new Error(`the local runtime did not start within ${timeoutMs / 1000} s (see ${logPath})`);
}

/** The last error line of the daemon's log, for a one-line message. */
function lastError(logPath: string): string {
  const lines = readFileSync(logPath, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; err?: { message?: string } };
      if (entry.level === 'error' || entry.level === 'fatal') return entry.err?.message ?? entry.msg ?? line;
    } catch {
      if (line.trim() !== '') return line.trim();
    }
  }
  return `see ${logPath}`;
}

/** Stops the daemon (it stops its pods with their grace periods); SIGKILL after `timeoutMs`. */
export async function stopDaemon(state: DaemonState, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch {
    return true;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(state.pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(state.pid, 'SIGKILL');
  return false;
}
