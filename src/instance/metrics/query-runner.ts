// Runs the monitoring queries on the local instance, as upstream's exporter does: through the Unix
// socket as the superuser, each query in a read-only transaction that first drops to the
// `pg_monitor` role, with application_name cnpg_metrics_exporter. A query's metrics are kept for
// its cache_seconds, else for the cluster's metricsQueriesTTL, so scrapes between two runs cost
// PostgreSQL nothing. A failing query costs its own metrics only, never the scrape.
import type pg from 'pg';
import { connectLocalSession } from '../../postgres/local-session.ts';
import type { Logger } from '../../log/logger.ts';
import type { UserQuery } from './query-file.ts';
import { buildMetrics, type ColumnKind, type MetricFamily, type ResultSet } from './query-metrics.ts';
import { versionInRange } from './version-range.ts';

const EXPORTER_APPLICATION_NAME = 'cnpg_metrics_exporter';
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000;

const BOOL_OID = 16;
const TIMESTAMP_OIDS = new Set([1082, 1114, 1184]);

export interface QueryError {
  /** The query's name: the `collector` label of cnpg_collector_collection_errors_total. */
  collector: string;
  message: string;
}

interface QueryRunResult {
  families: MetricFamily[];
  errors: QueryError[];
}

interface LocalTarget {
  socketDir: string;
  port: number;
}

/** A connection to one database of the local instance; values come back as PostgreSQL's text. */
export async function connectLocal(target: LocalTarget, database: string): Promise<pg.Client> {
  return connectLocalSession({
    socketDir: target.socketDir,
    port: target.port,
    database,
    applicationName: EXPORTER_APPLICATION_NAME,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  });
}

const kindOf = (oid: number): ColumnKind =>
  oid === BOOL_OID ? 'bool' : TIMESTAMP_OIDS.has(oid) ? 'timestamp' : 'other';

async function select(client: pg.Client, text: string): Promise<ResultSet> {
  const raw = (await client.query({ text, rowMode: 'array' })) as pg.QueryArrayResult | pg.QueryArrayResult[];
  // A query text with several statements answers with one result each: the last one counts.
  const result = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (result === undefined) return { columns: [], rows: [] };
  return {
    columns: (result.fields ?? []).map((f) => ({ name: f.name, kind: kindOf(f.dataTypeID) })),
    rows: result.rows as (string | null)[][],
  };
}

/** Runs `body` in upstream's monitoring transaction: read only, as pg_monitor. */
async function monitoringTransaction<T>(client: pg.Client, body: () => Promise<T>): Promise<T> {
  await client.query('BEGIN TRANSACTION READ ONLY');
  try {
    await client.query('SET LOCAL ROLE pg_monitor');
    const result = await body();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** upstream's test for a target that is a pattern rather than a name. */
const isPattern = (target: string) => /[[\]*?]/.test(target);

/** A shell-style pattern (`*`, `?`, `[...]`) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      source += `[${body.replace(/^!/, '^')}]`;
      i = end;
    } else source += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The databases `targets` name, patterns expanded against `accessible` (in target order, once each). */
export function expandTargets(targets: string[], accessible: string[]): string[] {
  const out: string[] = [];
  for (const target of targets) {
    const pattern = isPattern(target) ? globToRegExp(target) : undefined;
    const matches = pattern === undefined ? [target] : accessible.filter((db) => pattern.test(db));
    for (const db of matches) if (!out.includes(db)) out.push(db);
  }
  return out;
}

interface CachedRun {
  at: number;
  primary: boolean;
  families: MetricFamily[];
}

export interface RunOptions {
  queries: UserQuery[];
  isPrimary: boolean;
  /** PostgreSQL's version as a semantic version (runonserver). */
  version: [number, number, number];
  /** Where queries without target_databases run (the application database). */
  defaultDatabase: string;
  /** metricsQueriesTTL in seconds; 0 runs every query at every scrape. */
  ttlSeconds: number;
}

export class QueryRunner {
  readonly #target: LocalTarget;
  readonly #log: Logger;
  #cache = new Map<string, CachedRun>();
  #signature = '';

  constructor(target: LocalTarget, log: Logger) {
    this.#target = target;
    this.#log = log;
  }

  #fresh(query: UserQuery, opts: RunOptions, now: number): MetricFamily[] | undefined {
    const cached = this.#cache.get(query.key);
    const ttl = (query.cacheSeconds ?? opts.ttlSeconds) * 1000;
    return cached !== undefined && cached.primary === opts.isPrimary && now - cached.at < ttl
      ? cached.families
      : undefined;
  }

  async run(opts: RunOptions): Promise<QueryRunResult> {
    const signature = JSON.stringify(opts.queries);
    if (signature !== this.#signature) {
      // Other queries, other metrics: nothing cached for the old set still applies.
      this.#cache.clear();
      this.#signature = signature;
    }
    const errors: QueryError[] = [];
    const collected: MetricFamily[][] = [];
    const clients = new Map<string, Promise<pg.Client>>();
    const client = (database: string) => {
      let c = clients.get(database);
      if (c === undefined) {
        c = connectLocal(this.#target, database);
        clients.set(database, c);
      }
      return c;
    };
    let accessible: Promise<string[]> | undefined;
    const accessibleDatabases = () => {
      accessible ??= client(opts.defaultDatabase).then((c) =>
        monitoringTransaction(c, () =>
          select(
            c,
            'SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ' +
              "AND pg_catalog.has_database_privilege(datname, 'CONNECT') ORDER BY datname",
          ),
        ).then((r) => r.rows.map((row) => row[0] ?? '')),
      );
      return accessible;
    };
    const now = Date.now();
    try {
      for (const query of opts.queries) {
        if (query.primaryOnly && !opts.isPrimary) continue;
        if (query.runOnServer !== undefined && !versionInRange(query.runOnServer, opts.version)) continue;
        const cached = this.#fresh(query, opts, now);
        if (cached !== undefined) {
          collected.push(cached);
          continue;
        }
        const families: MetricFamily[] = [];
        const fail = (what: string, err: unknown) => {
          const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
          errors.push({ collector: query.key, message }); // logged by the exporter, rate-limited
        };
        let databases: string[];
        try {
          const targets = query.targetDatabases ?? [opts.defaultDatabase];
          databases = expandTargets(targets, targets.some(isPattern) ? await accessibleDatabases() : []);
        } catch (err) {
          fail('cannot list the databases to run on', err);
          continue;
        }
        for (const database of databases) {
          try {
            const c = await client(database);
            const result = await monitoringTransaction(c, async () => {
              if (query.predicateQuery !== undefined) {
                const predicate = await select(c, query.predicateQuery);
                // Upstream's rule: the first column of the first row, a true boolean, lets the query run.
                const first = predicate.rows[0]?.[0];
                if (predicate.columns[0]?.kind !== 'bool' || first !== 't') return undefined;
              }
              return select(c, query.query);
            });
            if (result === undefined) continue;
            const built = buildMetrics(query, result);
            for (const w of built.warnings) this.#log.debug({ query: query.key, database }, w);
            families.push(...built.families);
          } catch (err) {
            fail(`on database ${database}`, err);
          }
        }
        this.#cache.set(query.key, { at: now, primary: opts.isPrimary, families });
        collected.push(families);
      }
    } finally {
      for (const c of clients.values()) void c.then((x) => x.end()).catch(() => undefined);
    }
    return { families: mergeFamilies(collected.flat(), errors), errors };
  }
}

/**
 * One family per metric name: the same query run on several databases adds samples to the same
 * metrics. A name reused with another type, or a label set seen twice, would make the whole
 * exposition invalid for Prometheus, so the later one is dropped and reported.
 */
export function mergeFamilies(families: MetricFamily[], errors: QueryError[]): MetricFamily[] {
  const byName = new Map<string, { family: MetricFamily; seen: Set<string> }>();
  for (const f of families) {
    let entry = byName.get(f.name);
    if (entry === undefined) {
      entry = { family: { ...f, samples: [] }, seen: new Set() };
      byName.set(f.name, entry);
    } else if (entry.family.type !== f.type) {
      errors.push({ collector: f.name, message: `metric ${f.name} is both a ${entry.family.type} and a ${f.type}` });
      continue;
    }
    for (const s of f.samples) {
      const key = JSON.stringify(Object.entries(s.labels).sort());
      if (entry.seen.has(key)) continue;
      entry.seen.add(key);
      entry.family.samples.push(s);
    }
  }
  return [...byName.values()].map((e) => e.family);
}
