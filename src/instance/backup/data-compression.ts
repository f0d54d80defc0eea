// The compression of a base backup's tars (spec.backup.barmanObjectStore.data.compression): the
// compressors, and the refusal of what barman-cloud's base backups cannot read. The tars' names
// (data.tar.gz...) are barman-layout's.
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Transform } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { InstanceError } from '../errors.ts';

export type DataCompression = 'gzip' | 'bzip2' | 'lz4' | 'snappy';

export interface TarCompression {
  /** A fresh compressing stream for one tar. */
  create(): Transform | Duplex;
}

/** bzip2 has no zlib binding: the system's bzip2 compresses, streaming through its pipes. */
function bzip2Stream(): Duplex {
  const child = spawn('bzip2', ['-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (err) =>
    duplex.destroy(new InstanceError(`cannot run bzip2 to compress the backup: ${err.message}`)),
  );
  child.on('exit', (code, signal) => {
    if (code !== 0 && !duplex.destroyed) {
      duplex.destroy(new InstanceError(`bzip2 failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    }
  });
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

/** How the tars of a backup are compressed; refuses what barman-cloud's base backups cannot read. */
export function tarCompression(compression: DataCompression | undefined): TarCompression {
  switch (compression) {
    case undefined:
      return { create: () => new PassThrough() };
    case 'gzip':
      // zlib's default level: barman's tarfile uses 9, several times slower for a few percent.
      return { create: () => createGzip({ level: constants.Z_DEFAULT_COMPRESSION }) };
    case 'bzip2':
      return { create: bzip2Stream };
    case 'snappy':
      throw new InstanceError(
        'spec.backup.barmanObjectStore.data.compression "snappy" is not supported by the native base backup yet: use gzip or bzip2',
      );
    case 'lz4':
      throw new InstanceError(
        'spec.backup.barmanObjectStore.data.compression "lz4": barman-cloud base backups are gzip, bzip2 or snappy',
      );
  }
}
