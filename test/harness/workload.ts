// The harness's write workload: N clients, each inserting rows with unique ids through one address
// (the cluster's -rw service), stamping each row with the server's timeline (from the current WAL
// file's name, as upstream's failover test does), commit time and address, and recording every
// write's outcome. A client whose connection broke reconnects after a short pause, with short
// connect and query timeouts so a frozen or unreachable primary costs seconds, not minutes.
import pg from 'pg';
import type { Logger } from '../../src/log/logger.ts';
import type { Outcome, Stamp, StoredRow, WriteRecord } from './checker.ts';

export interface Credentials {
  user: string;
  password: string;
  database: string;
}

export interface WorkloadOptions {
  /** Tells this run's rows from earlier runs' in the shared table. */
  runId: number;
  host: string;
  port?: number;
  credentials: Credentials;
  clients?: number;
  /** Pause between a client's writes (keeps the load moderate on a 2-core CI machine). */
  pauseMs?: number;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  reconnectDelayMs?: number;
  log: Logger;
}

export const WRITES_TABLE = 'harness_writes';

const CREATE_TABLE =
  `CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} ` +
  '(run int NOT NULL, id int NOT NULL, client int NOT NULL, tl int NOT NULL, at_ms float8 NOT NULL, server text NOT NULL)';

// No unique constraint on (run, id): a duplicate must be stored to be seen.
const INSERT =
  `INSERT INTO ${WRITES_TABLE} VALUES ($1, $2, $3, ` +
  "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int, " +
  'extract(epoch from clock_timestamp()) * 1000, host(inet_server_addr())) RETURNING tl, at_ms, server';

/** Epoch milliseconds with sub-millisecond resolution. */
export const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StampRow {
  tl: number;
  at_ms: number;
  server: string;
}

/** A server ERROR aborted the statement: definitely not committed. Anything else may have committed. */
function outcomeOf(err: unknown): Outcome {
  return err instanceof pg.DatabaseError && err.severity === 'ERROR' ? 'failed' : 'unknown';
}

type ConnectOptions = Pick<WorkloadOptions, 'port' | 'credentials' | 'connectTimeoutMs' | 'queryTimeoutMs'>;

function connect(host: string, o: ConnectOptions): pg.Client {
  const client = new pg.Client({
    host,
    port: o.port ?? 5432,
    user: o.credentials.user,
    password: o.credentials.password,
    database: o.credentials.database,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 1_000,
    query_timeout: o.queryTimeoutMs ?? 2_000,
    keepAlive: true,
  });
  // A broken idle connection is noticed on the next query; the event must not crash the process.
  client.on('error', () => {});
  return client;
}

/** Drops a connection without waiting for a server that may be frozen or unreachable. */
function drop(client: pg.Client): void {
  client.connection.stream.destroy();
  client.end().catch(() => {});
}

export class Workload {
  readonly records: WriteRecord[] = [];
  connectErrors = 0;
  readonly #o: WorkloadOptions;
  #host: string;
  #nextId = 1;
  #running = false;
  #loops: Promise<void>[] = [];
  readonly #clients = new Set<pg.Client>();

  constructor(opts: WorkloadOptions) {
    this.#o = opts;
    this.#host = opts.host;
  }

  get host(): string {
    return this.#host;
  }

  start(): void {
    this.#running = true;
    this.#loops = Array.from({ length: this.#o.clients ?? 5 }, (_, i) => this.#loop(i + 1));
  }

  /** New connections go to `host`; the open ones are dropped (their in-flight writes end as unknown). */
  retarget(host: string): void {
    this.#host = host;
    for (const c of this.#clients) drop(c);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  acked(): WriteRecord[] {
    return this.records.filter((r) => r.outcome === 'ok');
  }

  async #loop(clientNo: number): Promise<void> {
    const o = this.#o;
    let client: pg.Client | undefined;
    while (this.#running) {
      if (client === undefined) {
        const c = connect(this.#host, o);
        try {
          await c.connect();
          this.#clients.add(c);
          client = c;
        } catch {
          this.connectErrors++;
          drop(c);
          await sleep(o.reconnectDelayMs ?? 100);
          continue;
        }
      }
      const id = this.#nextId++;
      const sentAt = now();
      try {
        const res = await client.query<StampRow>(INSERT, [o.runId, id, clientNo]);
        const row = res.rows[0];
        const stamp: Stamp | undefined =
          row === undefined ? undefined : { server: row.server, timeline: row.tl, at: row.at_ms };
        this.records.push({ id, client: clientNo, sentAt, doneAt: now(), outcome: 'ok', ...(stamp && { stamp }) });
      } catch (err) {
        const outcome = outcomeOf(err);
        this.records.push({ id, client: clientNo, sentAt, doneAt: now(), outcome, error: String(err) });
        if (outcome === 'unknown') {
          this.#clients.delete(client);
          drop(client);
          client = undefined;
          await sleep(o.reconnectDelayMs ?? 100);
          continue;
        }
      }
      await sleep(o.pauseMs ?? 20);
    }
    if (client !== undefined) {
      this.#clients.delete(client);
      drop(client);
    }
    o.log.debug({ client: clientNo }, 'workload client stopped');
  }
}

/** Runs `fn` on a short-lived connection to `host`. */
export async function withConnection<T>(
  host: string,
  credentials: Credentials,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = connect(host, { credentials, connectTimeoutMs: 5_000, queryTimeoutMs: 30_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    drop(c);
  }
}

export async function createWritesTable(host: string, credentials: Credentials): Promise<void> {
  await withConnection(host, credentials, (c) => c.query(CREATE_TABLE));
}

/** True once the table exists on the instance at `host` (a replica has replayed its creation). */
export async function hasWritesTable(host: string, credentials: Credentials): Promise<boolean> {
  const res = await withConnection(host, credentials, (c) =>
    c.query<{ ok: boolean }>(`SELECT to_regclass('${WRITES_TABLE}') IS NOT NULL AS ok`),
  );
  return res.rows[0]?.ok === true;
}

/** Every row of run `runId` the instance at `host` holds. */
export async function readStored(host: string, credentials: Credentials, runId: number): Promise<StoredRow[]> {
  const res = await withConnection(host, credentials, (c) =>
    c.query<StampRow & { id: number }>(`SELECT id, tl, at_ms, server FROM ${WRITES_TABLE} WHERE run = $1`, [runId]),
  );
  return res.rows.map((r) => ({ id: r.id, stamp: { server: r.server, timeline: r.tl, at: r.at_ms } }));
}
