// Fixtures for the instance manager's end-to-end tests: a sandbox directory per suite, Cluster
// and Secret files as a pod would see them, `cnpg instance ...` processes in their own process
// groups (killed with their PostgreSQL on cleanup), and HTTP/SQL helpers with timeouts.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolvePgBinDir } from '../../src/postgres/binaries.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';
import { CNPG_BIN } from '../support/samples.ts';

export const PG_BIN = resolvePgBinDir();
export const POD_USER = podProcessUser();

export interface LogLine {
  msg: string;
  time: string;
  stage?: string;
  [key: string]: unknown;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`, or 'timeout' after `ms` (the timer is cleared, so it never holds the process). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(150);
  }
}

export interface Sandbox {
  root: string;
  dispose(): Promise<void>;
  track(p: ManagerProcess): void;
}

export function makeSandbox(name: string): Sandbox {
  const root = mkdtempSync(`/tmp/cnpg-${name}-`);
  chmodSync(root, 0o755);
  const processes: ManagerProcess[] = [];
  return {
    root,
    track: (p) => processes.push(p),
    async dispose() {
      for (const p of processes) await p.kill();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface InstanceLayout {
  name: string;
  address: string;
  pgdata: string;
  scratch: string;
  socketDir: string;
}

export function layout(sandbox: Sandbox, name: string, address: string): InstanceLayout {
  const scratch = join(sandbox.root, `${name}-scratch`);
  return {
    name,
    address,
    pgdata: join(sandbox.root, `${name}-data`, 'pgdata'),
    scratch,
    socketDir: join(scratch, 'run'),
  };
}

export function writeClusterFile(path: string, cluster: Record<string, unknown>): void {
  writeFileSync(path, stringify(cluster));
}

/** A mounted Secret/ConfigMap: one file per key. */
export function writeMountedObject(dir: string, data: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [key, value] of Object.entries(data)) writeFileSync(join(dir, key), value);
}

export function instanceArgs(l: InstanceLayout, clusterFile: string, extra: string[] = []): string[] {
  return [
    '--pgdata',
    l.pgdata,
    '--pod-name',
    l.name,
    '--cluster-file',
    clusterFile,
    '--scratch-dir',
    l.scratch,
    '--listen-address',
    l.address,
    ...extra,
  ];
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a short `cnpg` command to completion. */
export function cnpgSync(args: string[], timeoutMs = 120_000): CliResult {
  const r = spawnSync(CNPG_BIN, args, { encoding: 'utf8', timeout: timeoutMs, env: cleanEnv() });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['PGDATA', 'POD_NAME', 'CLUSTER_NAME', 'NAMESPACE', 'PGPORT', 'PGHOST']) delete env[key];
  return env;
}

/** A long-running `cnpg instance run` (or any cnpg command) whose JSON log lines we keep. */
export class ManagerProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(args: string[]) {
    this.child = spawn(CNPG_BIN, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let pending = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part) as LogLine);
        } catch {
          this.lines.push({ msg: part, time: '' });
        }
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  managerLines(): LogLine[] {
    return this.lines.filter((l) => l.logger !== 'postgres');
  }

  waitForLog(what: string, pred: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    return waitFor(what, () => this.lines.find(pred), timeoutMs);
  }

  /** SIGKILL to the whole process group: the manager and its PostgreSQL. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Group already gone.
      }
      return;
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await within(this.exited, 5000);
  }
}

export interface HttpResult {
  status: number;
  body: string;
}

export async function http(
  address: string,
  path: string,
  method = 'GET',
  body?: unknown,
  port = 8000,
): Promise<HttpResult> {
  const response = await fetch(`http://${address}:${port}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, body: await response.text() };
}

export async function httpJson<T>(address: string, path: string, method = 'GET', body?: unknown): Promise<T> {
  const r = await http(address, path, method, body);
  if (r.status !== 200) throw new Error(`${method} ${path} on ${address}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

/** psql as the `postgres` superuser through a socket directory and port (peer authentication). */
export function psqlAt(
  socketDir: string,
  port: number,
  sql: string,
  opts: { database?: string; timeoutMs?: number } = {},
): string {
  const r = spawnSync(
    join(PG_BIN, 'psql'),
    [
      '-X',
      '-A',
      '-t',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      socketDir,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      opts.database ?? 'postgres',
      '-c',
      sql,
    ],
    {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 20_000,
      cwd: '/',
      ...(POD_USER ? { uid: POD_USER.uid, gid: POD_USER.gid } : {}),
    },
  );
  if (r.status !== 0) throw new Error(`psql on ${socketDir} port ${port}: ${r.stderr.trim() || r.error?.message}`);
  return r.stdout.trim();
}

/** psql as the `postgres` superuser through the instance's socket. */
export function psqlSocket(l: InstanceLayout, sql: string, database = 'postgres'): string {
  return psqlAt(l.socketDir, 5432, sql, { database });
}

/** psql over TCP with a password, as an application would connect. */
export function psqlTcp(address: string, user: string, password: string, database: string, sql: string): CliResult {
  const r = spawnSync(
    join(PG_BIN, 'psql'),
    ['-X', '-A', '-t', '-q', '-h', address, '-p', '5432', '-U', user, '-d', database, '-c', sql],
    { encoding: 'utf8', timeout: 20_000, env: { ...cleanEnv(), PGPASSWORD: password, PGSSLMODE: 'disable' } },
  );
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/** The postmaster's PID, from postmaster.pid. */
export function postmasterPid(l: InstanceLayout): number {
  const r = spawnSync('head', ['-1', join(l.pgdata, 'postmaster.pid')], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A small Cluster for tests: tiny memory, short timeouts. */
export function testCluster(
  extra: { spec?: Record<string, unknown>; status?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const spec = extra.spec ?? {};
  const postgresql = (spec.postgresql as Record<string, unknown> | undefined) ?? {};
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg', namespace: 'default' },
    spec: {
      instances: 2,
      storage: { size: '1Gi' },
      smartShutdownTimeout: 3,
      stopDelay: 10,
      switchoverDelay: 10,
      ...spec,
      postgresql: {
        ...postgresql,
        parameters: { shared_buffers: '16MB', max_connections: '30', ...(postgresql.parameters as object | undefined) },
      },
    },
    ...(extra.status === undefined ? {} : { status: extra.status }),
  };
}
