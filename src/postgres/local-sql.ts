// SQL on the local instance as the `postgres` superuser, through psql over the Unix socket with
// peer authentication (pg_ident maps the pod user to `postgres`), as upstream's instance manager
// connects through /controller/run. Each call is one psql session; SQL travels on stdin.
import { join } from 'node:path';
import type { OsUser } from './os-user.ts';
import { lastWords, runTool, ToolError } from './tool-runner.ts';

export interface LocalSqlTarget {
  binDir: string;
  socketDir: string;
  port: number;
  /** The OS user psql runs as (the pod user when we are root). */
  user?: OsUser;
}

export interface SqlOptions {
  database?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class LocalSql {
  readonly target: LocalSqlTarget;

  constructor(target: LocalSqlTarget) {
    this.target = target;
  }

  private args(database: string): string[] {
    const { socketDir, port } = this.target;
    return [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      socketDir,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      database,
    ];
  }

  /** Runs a script (several statements allowed, each in its own implicit transaction). */
  async exec(script: string, opts: SqlOptions = {}): Promise<string> {
    const database = opts.database ?? 'postgres';
    const run = await runTool(join(this.target.binDir, 'psql'), [...this.args(database), '-f', '-'], {
      user: this.target.user,
      input: script,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // The manager's own commits never wait for synchronous standbys (as upstream's maintenance
      // transactions): bootstrap and role setup happen before any standby can confirm them.
      env: { PGAPPNAME: 'cnpg-instance-manager', PGCONNECT_TIMEOUT: '5', PGOPTIONS: '-c synchronous_commit=local' },
    });
    if (run.code !== 0) throw new ToolError(`SQL on database "${database}" failed: ${lastWords(run)}`, run);
    return run.stdout;
  }

  /** The rows of one SELECT, as JSON objects (column names as keys). */
  async query<T = Record<string, unknown>>(select: string, opts: SqlOptions = {}): Promise<T[]> {
    const out = await this.exec(`SELECT coalesce(json_agg(q), '[]'::json) FROM (${select}) AS q;`, opts);
    return JSON.parse(out.trim()) as T[];
  }

  /** pg_isready: the server accepts connections (not starting, not shutting down, not in crash recovery). */
  async isReady(timeoutSeconds = 2): Promise<boolean> {
    const { socketDir, port, binDir, user } = this.target;
    const run = await runTool(
      join(binDir, 'pg_isready'),
      ['-q', '-h', socketDir, '-p', String(port), '-d', 'postgres', '-t', String(timeoutSeconds)],
      { user, timeoutMs: (timeoutSeconds + 3) * 1000 },
    );
    return run.code === 0;
  }

  /** The first row of a SELECT; throws when there is none. */
  async queryOne<T = Record<string, unknown>>(select: string, opts: SqlOptions = {}): Promise<T> {
    const [row] = await this.query<T>(select, opts);
    if (row === undefined) throw new Error(`query returned no row: ${select}`);
    return row;
  }
}
