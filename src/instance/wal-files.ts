// WAL segments and their archive status (pg_wal/archive_status/*.ready: finished, still to archive;
// *.done: archived).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** How many segments wait for archiving and how many are archived; throws when unreadable. */
export function archiveStatusCounts(pgdata: string): { ready: number; done: number } {
  const files = readdirSync(join(pgdata, 'pg_wal', 'archive_status'));
  return {
    ready: files.filter((f) => f.endsWith('.ready')).length,
    done: files.filter((f) => f.endsWith('.done')).length,
  };
}

export function readyWalFileCount(pgdata: string): number {
  try {
    return archiveStatusCounts(pgdata).ready;
  } catch {
    return 0;
  }
}
