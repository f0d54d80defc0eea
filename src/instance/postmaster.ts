// The postmaster as a child process of the manager, run as the pod user, in the manager's process
// group (so whoever kills the pod's group kills PostgreSQL too). Stopping is by signal, as pg_ctl
// does it: SIGTERM smart, SIGINT fast, SIGQUIT immediate.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { toolEnvironment } from '../postgres/tool-runner.ts';
import type { InstanceContext } from './context.ts';
import { pipeLines } from './log-pipe.ts';

export type ShutdownMode = 'smart' | 'fast' | 'immediate';
const SIGNAL_OF: Record<ShutdownMode, NodeJS.Signals> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };

export interface PostmasterExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Postmaster {
  readonly pgdata: string;
  readonly pid: number;
  readonly exited: Promise<PostmasterExit>;
  private child: ChildProcess;
  private exitInfo: PostmasterExit | undefined;

  private constructor(pgdata: string, child: ChildProcess, log: Logger) {
    this.pgdata = pgdata;
    this.child = child;
    this.pid = child.pid ?? -1;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      child.on('error', (err) => {
        log.error({ err: err.message }, 'cannot start postgres');
        this.exitInfo = { code: -1, signal: null };
        resolve(this.exitInfo);
      });
    });
    if (child.stdout !== null) pipeLines(child.stdout, log, { logger: 'postgres', pipe: 'stdout' });
    if (child.stderr !== null) pipeLines(child.stderr, log, { logger: 'postgres', pipe: 'stderr' });
  }

  /** Starts `postgres -D pgdata`, with `settings` as -c options (they win over the files). */
  static start(ctx: InstanceContext, pgdata: string, settings: Readonly<Record<string, string>> = {}): Postmaster {
    const args = ['-D', pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(join(ctx.binDir, 'postgres'), args, {
      env: toolEnvironment(undefined, ctx.podUser),
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(ctx.podUser === undefined ? {} : { uid: ctx.podUser.uid, gid: ctx.podUser.gid }),
    });
    const pm = new Postmaster(pgdata, child, ctx.log);
    ctx.log.info({ pid: pm.pid, pgdata }, 'postmaster started');
    return pm;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  requestShutdown(mode: ShutdownMode): void {
    if (this.alive) this.child.kill(SIGNAL_OF[mode]);
  }

  sendSignal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** True when the postmaster exited within `ms`. */
  async waitForExit(ms: number): Promise<boolean> {
    if (!this.alive) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, ms));
    });
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    if (timer !== undefined) clearTimeout(timer);
    return done;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until PostgreSQL accepts connections; fails early when the postmaster dies. */
export async function waitUntilAccepting(ctx: InstanceContext, pm: Postmaster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pm.alive) {
      const info = await pm.exited;
      throw new Error(`postgres exited during startup (code ${info.code}, signal ${info.signal})`);
    }
    if (await ctx.sql.isReady(1)) return;
    await sleep(200);
  }
  throw new Error(`postgres did not accept connections within ${Math.round(timeoutMs / 1000)}s`);
}
