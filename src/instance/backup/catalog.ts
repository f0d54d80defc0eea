// The base backups of a server in an object store, read from their backup.info files as
// barman-cloud-backup-list reads them (ours and barman-cloud-backup's alike), and the fields
// upstream's catalog takes from that list (backup_id, backup_name, begin/end wal, xlog, time,
// timeline, systemid, error).
import type { BarmanLayout } from '../../objectstore/barman-layout.ts';
import type { ObjectStore } from '../../objectstore/object-store.ts';
import { isNotFound } from '../../objectstore/object-store.ts';
import { errorMessage } from '../errors.ts';
import { type BackupInfo, parseBackupInfo } from './backup-info.ts';

export interface BackupCatalog {
  /** Every backup with a backup.info, whatever its status, sorted by backup id (oldest first). */
  backups: BackupInfo[];
  /** Backups whose backup.info could not be read or parsed (barman warns and skips them). */
  unreadable: { backupId: string; error: string }[];
}

async function readText(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Lists the base backups of the server `layout` places in `store`. */
export async function listBaseBackups(store: ObjectStore, layout: BarmanLayout): Promise<BackupCatalog> {
  const { prefixes } = await store.list(layout.basePrefix, '/');
  const catalog: BackupCatalog = { backups: [], unreadable: [] };
  for (const dir of prefixes.sort()) {
    const backupId = layout.parseBackupKey(dir);
    if (backupId === undefined) continue;
    let text: string;
    try {
      text = await readText(await store.get(layout.backupInfoKey(backupId)));
    } catch (err) {
      // A directory without backup.info is a backup in progress or one whose process died.
      if (isNotFound(err)) continue;
      throw err;
    }
    try {
      catalog.backups.push(parseBackupInfo(text, backupId));
    } catch (err) {
      catalog.unreadable.push({ backupId, error: errorMessage(err) });
    }
  }
  return catalog;
}

/** One backup as upstream's catalog reads it from `barman-cloud-backup-list --format json`. */
export interface CatalogEntry {
  backup_id: string;
  backup_name?: string;
  status: string;
  begin_wal?: string;
  end_wal?: string;
  begin_xlog?: string;
  end_xlog?: string;
  /** RFC 3339 times (barman's `begin_time_iso`). */
  begin_time?: string;
  end_time?: string;
  timeline?: number;
  systemid?: string;
  error?: string;
}

const iso = (t: BackupInfo['beginTime']) => t?.date.toISOString();

export function catalogEntry(info: BackupInfo): CatalogEntry {
  return {
    backup_id: info.backupId,
    backup_name: info.backupName,
    status: info.status,
    begin_wal: info.beginWal,
    end_wal: info.endWal,
    begin_xlog: info.beginXlog,
    end_xlog: info.endXlog,
    begin_time: iso(info.beginTime),
    end_time: iso(info.endTime),
    timeline: info.timeline,
    systemid: info.systemid,
    error: info.error,
  };
}
