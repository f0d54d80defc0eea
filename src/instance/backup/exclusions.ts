// What a base backup leaves out of PGDATA and of each tablespace, with barman's rules and rule
// syntax (rsync-like: a leading `/` anchors at the top, otherwise a rule matches any suffix; `*`
// stays within one path component, `**` crosses them, `?` is one character). Paths are relative
// to the directory copied, `.` being the directory itself.

/** PGDATA only: logs and WAL (replayed from the archive), and pg_control (written last). */
export const PGDATA_EXCLUDES = ['/pg_log/*', '/log/*', '/pg_xlog/*', '/pg_wal/*', '/global/pg_control'] as const;

/**
 * PGDATA and tablespaces: PostgreSQL's own base-backup exclusions (excludeFiles and
 * excludeDirContents). barman writes the temporary-relation rule with a `[0-9]` class its
 * translator escapes, so it never matches; we honour what it means, as pg_basebackup does.
 */
export const COMMON_EXCLUDES = [
  'pgsql_tmp*',
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'pg_internal.init',
  'postmaster.pid',
  'postmaster.opts',
  'recovery.conf',
  'standby.signal',
  '**/[0-9]*/t[0-9]*_[0-9]*',
  'pg_dynshmem/*',
  'pg_notify/*',
  'pg_replslot/*',
  'pg_serial/*',
  'pg_stat_tmp/*',
  'pg_snapshots/*',
  'pg_subtrans/*',
] as const;

function toRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (pattern.startsWith('**', i)) {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/[\\^]/g, '\\$&')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export interface PathRule {
  anchored: boolean;
  dirOnly: boolean;
  re: RegExp;
  suffixRe: RegExp;
}

export function compileRules(rules: readonly string[]): PathRule[] {
  return rules.map((raw) => {
    const dirOnly = raw.endsWith('/');
    let rule = dirOnly ? raw.slice(0, -1) : raw;
    const anchored = rule.startsWith('/');
    if (anchored) rule = rule.slice(1);
    return { anchored, dirOnly, re: toRegExp(rule), suffixRe: toRegExp(`**/${rule}`) };
  });
}

function matches(rules: readonly PathRule[], path: string, isDir: boolean): boolean {
  return rules.some((r) => (!r.dirOnly || isDir) && (r.re.test(path) || (!r.anchored && r.suffixRe.test(path))));
}

/** barman's path_allowed: an include match accepts, then an exclude match refuses, else accept. */
export function pathAllowed(
  exclude: readonly PathRule[],
  include: readonly PathRule[],
  path: string,
  isDir: boolean,
): boolean {
  if (include.length > 0 && matches(include, path, isDir)) return true;
  if (exclude.length > 0 && matches(exclude, path, isDir)) return false;
  return true;
}
