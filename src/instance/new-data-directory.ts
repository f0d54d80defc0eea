// A new data directory is built beside its final place and renamed into it only when complete,
// so an interrupted init or join leaves no PGDATA that a later start could take for valid: only
// a hidden work directory, which the next attempt removes.
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { OsUser } from '../postgres/os-user.ts';
import { chownTree } from '../postgres/os-user.ts';
import { errorMessage, InstanceError } from './errors.ts';

const workPrefix = (pgdata: string) => `.${basename(pgdata)}.building-`;

/** Removes work directories left by interrupted attempts. */
export function removeStaleWorkDirectories(pgdata: string): string[] {
  const parent = dirname(pgdata);
  const prefix = workPrefix(pgdata);
  let entries: string[] = [];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  const stale = entries.filter((e) => e.startsWith(prefix)).map((e) => join(parent, e));
  for (const dir of stale) rmSync(dir, { recursive: true, force: true });
  return stale;
}

/** A fresh, empty work directory owned by the pod user, beside `pgdata`. */
export function createWorkDirectory(pgdata: string, user: OsUser | undefined): string {
  const parent = dirname(pgdata);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new InstanceError(`cannot create ${parent}: ${errorMessage(err)}`);
  }
  const dir = join(parent, `${workPrefix(pgdata)}${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  if (user !== undefined) chownTree(dir, user);
  return dir;
}

/** Moves a complete work directory to `pgdata` (which may exist as an empty directory). */
export function installWorkDirectory(work: string, pgdata: string): void {
  try {
    rmdirSync(pgdata);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InstanceError(
        `cannot replace ${pgdata}: ${errorMessage(err)} (PGDATA must be a subdirectory of the volume)`,
      );
    }
  }
  renameSync(work, pgdata);
}
