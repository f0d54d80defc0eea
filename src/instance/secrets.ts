// Secrets and ConfigMaps as a pod sees them: mounted directories with one file per key. The
// application and superuser secrets come as their own directories (basic-auth: username,
// password); SQL references resolve to `<root>/<name>/<key>` under the secrets or configmaps root.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQLRefs } from '../api/v1/cluster-types.ts';
import { errorMessage, InstanceError } from './errors.ts';

export function readMountedKey(dir: string, key: string, what: string): string {
  const file = join(dir, key);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw new InstanceError(`cannot read ${what}: ${file}: ${reason}`);
  }
}

export interface BasicAuth {
  username: string;
  password: string;
}

/** A basic-auth Secret mounted at `dir` (flag `flag` tells the user which option to fix). */
export function readBasicAuth(dir: string | undefined, what: string, flag: string): BasicAuth {
  if (dir === undefined)
    throw new InstanceError(`${what} is needed: pass ${flag} (a directory with username and password)`);
  return { username: readMountedKey(dir, 'username', what).trim(), password: readMountedKey(dir, 'password', what) };
}

export interface SqlRoots {
  secretsRoot?: string;
  configMapsRoot?: string;
}

/** The SQL of a postInit*SQLRefs stanza: Secrets first, then ConfigMaps, each in the order given. */
export function readSqlRefs(refs: SQLRefs | undefined, field: string, roots: SqlRoots): string[] {
  const scripts: string[] = [];
  for (const [list, root, kind, flag] of [
    [refs?.secretRefs ?? [], roots.secretsRoot, 'Secret', '--secrets-root'],
    [refs?.configMapRefs ?? [], roots.configMapsRoot, 'ConfigMap', '--configmaps-root'],
  ] as const) {
    for (const ref of list) {
      const name = ref.name;
      if (root === undefined) throw new InstanceError(`${field} refers to ${kind} "${name}", but ${flag} is not set`);
      scripts.push(readMountedKey(join(root, name), ref.key, `${field} (${kind} "${name}", key "${ref.key}")`));
    }
  }
  return scripts;
}
