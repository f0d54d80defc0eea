// A driver session (node-postgres) on the local instance as the `postgres` superuser, through the
// Unix socket with peer authentication, for work that needs one session for a while (a base
// backup's pg_backup_start ... pg_backup_stop) or many queries (the metrics exporter); psql
// (local-sql.ts) runs the instance manager's one-off statements. Values come back as
// PostgreSQL's text, unparsed.
import pg from 'pg';

export interface LocalSessionOptions {
  socketDir: string;
  port: number;
  database: string;
  /** What pg_stat_activity shows, so monitoring recognises the session. */
  applicationName: string;
  connectTimeoutMs: number;
  /** Server-side statement_timeout for the session; unset keeps the server's. */
  statementTimeoutMs?: number;
  /** TCP-style keepalive on the socket, for a session that stays idle long (a backup's copy). */
  keepAlive?: boolean;
}

/** Connects; a failure ends the half-made client and throws the driver's error. */
export async function connectLocalSession(opts: LocalSessionOptions): Promise<pg.Client> {
  const client = new pg.Client({
    host: opts.socketDir,
    port: opts.port,
    user: 'postgres',
    database: opts.database,
    application_name: opts.applicationName,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    ...(opts.statementTimeoutMs === undefined ? {} : { statement_timeout: opts.statementTimeoutMs }),
    ...(opts.keepAlive === undefined ? {} : { keepAlive: opts.keepAlive }),
    types: { getTypeParser: () => (value: string) => value },
  });
  // A session that breaks fails the query in flight (or the next one): it must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}
