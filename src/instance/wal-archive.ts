// `cnpg instance wal-archive %p`: PostgreSQL's archive_command. Without a WAL archive (no
// barmanObjectStore, no WAL-archiver plugin) it archives nothing and succeeds, as upstream, so WAL
// does not pile up. With an object store it uploads the segment in barman-cloud's layout with the
// configured compression, encryption and tags, and, as upstream does, up to wal.maxParallel - 1
// further segments PostgreSQL has marked .ready, in parallel: those are noted in a spool directory
// so that PostgreSQL's own call for them returns at once. Before the first archive of a new
// cluster (the flag file initdb leaves in PGDATA) a non-empty archive is refused, unless the
// Cluster carries the cnpg.io/skipEmptyWalArchiveCheck: enabled annotation.
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { compressStream } from '../objectstore/compression.ts';
import { parseXlogName } from '../objectstore/barman-layout.ts';
import { errorMessage, InstanceError } from './errors.ts';
import {
  type ArchiveCluster,
  openWalStore,
  readArchiveCluster,
  walArchiveDestination,
  type WalStore,
  type WalStoreOptions,
} from './wal-store.ts';
import { recordArchiveFailure, recordArchiveSuccess } from './wal-archive-status.ts';

/** The file in PGDATA that asks for the empty-archive check before the first archive (upstream's name). */
export const CHECK_EMPTY_WAL_ARCHIVE_FILE = '.check-empty-wal-archive';
export const SKIP_EMPTY_WAL_ARCHIVE_CHECK = 'cnpg.io/skipEmptyWalArchiveCheck';

export interface WalArchiveOptions extends WalStoreOptions {
  /** The path PostgreSQL passes (%p), relative to PGDATA (the archiver's working directory). */
  walPath: string;
  pgdata: string;
  /** Where segments archived ahead of PostgreSQL's call are noted. */
  spoolDir: string;
}

function emptyCheckEnabled(cluster: ArchiveCluster): boolean {
  return cluster.metadata?.annotations?.[SKIP_EMPTY_WAL_ARCHIVE_CHECK] !== 'enabled';
}

/** Refuses an archive that already holds WAL of this server name (barman-cloud-check-wal-archive). */
async function checkEmptyArchive(ws: WalStore): Promise<void> {
  const { objects } = await ws.store.list(ws.layout.walsPrefix);
  const wals = objects.filter((o) => ws.layout.parseWalKey(o.key) !== undefined);
  if (wals.length > 0) {
    throw new InstanceError(
      `Expected empty archive: ${ws.store.location(ws.layout.walsPrefix)} already holds ${wals.length} WAL file(s) ` +
        `(another cluster's? use another serverName or destinationPath, or annotate the Cluster with ` +
        `${SKIP_EMPTY_WAL_ARCHIVE_CHECK}: enabled)`,
    );
  }
}

/** The .ready segments other than `current`, oldest first, at most `max`. */
function readySegments(pgdata: string, current: string, max: number): string[] {
  if (max <= 0) return [];
  let files: string[];
  try {
    files = readdirSync(join(pgdata, 'pg_wal', 'archive_status'));
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.ready'))
    .map((f) => f.slice(0, -'.ready'.length))
    .filter((name) => name !== current && parseXlogName(name) !== undefined)
    .sort()
    .slice(0, max);
}

async function upload(ws: WalStore, file: string): Promise<void> {
  const name = basename(file);
  const xlog = parseXlogName(name);
  if (xlog === undefined || xlog.compression !== undefined) {
    throw new InstanceError(`cannot archive ${file}: not a WAL, partial, backup label or history file name`);
  }
  const wal = ws.config.wal ?? {};
  const key = ws.layout.walKey(name, wal.compression);
  let body: Readable = createReadStream(file);
  if (wal.compression !== undefined) {
    body = body.pipe(compressStream(wal.compression, 'spec.backup.barmanObjectStore.wal.compression'));
  }
  const tags = xlog.kind === 'history' ? (ws.config.historyTags ?? ws.config.tags) : ws.config.tags;
  await ws.store.put(key, body, { tags, encryption: wal.encryption });
}

export async function walArchive(options: WalArchiveOptions): Promise<void> {
  const cluster = readArchiveCluster(options.clusterFile);
  const destination = walArchiveDestination(cluster);
  if (destination === undefined) return;
  if (destination !== 'spec.backup.barmanObjectStore') {
    throw new InstanceError(
      `cannot archive ${options.walPath}: WAL archiving to ${destination} is not implemented yet`,
    );
  }
  const walFile = isAbsolute(options.walPath) ? options.walPath : join(options.pgdata, options.walPath);
  const walName = basename(walFile);
  const ws = openWalStore(cluster, options, 'wal-archive');
  const started = Date.now();
  try {
    const flag = join(options.pgdata, CHECK_EMPTY_WAL_ARCHIVE_FILE);
    if (existsSync(flag)) {
      if (emptyCheckEnabled(cluster)) await checkEmptyArchive(ws);
      rmSync(flag, { force: true });
    }
    const spooled = join(options.spoolDir, walName);
    if (existsSync(spooled)) {
      rmSync(spooled, { force: true });
      ws.log.info({ walName }, 'WAL file already archived, skipping');
      return;
    }
    const extra = readySegments(options.pgdata, walName, ws.maxParallel - 1);
    mkdirSync(options.spoolDir, { recursive: true });
    const ahead = extra.map(async (name) => {
      try {
        await upload(ws, join(options.pgdata, 'pg_wal', name));
        writeFileSync(join(options.spoolDir, name), '');
      } catch (err) {
        // PostgreSQL asks for this one again and gets the error then.
        ws.log.warn({ walName: name, error: errorMessage(err) }, 'archiving ahead failed');
      }
    });
    const [own] = await Promise.allSettled([upload(ws, walFile), ...ahead]);
    if (own?.status === 'rejected') throw own.reason;
    recordArchiveSuccess(options.spoolDir, walName);
    ws.log.info(
      { walName, walsCount: 1 + extra.length, totalTimeMs: Date.now() - started },
      extra.length > 0 ? 'Archived WAL files (parallel)' : 'Archived WAL file',
    );
  } catch (err) {
    const message = `cannot archive ${walName}: ${errorMessage(err)}`;
    recordArchiveFailure(options.spoolDir, walName, message);
    ws.log.error({ walName, error: errorMessage(err) }, 'WAL archiving failed');
    throw new InstanceError(message);
  } finally {
    ws.store.close();
  }
}
