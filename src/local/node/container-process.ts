// One run of one container: a local process in its own process group, standing for the
// container's PID namespace. As with a container runtime, SIGTERM goes to the main process only
// (it shuts its children down itself), SIGKILL after the grace period goes to the whole group,
// and when the main process ends whatever it left behind is killed. Output is appended to the
// pod's log file for that container.
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { OsUser } from '../../postgres/os-user.ts';

export interface ProcessSpec {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** The user to run as (undefined: as ourselves). */
  user: OsUser | undefined;
  /** File that receives stdout and stderr (appended). */
  logFile: string;
  /** File that holds the process-group id while it runs, so a runtime restart can still reap it. */
  pidFile: string;
}

export interface ProcessExit {
  /** The exit code, or 128 + signal number when killed by a signal (as container runtimes report). */
  exitCode: number;
  signal: NodeJS.Signals | null;
  startedAt: Date;
  finishedAt: Date;
  /** Set when the process could not start at all (missing executable...). */
  startError?: string;
}

/** A started container process. */
export class ContainerProcess {
  readonly startedAt = new Date();
  readonly pid: number | undefined;
  /** Resolves once the process is gone (never rejects). */
  readonly exited: Promise<ProcessExit>;
  #done = false;

  constructor(spec: ProcessSpec) {
    const [exe, ...args] = spec.command;
    const log = openSync(spec.logFile, 'a', 0o640);
    let resolveExit: (e: ProcessExit) => void = () => {};
    this.exited = new Promise((r) => {
      resolveExit = r;
    });
    const child = spawn(exe ?? '', args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', log, log],
      detached: true,
      ...(spec.user === undefined ? {} : { uid: spec.user.uid, gid: spec.user.gid }),
    });
    closeSync(log);
    this.pid = child.pid;
    if (child.pid !== undefined) writeFileSync(spec.pidFile, `${child.pid}\n`);
    const finish = (e: ProcessExit): void => {
      if (this.#done) return;
      this.#done = true;
      rmSync(spec.pidFile, { force: true });
      resolveExit(e);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? `executable file not found: ${exe}` : err.message;
      finish({ exitCode: 128, signal: null, startedAt: this.startedAt, finishedAt: new Date(), startError: reason });
    });
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      const exitCode = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
      finish({ exitCode, signal, startedAt: this.startedAt, finishedAt: new Date() });
    });
  }

  get running(): boolean {
    return !this.#done;
  }

  /** SIGTERM to the main process, then SIGKILL to the group after `graceMs`; resolves when it is gone. */
  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.pid !== undefined && !this.#done) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    const pid = this.pid;
    const timer = setTimeout(
      () => {
        if (pid !== undefined && !this.#done) signalGroup(pid, 'SIGKILL');
      },
      Math.max(0, graceMs),
    );
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Signals a process group, ignoring a group that is already gone. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
