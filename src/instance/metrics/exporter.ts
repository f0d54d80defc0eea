// The instance's Prometheus exporter (upstream's metrics server on 9187): the built-in
// `cnpg_collector_*` metrics about the instance and the collection itself, the monitoring queries'
// metrics, and the manager process's own (prom-client's process_* and nodejs_*, where upstream
// exports go_*). Each scrape collects afresh (concurrent scrapes share one collection); the queries
// keep their results for metricsQueriesTTL. Nothing that fails here fails the scrape: it shows up as
// cnpg_collector_collection_errors_total{collector} and cnpg_collector_last_collection_error.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { PHASES } from '../../api/v1/cluster-phases.ts';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { isReplicaCluster } from '../../api/v1/cluster-validation-postgres.ts';
import { parseGoDuration } from '../../api/v1/cluster-validation-pods.ts';
import { parseQuantity } from '../../api/v1/quantity.ts';
import type { InstanceContext } from '../context.ts';
import { errorMessage } from '../errors.ts';
import { archiveStatusCounts } from '../wal-files.ts';
import type { Phase } from '../instance-manager.ts';
import { renderFamilies } from './exposition.ts';
import { METRIC_PREFIX } from './query-metrics.ts';
import { connectLocal, type QueryError, QueryRunner } from './query-runner.ts';
import { QuerySources } from './query-sources.ts';
import { postgresSemver } from './version-range.ts';

const DEFAULT_TTL_SECONDS = 30;
/** How often a query that keeps failing with the same error is logged again. */
const QUERY_ERROR_LOG_MS = 10 * 60_000;
/** What upstream calls the query collector in collection_duration_seconds (`Collect.cnpg`). */
const QUERIES_COLLECTOR = `Collect.${METRIC_PREFIX}`;
const WAL_FILE = /^[0-9A-F]{24}/;
const SYNC_STANDBY_NAMES = /^\s*(ANY|FIRST)\s+(\d+)\s*\(/i;

/** metricsQueriesTTL in seconds: unset means 30 s, 0 turns the cache off. */
export function queriesTtlSeconds(cluster: Cluster): number {
  const ttl = cluster.spec.monitoring?.metricsQueriesTTL;
  if (ttl === undefined || ttl === '') return DEFAULT_TTL_SECONDS;
  const ns = parseGoDuration(ttl);
  return ns === undefined || ns < 0 ? DEFAULT_TTL_SECONDS : ns / 1e9;
}

/** The database queries without target_databases run on: the application database, as upstream. */
export function applicationDatabase(cluster: Cluster): string {
  const b = cluster.spec.bootstrap;
  return b?.initdb?.database || b?.recovery?.database || b?.pg_basebackup?.database || 'postgres';
}

/**
 * The number of synchronous standbys `synchronous_standby_names` asks for: 0 when empty, N of
 * `ANY|FIRST N (...)`; undefined for any other form (upstream counts it as a collection error).
 */
export function observedSyncReplicas(setting: string): number | undefined {
  if (setting.trim() === '') return 0;
  const m = SYNC_STANDBY_NAMES.exec(setting);
  return m === null ? undefined : Number(m[2]);
}

const UNIT_BYTES: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** A pg_settings value in bytes, from its unit (`B`, `kB`, `8kB`, `MB`, ...). */
export function settingBytes(setting: string, unit: string | null): number {
  const value = Number(setting);
  if (unit === null || unit === '') return value;
  const m = /^(\d*)(B|kB|MB|GB|TB)$/.exec(unit);
  if (m === null) return Number.NaN;
  return value * Number(m[1] || 1) * (UNIT_BYTES[m[2] ?? ''] ?? Number.NaN);
}

interface InstanceRow {
  is_primary: string;
  sync_names: string;
  wal_settings: string;
}

interface WalSetting {
  setting: string;
  unit: string | null;
}

const INSTANCE_QUERY = `
SELECT NOT pg_catalog.pg_is_in_recovery() AS is_primary,
  pg_catalog.current_setting('synchronous_standby_names') AS sync_names,
  (SELECT pg_catalog.json_object_agg(name, pg_catalog.json_build_object('setting', setting, 'unit', unit))
     FROM pg_catalog.pg_settings
    WHERE name IN ('wal_segment_size', 'min_wal_size', 'max_wal_size', 'wal_keep_size',
                   'max_slot_wal_keep_size')) AS wal_settings`;

/** pg_stat_wal as JSON: its columns differ between majors (write/sync went away in 18). */
const STAT_WAL_QUERY = 'SELECT pg_catalog.to_jsonb(w)::text AS stat FROM pg_catalog.pg_stat_wal w';

const STAT_WAL_COLUMNS = [
  ['wal_records', 'WAL records generated'],
  ['wal_fpi', 'WAL full page images generated'],
  ['wal_bytes', 'Bytes of WAL generated'],
  ['wal_buffers_full', 'Times WAL was written because the WAL buffers were full'],
  ['wal_write', 'Times WAL buffers were written out to disk (PostgreSQL 14 to 17)'],
  ['wal_sync', 'Times WAL files were synced to disk (PostgreSQL 14 to 17)'],
  ['wal_write_time', 'Milliseconds spent writing WAL buffers to disk (PostgreSQL 14 to 17)'],
  ['wal_sync_time', 'Milliseconds spent syncing WAL files to disk (PostgreSQL 14 to 17)'],
] as const;

interface ExporterDeps {
  ctx: InstanceContext;
  /** What the manager is doing (fenced instances are not queried, as upstream). */
  phase: () => Phase;
  /** Reads the custom-query ConfigMaps and Secrets; undefined: the mounted files. */
  api: CoreV1Api | undefined;
}

export class MetricsExporter {
  readonly registry = new Registry();
  readonly #deps: ExporterDeps;
  readonly #runner: QueryRunner;
  readonly #sources: QuerySources;
  #inFlight: Promise<string> | undefined;

  readonly #collections: Counter;
  readonly #errors: Counter<'collector'>;
  readonly #lastError: Gauge;
  /** The last logged error of each failing query (see #reportQueryErrors). */
  readonly #queryErrorLog = new Map<string, { message: string; at: number; unlogged: number }>();
  readonly #up: Gauge<'cluster'>;
  readonly #duration: Gauge<'collector'>;
  readonly #switchoverRequired: Gauge;
  readonly #syncReplicas: Gauge<'value'>;
  readonly #replicaMode: Gauge;
  readonly #archiveStatus: Gauge<'value'>;
  readonly #version: Gauge<'full' | 'cluster'>;
  readonly #walDirectory: Gauge<'value'>;
  readonly #fencing: Gauge;
  readonly #nodesUsed: Gauge;
  readonly #statWal: Map<string, Gauge<'stats_reset'>>;
  readonly #semver: ReturnType<typeof postgresSemver>;
  readonly #builtIn: ReadonlySet<string>;

  constructor(deps: ExporterDeps) {
    this.#deps = deps;
    const { ctx } = deps;
    this.#runner = new QueryRunner({ socketDir: ctx.options.socketDir, port: ctx.options.pgPort }, ctx.log);
    this.#sources = new QuerySources(ctx.options, deps.api);
    const registers = [this.registry];
    const name = (n: string) => `${METRIC_PREFIX}_collector_${n}`;
    const gauge = <L extends string>(n: string, help: string, labelNames: L[] = []) =>
      new Gauge<L>({ name: name(n), help, labelNames, registers });
    this.#collections = new Counter({
      name: name('collections_total'),
      help: 'Total number of times PostgreSQL was accessed for metrics.',
      registers,
    });
    this.#errors = new Counter({
      name: name('collection_errors_total'),
      help: 'Total errors occurred accessing PostgreSQL for metrics.',
      labelNames: ['collector'],
      registers,
    });
    this.#lastError = gauge('last_collection_error', '1 if the last collection ended with error, 0 otherwise.');
    this.#up = gauge('up', '1 if PostgreSQL is up, 0 otherwise.', ['cluster']);
    this.#duration = gauge('collection_duration_seconds', 'Collection time duration in seconds', ['collector']);
    this.#switchoverRequired = gauge('manual_switchover_required', '1 if a manual switchover is required, 0 otherwise');
    this.#syncReplicas = gauge(
      'sync_replicas',
      'Number of requested synchronous replicas (synchronous_standby_names)',
      ['value'],
    );
    this.#replicaMode = gauge('replica_mode', '1 if the cluster is in replica mode, 0 otherwise');
    this.#archiveStatus = gauge(
      'pg_wal_archive_status',
      'Number of WAL segments in the pg_wal/archive_status directory (ready, done)',
      ['value'],
    );
    this.#version = gauge('postgres_version', 'Postgres version', ['full', 'cluster']);
    this.#walDirectory = gauge(
      'pg_wal',
      'WAL segments in pg_wal (count, size in bytes) and the WAL limits in segments (min, max, keep, ' +
        'slots_max, volume_max; volume_size in bytes)',
      ['value'],
    );
    this.#fencing = gauge('fencing_on', '1 if the instance is fenced, 0 otherwise');
    this.#nodesUsed = gauge(
      'nodes_used',
      'Distinct nodes the instances run on (-1 when not known; 1 means no high availability across nodes)',
    );
    this.#statWal = new Map(STAT_WAL_COLUMNS.map(([c, help]) => [c, gauge(c, `${help}.`, ['stats_reset'])]));
    collectDefaultMetrics({ register: this.registry });
    // What never changes while the manager runs: the PostgreSQL version, the built-in metric names.
    const m = /^(\d+)(?:\.(\d+))?/.exec(ctx.pgVersion.text);
    if (m !== null) {
      const full = `${m[1]}.${m[2] ?? 0}`;
      this.#version.set({ full, cluster: ctx.clusterName }, Number(full));
    }
    this.#semver = postgresSemver(ctx.pgVersion.text);
    this.#builtIn = new Set(this.registry.getMetricsAsArray().map((metric) => metric.name));
  }

  /** The exposition of one scrape; scrapes arriving during a collection get its result. */
  scrape(): Promise<string> {
    this.#inFlight ??= this.#collect().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  #fail(collector: string, err: unknown): void {
    this.#errors.inc({ collector });
    this.#lastError.set(1);
    this.#deps.ctx.log.warn({ collector, err: errorMessage(err) }, 'metrics collection error');
  }

  /**
   * Counts each failed query and logs why: the first time, when the reason changes, then once per
   * QUERY_ERROR_LOG_MS with how many were not logged meanwhile (a broken query fails every scrape).
   */
  #reportQueryErrors(errors: QueryError[], now = Date.now()): void {
    for (const e of errors) {
      this.#errors.inc({ collector: e.collector });
      this.#lastError.set(1);
      const last = this.#queryErrorLog.get(e.collector);
      if (last !== undefined && last.message === e.message && now - last.at < QUERY_ERROR_LOG_MS) {
        last.unlogged++;
        continue;
      }
      const repeated = last?.message === e.message ? last.unlogged : 0;
      this.#deps.ctx.log.warn(
        { query: e.collector, err: e.message, ...(repeated > 0 ? { repeated } : {}) },
        'monitoring query failed',
      );
      this.#queryErrorLog.set(e.collector, { message: e.message, at: now, unlogged: 0 });
    }
  }

  /** What the Cluster says, whether PostgreSQL answers or not. */
  #fromCluster(cluster: Cluster): void {
    const me = this.#deps.ctx.options.podName;
    if (cluster.status?.currentPrimary === me) {
      this.#switchoverRequired.set(cluster.status.phase === PHASES.waitingForUser ? 1 : 0);
    }
    this.#replicaMode.set(isReplicaCluster(cluster) ? 1 : 0);
    const topology = cluster.status?.topology;
    this.#nodesUsed.set(topology?.successfullyExtracted === true ? (topology.nodesUsed ?? -1) : -1);
  }

  async #collect(): Promise<string> {
    const { ctx } = this.#deps;
    const cluster = ctx.cluster;
    this.#collections.inc();
    this.#fromCluster(cluster);
    let queryText = '';
    if (this.#deps.phase() === 'fenced') {
      // PostgreSQL is down on purpose: nothing to collect, and nothing wrong.
      this.#fencing.set(1);
    } else {
      this.#fencing.set(0);
      queryText = await this.#collectFromPostgres(cluster);
    }
    return `${await this.registry.metrics()}${queryText}`;
  }

  async #collectFromPostgres(cluster: Cluster): Promise<string> {
    const { ctx } = this.#deps;
    const started = performance.now();
    let row: InstanceRow;
    let statWal: string | undefined;
    try {
      const client = await connectLocal({ socketDir: ctx.options.socketDir, port: ctx.options.pgPort }, 'postgres');
      try {
        row = (await client.query<InstanceRow>(INSTANCE_QUERY)).rows[0] as InstanceRow;
        if (ctx.pgVersion.major >= 14) {
          statWal = (
            await client.query<{ stat: string }>(STAT_WAL_QUERY).catch((err: unknown) => {
              this.#fail('Collect.PGWALStat', err);
              return { rows: [] };
            })
          ).rows[0]?.stat;
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (err) {
      this.#up.set({ cluster: ctx.clusterName }, 0);
      this.#lastError.set(1);
      this.#duration.set({ collector: 'Collect.up' }, (performance.now() - started) / 1000);
      ctx.log.warn({ err: errorMessage(err) }, 'cannot collect metrics: PostgreSQL does not answer');
      return '';
    }
    this.#up.set({ cluster: ctx.clusterName }, 1);
    this.#lastError.set(0);
    this.#duration.set({ collector: 'Collect.up' }, (performance.now() - started) / 1000);
    const isPrimary = row.is_primary === 't';

    const queriesStarted = performance.now();
    let queryText = '';
    try {
      const loaded = await this.#sources.load(cluster);
      this.#reportQueryErrors(loaded.errors);
      const result = await this.#runner.run({
        queries: loaded.queries,
        isPrimary,
        version: this.#semver,
        defaultDatabase: applicationDatabase(cluster),
        ttlSeconds: queriesTtlSeconds(cluster),
      });
      this.#reportQueryErrors(result.errors);
      // A query must not shadow a built-in metric: Prometheus would reject the whole exposition.
      queryText = renderFamilies(result.families.filter((f) => !this.#builtIn.has(f.name)));
    } catch (err) {
      this.#fail(QUERIES_COLLECTOR, err);
    }
    this.#duration.set({ collector: QUERIES_COLLECTOR }, (performance.now() - queriesStarted) / 1000);

    if (isPrimary) {
      const observed = observedSyncReplicas(row.sync_names);
      if (observed === undefined) {
        this.#fail(
          'Collect.SynchronousStandbys',
          new Error(`cannot read synchronous_standby_names "${row.sync_names}"`),
        );
      }
      this.#syncReplicas.set({ value: 'observed' }, observed ?? -1);
    }
    this.#collectArchiveStatus();
    this.#collectWalDirectory(cluster, row);
    if (statWal !== undefined) this.#collectStatWal(statWal);
    return queryText;
  }

  #collectArchiveStatus(): void {
    try {
      const { ready, done } = archiveStatusCounts(this.#deps.ctx.options.pgdata);
      this.#archiveStatus.set({ value: 'ready' }, ready);
      this.#archiveStatus.set({ value: 'done' }, done);
    } catch (err) {
      this.#archiveStatus.reset();
      this.#fail('Collect.PgWALArchiveStats', err);
    }
  }

  #collectWalDirectory(cluster: Cluster, row: InstanceRow): void {
    try {
      const count = readdirSync(join(this.#deps.ctx.options.pgdata, 'pg_wal')).filter((f) => WAL_FILE.test(f)).length;
      const settings = JSON.parse(row.wal_settings) as Record<string, WalSetting>;
      const bytes = (name: string) => {
        const s = settings[name];
        return s === undefined ? Number.NaN : settingBytes(s.setting, s.unit);
      };
      const segment = bytes('wal_segment_size');
      const slotsMax = settings.max_slot_wal_keep_size?.setting === '-1' ? Number.NaN : bytes('max_slot_wal_keep_size');
      const walSize = cluster.spec.walStorage?.size;
      const volume = walSize === undefined || walSize === '' ? Number.NaN : parseQuantity(walSize);
      const values: Record<string, number> = {
        count,
        size: count * segment,
        min: bytes('min_wal_size') / segment,
        max: bytes('max_wal_size') / segment,
        keep: bytes('wal_keep_size') / segment,
        slots_max: slotsMax / segment,
        volume_size: volume,
        volume_max: volume / segment,
      };
      for (const [value, n] of Object.entries(values)) this.#walDirectory.set({ value }, n);
    } catch (err) {
      this.#walDirectory.reset();
      this.#fail('Collect.PGWalSettings', err);
    }
  }

  #collectStatWal(json: string): void {
    const stat = JSON.parse(json) as Record<string, number | string | null>;
    const reset = String(stat.stats_reset ?? '');
    for (const [column, g] of this.#statWal) {
      g.reset();
      const value = stat[column];
      if (value !== undefined && value !== null) g.set({ stats_reset: reset }, Number(value));
    }
  }
}
