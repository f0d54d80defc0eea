// Tar content of a live directory, as barman-cloud-backup streams it: the directory walked top
// down (barman's os.walk order), filtered by path rules, each file read once at the size it had
// when opened (a file that grows is truncated, one that shrinks is zero-padded: WAL replay
// repairs both), files and directories that vanish meanwhile skipped. Symbolic links to files are
// stored as links; links to directories are not followed (tablespaces have their own tar).
import type { Stats } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type PathRule, pathAllowed } from './exclusions.ts';
import { contentPadding, entryHeader, type TarEntry } from './tar-format.ts';

/** How much of a file is read at once: the bound on a file's share of memory. */
const READ_CHUNK = 1024 * 1024;

const isVanished = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Counts what a tar source has read, for progress reports. */
export interface TarCounters {
  files: number;
  bytes: number;
}

const entryOf = (name: string, st: Stats, type: TarEntry['type'], extra: Partial<TarEntry> = {}): TarEntry => ({
  name,
  type,
  mode: st.mode,
  uid: st.uid,
  gid: st.gid,
  size: type === 'file' ? st.size : 0,
  mtime: Math.floor(st.mtimeMs / 1000),
  ...extra,
});

/**
 * The entry for the file at `path`, stored as `name`: header, content and padding; nothing when
 * the file has vanished. The size is the one of the open file, fixed in the header.
 */
export async function* fileEntry(path: string, name: string, counters: TarCounters): AsyncGenerator<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isVanished(err)) return;
    throw err;
  }
  try {
    const st = await handle.stat();
    yield entryHeader(entryOf(name, st, 'file'));
    let done = 0;
    while (done < st.size) {
      const want = Math.min(READ_CHUNK, st.size - done);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, done);
      if (bytesRead === 0) {
        // Shrunk since opened: pad with zeros to the size the header announced.
        yield Buffer.alloc(st.size - done);
        counters.bytes += st.size - done;
        done = st.size;
        break;
      }
      done += bytesRead;
      counters.bytes += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
    counters.files++;
    yield contentPadding(st.size);
  } finally {
    await handle.close();
  }
}

/** An entry from bytes in memory (backup_label), owned like `owner`. */
export function bufferEntry(name: string, data: Buffer, owner: Stats, mode = 0o600): Buffer[] {
  const entry: TarEntry = {
    name,
    type: 'file',
    mode,
    uid: owner.uid,
    gid: owner.gid,
    size: data.length,
    mtime: Math.floor(Date.now() / 1000),
  };
  return [entryHeader(entry), data, contentPadding(data.length)];
}

export interface WalkOptions {
  exclude: readonly PathRule[];
  include?: readonly PathRule[];
  /** Directory symlinks to store as empty directories (pg_wal on its own volume). */
  symlinkedDirsAsEmpty?: readonly string[];
}

/** The tar entries of the tree at `root`, names relative to it (`.` is the root itself). */
export async function* directoryEntries(
  root: string,
  opts: WalkOptions,
  counters: TarCounters,
): AsyncGenerator<Buffer> {
  const include = opts.include ?? [];
  const asEmpty = new Set(opts.symlinkedDirsAsEmpty ?? []);
  // Top down, a directory's files before its subdirectories, as os.walk yields them.
  const pending: string[] = ['.'];
  while (pending.length > 0) {
    const rel = pending.shift() as string;
    const abs = rel === '.' ? root : join(root, rel);
    // An excluded directory loses its entry and its files, not its subdirectories (os.walk goes
    // on into them, and their own rules decide).
    const allowed = pathAllowed(opts.exclude, include, rel, true);
    let st: Stats;
    let names: string[];
    try {
      st = await lstat(abs);
      names = (await readdir(abs)).sort();
    } catch (err) {
      if (isVanished(err)) continue;
      throw err;
    }
    if (allowed) yield entryHeader(entryOf(rel, st, 'directory'));
    const subdirs: string[] = [];
    for (const name of names) {
      const childRel = rel === '.' ? name : `${rel}/${name}`;
      const childAbs = join(abs, name);
      let cst: Stats;
      try {
        cst = await lstat(childAbs);
      } catch (err) {
        if (isVanished(err)) continue;
        throw err;
      }
      if (cst.isDirectory()) {
        subdirs.push(childRel);
        continue;
      }
      if (!allowed) continue;
      if (cst.isSymbolicLink()) {
        const target = await stat(childAbs).catch(() => undefined);
        if (target?.isDirectory()) {
          if (asEmpty.has(childRel) && pathAllowed(opts.exclude, include, childRel, true)) {
            yield entryHeader(entryOf(childRel, target, 'directory'));
          }
          continue;
        }
        if (!pathAllowed(opts.exclude, include, childRel, false)) continue;
        const linkname = await readlink(childAbs).catch(() => undefined);
        if (linkname !== undefined) yield entryHeader(entryOf(childRel, cst, 'symlink', { linkname }));
        continue;
      }
      // Sockets, FIFOs and devices are no part of a backup (Python's tarfile skips them too).
      if (!cst.isFile()) continue;
      if (!pathAllowed(opts.exclude, include, childRel, false)) continue;
      yield* fileEntry(childAbs, childRel, counters);
    }
    pending.unshift(...subdirs);
  }
}
