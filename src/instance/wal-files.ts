// WAL segments PostgreSQL has finished and still has to archive (pg_wal/archive_status/*.ready).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function readyWalFileCount(pgdata: string): number {
  try {
    return readdirSync(join(pgdata, 'pg_wal', 'archive_status')).filter((f) => f.endsWith('.ready')).length;
  } catch {
    return 0;
  }
}
