// A base backup of the local instance to an object store in barman-cloud's layout, taken as
// barman-cloud-backup takes it: a non-exclusive backup (pg_backup_start ... pg_backup_stop in one
// session), one tar per tablespace named by its OID and data.tar for PGDATA, streamed and
// compressed while PostgreSQL runs, pg_control after the rest of PGDATA and backup_label (from
// pg_backup_stop) at the end of data.tar, then backup.info. backup.info is written last and only
// once: DONE when every tar is complete, FAILED (with the error) when the backup failed after it
// started; a backup whose process dies has no backup.info and is never listed as done.
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type { Logger } from '../../log/logger.ts';
import { parseLsn } from '../../postgres/lsn.ts';
import { type BarmanLayout, backupIdFor } from '../../objectstore/barman-layout.ts';
import type { ObjectStore, PutOptions } from '../../objectstore/object-store.ts';
import { errorMessage } from '../errors.ts';
import { type BackupInfo, formatBackupInfo, pythonUtcTime, seconds, type Tablespace } from './backup-info.ts';
import { type DataCompression, tarCompression } from './data-compression.ts';
import { COMMON_EXCLUDES, compileRules, PGDATA_EXCLUDES } from './exclusions.ts';
import { endOfArchive } from './tar-format.ts';
import { bufferEntry, directoryEntries, fileEntry, type TarCounters } from './tar-source.ts';

/** barman-cloud-backup's server name inside backup.info (the layout uses the real one). */
const INFO_SERVER_NAME = 'cloud';

export interface BackupProgress {
  backupId: string;
  phase: 'starting' | 'copying' | 'stopping' | 'finishing';
  /** Bytes of files read so far. */
  bytesRead: number;
  /** The instance's size when the backup started (sum of its tablespaces), an estimate of the total. */
  bytesTotal?: number;
  files: number;
}

export interface BaseBackupOptions {
  store: ObjectStore;
  /** Where the server's backups go in the store (destinationPath's prefix and serverName). */
  layout: BarmanLayout;
  backupName?: string;
  compression?: DataCompression;
  encryption?: PutOptions['encryption'];
  tags?: Record<string, string>;
  immediateCheckpoint: boolean;
  /** A session on the local instance as a superuser; the backup owns and ends it. */
  connect: () => Promise<pg.Client>;
  log: Logger;
  onProgress?: (progress: BackupProgress) => void;
  /** The clock (for the backup id): tests fix it. */
  now?: () => Date;
}

interface StartRow {
  lsn: string;
  timeline: string;
  now_text: string;
  now_micros: string;
}

interface Metadata {
  pgdata: string;
  version: number;
  segmentSize: number;
  systemid: string;
  configFile: string | null;
  hbaFile: string | null;
  identFile: string | null;
  includedFiles: string[];
  tablespaces: Tablespace[];
  clusterSize: number | undefined;
  inRecovery: boolean;
}

/** The WAL segment name and offset of `lsn` on `timeline`, as barman's xlog module names them. */
export function walFileAt(lsn: string, timeline: number, segmentSize: number): { name: string; offset: number } {
  const pos = parseLsn(lsn);
  const size = BigInt(segmentSize);
  const segment = pos / size;
  const perLog = 0x1_0000_0000n / size;
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0');
  return {
    name: `${hex(timeline)}${hex(segment / perLog)}${hex(segment % perLog)}`,
    offset: Number(pos % size),
  };
}

async function one<T>(client: pg.Client, text: string, values: unknown[] = []): Promise<T> {
  const result = await client.query(text, values);
  const row = result.rows[0] as T | undefined;
  if (row === undefined) throw new Error(`no row from: ${text}`);
  return row;
}

async function readMetadata(client: pg.Client): Promise<Metadata> {
  const settings = await one<Record<string, string | null>>(
    client,
    `SELECT current_setting('data_directory') AS pgdata,
            current_setting('server_version_num') AS version,
            (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment_size,
            (SELECT system_identifier::text FROM pg_control_system()) AS systemid,
            current_setting('config_file') AS config_file,
            current_setting('hba_file') AS hba_file,
            current_setting('ident_file') AS ident_file,
            (SELECT sum(pg_tablespace_size(oid))::text FROM pg_tablespace) AS cluster_size,
            pg_is_in_recovery()::text AS in_recovery`,
  );
  const included = await client.query<{ f: string }>(
    `SELECT DISTINCT sourcefile AS f FROM pg_settings
      WHERE sourcefile IS NOT NULL AND sourcefile <> current_setting('config_file') ORDER BY 1`,
  );
  const spaces = await client.query<{ name: string; oid: string; location: string }>(
    `SELECT spcname AS name, oid::text AS oid, pg_tablespace_location(oid) AS location
       FROM pg_tablespace WHERE pg_tablespace_location(oid) <> '' ORDER BY oid`,
  );
  return {
    pgdata: settings.pgdata as string,
    version: Number(settings.version),
    segmentSize: Number(settings.segment_size),
    systemid: settings.systemid as string,
    configFile: settings.config_file ?? null,
    hbaFile: settings.hba_file ?? null,
    identFile: settings.ident_file ?? null,
    includedFiles: included.rows.map((r) => r.f),
    tablespaces: spaces.rows.map((r) => ({ name: r.name, oid: Number(r.oid), location: r.location })),
    clusterSize: settings.cluster_size === null ? undefined : Number(settings.cluster_size),
    inRecovery: settings.in_recovery === 'true',
  };
}

// `now()` printed in UTC with microseconds, to write times as Python prints them.
const NOW_COLUMNS = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now_text,
  extract(microseconds FROM now())::bigint % 1000000 AS now_micros`;

const timeOf = (row: { now_text: string; now_micros: string }) =>
  pythonUtcTime(new Date(row.now_text), Number(row.now_micros));

/** A promise with its resolvers, to hand the backup label to data.tar's generator. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits (the copy failed first) must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Takes a base backup; resolves with its backup.info (status DONE). A failure after the backup
 * started is recorded in a FAILED backup.info, then thrown.
 */
export async function takeBaseBackup(opts: BaseBackupOptions): Promise<BackupInfo> {
  const compression = tarCompression(opts.compression);
  const client = await opts.connect();
  let info: BackupInfo | undefined;
  const counters: TarCounters = { files: 0, bytes: 0 };
  try {
    // pg_backup_start and pg_backup_stop must share this session: nothing may time it out.
    await client.query('SET idle_session_timeout TO 0');
    await client.query('SET statement_timeout TO 0');
    const meta = await readMetadata(client);
    const backupId = backupIdFor((opts.now ?? (() => new Date()))());
    if ((await opts.store.head(opts.layout.backupInfoKey(backupId))) !== undefined) {
      throw new Error(
        `a backup with id ${backupId} already exists at ${opts.store.url}/${opts.layout.backupPrefix(backupId)}`,
      );
    }
    info = {
      backupId,
      backupName: opts.backupName,
      status: 'STARTED',
      serverName: INFO_SERVER_NAME,
      pgdata: meta.pgdata,
      version: meta.version,
      xlogSegmentSize: meta.segmentSize,
      systemid: meta.systemid,
      configFile: meta.configFile ?? undefined,
      hbaFile: meta.hbaFile ?? undefined,
      identFile: meta.identFile ?? undefined,
      includedFiles: meta.includedFiles,
      tablespaces: meta.tablespaces,
      extra: {},
    };
    const log = opts.log.child({ backupId, backupName: opts.backupName });
    const progress = (phase: BackupProgress['phase']) =>
      opts.onProgress?.({
        backupId,
        phase,
        bytesRead: counters.bytes,
        bytesTotal: meta.clusterSize,
        files: counters.files,
      });
    progress('starting');
    await runBackup(opts, client, meta, info, compression, counters, log, progress);
    return info;
  } catch (err) {
    if (info !== undefined) await recordFailure(opts, info, err);
    throw err;
  } finally {
    // Ending the session also aborts a backup it did not stop.
    await client.end().catch(() => undefined);
  }
}

async function runBackup(
  opts: BaseBackupOptions,
  client: pg.Client,
  meta: Metadata,
  info: BackupInfo,
  compression: ReturnType<typeof tarCompression>,
  counters: TarCounters,
  log: Logger,
  progress: (phase: BackupProgress['phase']) => void,
): Promise<void> {
  const copyStart = Date.now();
  log.info({ immediateCheckpoint: opts.immediateCheckpoint, inRecovery: meta.inRecovery }, 'starting the base backup');
  const start = await one<StartRow>(
    client,
    `SELECT location::text AS lsn,
            (SELECT timeline_id FROM pg_control_checkpoint())::text AS timeline, ${NOW_COLUMNS}
       FROM pg_backup_start($1, $2) AS location`,
    [`Barman backup cloud ${info.backupId}`, opts.immediateCheckpoint],
  );
  info.timeline = Number(start.timeline);
  info.beginXlog = start.lsn;
  info.beginTime = timeOf(start);
  const begin = walFileAt(start.lsn, info.timeline, meta.segmentSize);
  info.beginWal = begin.name;
  info.beginOffset = begin.offset;
  log.info({ beginWal: info.beginWal, beginLSN: info.beginXlog }, 'base backup started');
  progress('copying');
  const ticker = setInterval(() => progress('copying'), 1000);

  const putOptions: PutOptions = { tags: opts.tags, encryption: opts.encryption };
  /** Streams one tar through the compressor into the store; resolves with the bytes stored. */
  const upload = async (name: string, source: AsyncIterable<Buffer>): Promise<number> => {
    const key = opts.layout.tarKey(info.backupId, name, 0, opts.compression);
    const compressor = compression.create();
    const feeding = pipeline(Readable.from(source, { objectMode: false }), compressor);
    let size = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of compressor as AsyncIterable<Buffer>) {
        size += chunk.length;
        yield chunk;
      }
    }
    const body = Readable.from(counted(), { objectMode: false });
    try {
      await Promise.all([opts.store.put(key, body, putOptions), feeding]);
    } catch (err) {
      body.destroy();
      compressor.destroy();
      throw err;
    }
    log.debug({ key, size }, 'tar uploaded');
    return size;
  };

  const excludeTablespace = compileRules(['/*', ...COMMON_EXCLUDES]);
  const includeTablespace = compileRules([`/PG_${Math.floor(meta.version / 10000)}_*`]);
  const pgdataExtra = meta.tablespaces.flatMap((t) => [
    `/pg_tblspc/${t.oid}`,
    ...(t.location.startsWith(`${meta.pgdata}/`) ? [t.location.slice(meta.pgdata.length)] : []),
  ]);
  const pgdataExclude = compileRules([...PGDATA_EXCLUDES, ...COMMON_EXCLUDES, ...pgdataExtra]);

  const filesDone = deferred<void>();
  const label = deferred<string>();
  let written = 0;
  const withTotal = async function* (input: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      written += chunk.length;
      yield chunk;
    }
  };
  const pgdataOwner: Stats = await lstat(meta.pgdata);
  async function* dataTar(): AsyncGenerator<Buffer> {
    yield* withTotal(
      directoryEntries(meta.pgdata, { exclude: pgdataExclude, symlinkedDirsAsEmpty: ['pg_wal'] }, counters),
    );
    yield* withTotal(fileEntry(join(meta.pgdata, 'global', 'pg_control'), 'global/pg_control', counters));
    filesDone.resolve();
    const text = await label.promise;
    yield* withTotal(bufferEntry('backup_label', Buffer.from(text, 'utf8'), pgdataOwner));
    yield endOfArchive(written);
  }
  async function* tablespaceTar(t: Tablespace): AsyncGenerator<Buffer> {
    let size = 0;
    for await (const chunk of directoryEntries(
      t.location,
      { exclude: excludeTablespace, include: includeTablespace },
      counters,
    )) {
      size += chunk.length;
      yield chunk;
    }
    yield endOfArchive(size);
  }

  // Tablespaces one after another beside data.tar; each upload sends its parts in parallel.
  const tablespaces = (async () => {
    let total = 0;
    for (const t of meta.tablespaces) total += await upload(String(t.oid), tablespaceTar(t));
    return total;
  })();
  const data = upload('data', dataTar());
  let sizes: number[];
  try {
    // backup_label comes from pg_backup_stop, once every file is copied.
    await Promise.race([Promise.all([filesDone.promise, tablespaces]), data.then(() => undefined)]);
    progress('stopping');
    const stop = await one<{ lsn: string; labelfile: string; timeline: string; now_text: string; now_micros: string }>(
      client,
      `SELECT r.lsn::text AS lsn, r.labelfile,
              (SELECT CASE WHEN pg_is_in_recovery() THEN min_recovery_end_timeline ELSE timeline_id END
                 FROM pg_control_checkpoint(), pg_control_recovery())::text AS timeline, ${NOW_COLUMNS}
         FROM pg_backup_stop() AS r`,
    );
    label.resolve(stop.labelfile);
    info.backupLabel = stop.labelfile;
    info.endXlog = stop.lsn;
    info.endTime = timeOf(stop);
    const end = walFileAt(stop.lsn, Number(stop.timeline) || (info.timeline as number), meta.segmentSize);
    info.endWal = end.name;
    info.endOffset = end.offset;
    if (!meta.inRecovery) {
      // As barman: close the segment holding the end, and name the point for recovery targets.
      await client.query('SELECT pg_switch_wal()');
      await client.query('SELECT pg_create_restore_point($1)', [`barman_${info.backupId}`]);
    }
    progress('finishing');
    sizes = await Promise.all([data, tablespaces]);
  } catch (err) {
    filesDone.reject(err);
    label.reject(err);
    await Promise.allSettled([data, tablespaces]);
    throw err;
  } finally {
    clearInterval(ticker);
  }
  const copyTime = Date.now() - copyStart;
  info.size = sizes.reduce((a, b) => a + b, 0);
  info.copyStats = { total_time: seconds(copyTime), number_of_workers: 1, copy_time: seconds(copyTime) };
  info.status = 'DONE';
  await opts.store.put(
    opts.layout.backupInfoKey(info.backupId),
    Buffer.from(formatBackupInfo(info), 'utf8'),
    putOptions,
  );
  log.info(
    {
      endWal: info.endWal,
      endLSN: info.endXlog,
      bytes: info.size,
      filesBytes: counters.bytes,
      seconds: copyTime / 1000,
    },
    'base backup completed',
  );
  progress('finishing');
}

/** barman's handle_backup_errors: status FAILED and the first line of the error, in backup.info. */
async function recordFailure(opts: BaseBackupOptions, info: BackupInfo, err: unknown): Promise<void> {
  const firstLine = errorMessage(err).trim().split('\n')[0] || (err as Error)?.name || 'Error';
  info.status = 'FAILED';
  info.error = `failure uploading data (${firstLine})`;
  try {
    await opts.store.put(opts.layout.backupInfoKey(info.backupId), Buffer.from(formatBackupInfo(info), 'utf8'), {
      tags: opts.tags,
      encryption: opts.encryption,
    });
  } catch (putErr) {
    opts.log.error({ err: errorMessage(putErr), backupId: info.backupId }, 'cannot record the failed backup');
  }
}
