// `cnpg instance wal-restore %f %p`: PostgreSQL's restore_command for a Cluster whose WAL is in an
// object store. Finds the file as barman-cloud-wal-restore does (any compression extension, backup
// labels skipped), and, as upstream, fetches the next wal.maxParallel - 1 segments of the same
// timeline in parallel into a spool directory so that PostgreSQL's next calls are served locally.
// A file that is not in the archive ends with WalNotFoundError (PostgreSQL then tries streaming or
// ends recovery); anything else is an error.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decompressStream } from '../objectstore/compression.ts';
import { parseXlogName, type XlogName } from '../objectstore/barman-layout.ts';
import { errorMessage, InstanceError } from './errors.ts';
import { openWalStore, readArchiveCluster, type WalStore, type WalStoreOptions } from './wal-store.ts';

export interface WalRestoreOptions extends WalStoreOptions {
  /** The file PostgreSQL wants (%f). */
  walName: string;
  /** Where to put it (%p), relative to PGDATA (the startup process's working directory). */
  destination: string;
  pgdata: string;
  spoolDir: string;
}

export class WalNotFoundError extends InstanceError {}

/** The key holding `name` in any compression (barman-cloud-wal-restore's choice), or undefined. */
async function findWal(ws: WalStore, name: string): Promise<{ key: string; xlog: XlogName } | undefined> {
  const plain = ws.layout.walKey(name);
  const { objects } = await ws.store.list(plain);
  for (const object of objects) {
    const xlog = ws.layout.parseWalKey(object.key);
    if (xlog !== undefined && xlog.name === name && xlog.kind !== 'backup-label') return { key: object.key, xlog };
  }
  return undefined;
}

/** Downloads `name` to `target` (through a temporary file); false when the archive lacks it. */
async function download(ws: WalStore, name: string, target: string): Promise<boolean> {
  const found = await findWal(ws, name);
  if (found === undefined) return false;
  const partial = `${target}.cnpg-partial`;
  mkdirSync(dirname(target), { recursive: true });
  try {
    const body = await ws.store.get(found.key);
    const compression = found.xlog.compression;
    if (compression === undefined) await pipeline(body, createWriteStream(partial));
    else await pipeline(body, decompressStream(compression, found.key), createWriteStream(partial));
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  return true;
}

/** The `count` segment names after `xlog` on its timeline (segment size in bytes). */
export function nextSegments(xlog: XlogName, count: number, segmentSize: number): string[] {
  if (xlog.kind !== 'segment' || xlog.log === undefined || xlog.seg === undefined) return [];
  const perLog = Math.floor(0x100000000 / segmentSize);
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  const names: string[] = [];
  let { log, seg } = xlog;
  for (let i = 0; i < count; i++) {
    seg++;
    if (seg >= perLog) {
      seg = 0;
      log++;
    }
    names.push(`${hex(xlog.timeline)}${hex(log)}${hex(seg)}`);
  }
  return names;
}

interface RestoreCluster {
  spec?: { bootstrap?: { initdb?: { walSegmentSize?: number } } };
}

export async function walRestore(options: WalRestoreOptions): Promise<void> {
  const xlog = parseXlogName(options.walName);
  if (xlog === undefined || xlog.compression !== undefined) {
    throw new InstanceError(
      `cannot restore "${options.walName}": not a WAL, partial, backup label or history file name`,
    );
  }
  const target = isAbsolute(options.destination) ? options.destination : join(options.pgdata, options.destination);
  const spooled = join(options.spoolDir, options.walName);
  if (existsSync(spooled)) {
    renameSync(spooled, target);
    return;
  }
  const cluster = readArchiveCluster(options.clusterFile);
  const ws = openWalStore(cluster, options, 'wal-restore');
  try {
    const segmentMB = (cluster as RestoreCluster).spec?.bootstrap?.initdb?.walSegmentSize ?? 16;
    const ahead = nextSegments(xlog, ws.maxParallel - 1, segmentMB * 1024 * 1024).filter(
      (name) => !existsSync(join(options.spoolDir, name)),
    );
    mkdirSync(options.spoolDir, { recursive: true });
    const prefetch = ahead.map((name) =>
      download(ws, name, join(options.spoolDir, name)).catch((err: unknown) => {
        ws.log.warn({ walName: name, error: errorMessage(err) }, 'prefetching WAL failed');
        return false;
      }),
    );
    const [own] = await Promise.allSettled([download(ws, options.walName, target), ...prefetch]);
    if (own?.status === 'rejected') {
      throw new InstanceError(`cannot restore ${options.walName}: ${errorMessage(own.reason)}`);
    }
    if (own?.value === false) {
      throw new WalNotFoundError(`${options.walName} is not in ${ws.store.location(ws.layout.walsPrefix)}`);
    }
    ws.log.info({ walName: options.walName, prefetched: ahead.length }, 'Restored WAL file');
  } finally {
    ws.store.close();
  }
}
