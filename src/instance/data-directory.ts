// Checks on PGDATA before anything touches it, so a bad volume fails with one clear line instead
// of PostgreSQL's complaint minutes later, and helpers to create directories the pod user owns.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { chownTree, type OsUser, untraversableAncestors } from '../postgres/os-user.ts';
import { errorMessage, InstanceError } from './errors.ts';

/** Whether `user` (or we, when undefined) may read and enter the directory described by `st`. */
function canEnter(st: Stats, user: OsUser | undefined): boolean {
  const uid = user?.uid ?? process.getuid?.() ?? -1;
  const gid = user?.gid ?? process.getgid?.() ?? -1;
  if (uid === 0) return true;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & 5) === 5;
}

/** Init and join write a new data directory: refuse to overwrite one that has anything in it. */
export function ensureEmptyTarget(pgdata: string, operation: string): void {
  let entries: string[];
  try {
    if (!existsSync(pgdata)) return;
    if (!statSync(pgdata).isDirectory())
      throw new InstanceError(`refusing to ${operation}: ${pgdata} exists and is not a directory`);
    entries = readdirSync(pgdata);
  } catch (err) {
    if (err instanceof InstanceError) throw err;
    throw new InstanceError(`refusing to ${operation}: cannot inspect ${pgdata}: ${errorMessage(err)}`);
  }
  if (entries.length > 0) {
    throw new InstanceError(
      `refusing to ${operation}: the data directory ${pgdata} is not empty (${entries.length} entries); ` +
        'remove it or choose another --pgdata',
    );
  }
}

/** `run` needs an existing data directory the pod user can use. */
export function checkExistingDataDirectory(pgdata: string, user: OsUser | undefined): void {
  let st: Stats;
  try {
    st = lstatSync(pgdata);
  } catch {
    throw new InstanceError(
      `the data directory ${pgdata} does not exist: create it with "cnpg instance init" or "join"`,
    );
  }
  if (!st.isDirectory()) throw new InstanceError(`the data directory ${pgdata} is not a directory`);
  if (user !== undefined) {
    const blocked = untraversableAncestors(pgdata, user);
    if (blocked.length > 0) {
      throw new InstanceError(
        `the data directory ${pgdata} is unreachable for user ${user.name}: ${blocked[0]} is not traversable`,
      );
    }
  }
  const expectedUid = user?.uid ?? process.getuid?.();
  if (!canEnter(st, user)) {
    throw new InstanceError(
      `the data directory ${pgdata} is unreadable: permission denied for user ${user?.name ?? 'current'}`,
    );
  }
  if (expectedUid !== undefined && st.uid !== expectedUid) {
    throw new InstanceError(
      `the data directory ${pgdata} belongs to uid ${st.uid}, but PostgreSQL runs as uid ${expectedUid}`,
    );
  }
  let version: string;
  try {
    version = readFileSync(join(pgdata, 'PG_VERSION'), 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new InstanceError(`the data directory ${pgdata} is unreadable: permission denied`);
    throw new InstanceError(`${pgdata} is not a PostgreSQL data directory (no PG_VERSION)`);
  }
  if (!existsSync(join(pgdata, 'global', 'pg_control'))) {
    throw new InstanceError(`${pgdata} is not a complete PostgreSQL data directory (no global/pg_control)`);
  }
  if (!/^\d+$/.test(version)) throw new InstanceError(`${pgdata}/PG_VERSION holds "${version}", not a major version`);
}

/** Creates `dir` (parents get the default mode) and gives it to the pod user, who must reach it. */
export function ensureOwnedDirectory(dir: string, user: OsUser | undefined, mode = 0o700): void {
  try {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
  } catch (err) {
    throw new InstanceError(`cannot create ${dir}: ${errorMessage(err)}`);
  }
  if (user === undefined) return;
  chownTree(dir, user);
  const blocked = untraversableAncestors(dir, user);
  if (blocked.length > 0)
    throw new InstanceError(`${dir} is unreachable for user ${user.name}: ${blocked[0]} is not traversable`);
}

/** The scratch directory and its run/, log/ and certificates/ subdirectories. */
export function ensureScratchDirectories(
  dirs: { scratchDir: string; socketDir: string; logDir: string; certificatesDir: string },
  user: OsUser | undefined,
): void {
  ensureOwnedDirectory(dirs.scratchDir, user, 0o755);
  for (const dir of [dirs.socketDir, dirs.logDir, dirs.certificatesDir]) ensureOwnedDirectory(dir, user);
}
