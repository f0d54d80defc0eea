// PostgreSQL refuses to run as root. When we run as root (as on these machines and in CI), the
// processes of a pod run as an unprivileged local user, as a pod runs them as uid 26; this module
// finds that user and hands it the directories it must own.
import { execFileSync } from 'node:child_process';
import { chownSync, lstatSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The account pods' processes run as when we are root: Debian's PostgreSQL packages create it. */
export const DEFAULT_POD_USER = 'postgres';

export const runningAsRoot = (): boolean => process.getuid?.() === 0;

/** Looks a user up in the system's account database (getent covers files, LDAP, ...). */
export function resolveOsUser(name: string): OsUser {
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`the local user "${name}" does not exist (install postgresql-15, which creates it)`);
  }
  const [, , uid, gid] = entry.split(':');
  return { name, uid: Number(uid), gid: Number(gid) };
}

/** The user pod processes should run as: the default pod user when we are root, else ourselves. */
export function podProcessUser(): OsUser | undefined {
  return runningAsRoot() ? resolveOsUser(DEFAULT_POD_USER) : undefined;
}

/** Gives `path` and everything below it to `user` (no-op when not root). */
export function chownTree(path: string, user: OsUser): void {
  if (!runningAsRoot()) return;
  const stat = lstatSync(path);
  chownSync(path, user.uid, user.gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), user);
}

/**
 * Lists the ancestors of `path` that `user` cannot traverse (no x bit for it), so a caller can
 * fail with a clear message instead of PostgreSQL's "permission denied" much later.
 */
export function untraversableAncestors(path: string, user: OsUser): string[] {
  const blocked: string[] = [];
  let dir = dirname(resolve(path));
  for (;;) {
    const st = lstatSync(dir);
    const mode = st.mode;
    const ok = st.uid === user.uid ? mode & 0o100 : st.gid === user.gid ? mode & 0o010 : mode & 0o001;
    if (!ok) blocked.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return blocked;
}
