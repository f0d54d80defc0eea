// What the archiver last did, for the ContinuousArchiving condition: PostgreSQL's pg_stat_archiver
// has the counts and the last archived and failed segments with their times; the cause of the last
// failure is only known to `wal-archive`, which notes it in its spool directory.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalSql } from '../postgres/local-sql.ts';

const STATUS_FILE = 'archive-status.json';

interface RecordedStatus {
  lastArchivedWal?: string;
  lastArchivedTime?: string;
  lastFailedWal?: string;
  lastFailedTime?: string;
  lastFailure?: string;
}

export interface ArchivingStatus {
  archivedCount: number;
  lastArchivedWal?: string;
  lastArchivedTime?: string;
  failedCount: number;
  lastFailedWal?: string;
  lastFailedTime?: string;
  /** The cause of the last failure, when it is later than the last success. */
  lastFailure?: string;
}

function readRecorded(spoolDir: string): RecordedStatus {
  try {
    return JSON.parse(readFileSync(join(spoolDir, STATUS_FILE), 'utf8')) as RecordedStatus;
  } catch {
    return {};
  }
}

function write(spoolDir: string, status: RecordedStatus): void {
  const file = join(spoolDir, STATUS_FILE);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(status));
    renameSync(`${file}.tmp`, file);
  } catch {
    // Status is advisory: never fail an archive because it cannot be noted.
  }
}

export function recordArchiveSuccess(spoolDir: string, walName: string, now = new Date()): void {
  write(spoolDir, { ...readRecorded(spoolDir), lastArchivedWal: walName, lastArchivedTime: now.toISOString() });
}

export function recordArchiveFailure(spoolDir: string, walName: string, cause: string, now = new Date()): void {
  write(spoolDir, {
    ...readRecorded(spoolDir),
    lastFailedWal: walName,
    lastFailedTime: now.toISOString(),
    lastFailure: cause,
  });
}

interface PgStatArchiver {
  archived_count: number;
  last_archived_wal: string | null;
  last_archived_time: string | null;
  failed_count: number;
  last_failed_wal: string | null;
  last_failed_time: string | null;
}

const isoTime = (t: string | null): string | undefined => (t === null ? undefined : new Date(t).toISOString());

/** pg_stat_archiver with the last failure's cause the archive command noted. */
export async function archivingStatus(sql: LocalSql, spoolDir: string): Promise<ArchivingStatus> {
  const row = await sql.queryOne<PgStatArchiver>(
    'SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time FROM pg_stat_archiver',
  );
  const recorded = readRecorded(spoolDir);
  const failedLast =
    recorded.lastFailedTime !== undefined &&
    (recorded.lastArchivedTime === undefined || recorded.lastFailedTime > recorded.lastArchivedTime);
  return {
    archivedCount: row.archived_count,
    lastArchivedWal: row.last_archived_wal ?? undefined,
    lastArchivedTime: isoTime(row.last_archived_time),
    failedCount: row.failed_count,
    lastFailedWal: row.last_failed_wal ?? undefined,
    lastFailedTime: isoTime(row.last_failed_time),
    lastFailure: failedLast ? recorded.lastFailure : undefined,
  };
}
