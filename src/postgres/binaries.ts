// Where the PostgreSQL executables are. A pod image puts them on PATH; on a machine with Debian's
// packages they live in /usr/lib/postgresql/<major>/bin, and the newest major installed is taken.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const DEBIAN_ROOT = '/usr/lib/postgresql';

function hasPostgres(dir: string): boolean {
  try {
    accessSync(join(dir, 'postgres'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directory holding `postgres`, `initdb`, `pg_ctl`...: the explicit one, PATH, or Debian's newest. */
export function resolvePgBinDir(explicit?: string): string {
  if (explicit !== undefined && explicit !== '') {
    if (!hasPostgres(explicit)) throw new Error(`${explicit} does not contain an executable "postgres"`);
    return explicit;
  }
  // Symbolic links on PATH (as Debian's /usr/local/bin ones) lead to the directory with every tool.
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && hasPostgres(dir)) return dirname(realpathSync(join(dir, 'postgres')));
  }
  let majors: number[] = [];
  try {
    majors = readdirSync(DEBIAN_ROOT)
      .map(Number)
      .filter((n) => Number.isInteger(n) && hasPostgres(join(DEBIAN_ROOT, String(n), 'bin')))
      .sort((a, b) => b - a);
  } catch {
    // No Debian layout: reported below.
  }
  const newest = majors[0];
  if (newest === undefined) {
    throw new Error(`no PostgreSQL installation found: "postgres" is not on PATH nor in ${DEBIAN_ROOT}/<major>/bin`);
  }
  return join(DEBIAN_ROOT, String(newest), 'bin');
}

export interface PostgresVersion {
  major: number;
  /** As `postgres --version` prints it, e.g. `15.18`. */
  text: string;
}

export function postgresVersion(binDir: string): PostgresVersion {
  const out = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out);
  if (match === null) throw new Error(`cannot read the PostgreSQL version from "${out.trim()}"`);
  return { major: Number(match[1]), text: match[2] === undefined ? String(match[1]) : `${match[1]}.${match[2]}` };
}
