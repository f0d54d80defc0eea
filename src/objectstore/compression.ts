// The compressions barman-cloud writes, as Node streams. Node's zlib does gzip and zstd natively;
// bzip2, xz, snappy and lz4 have no maintained, small pure-JavaScript implementation worth the
// instance manager's footprint, so they are refused by name (the user can pick gzip or zstd).
import type { Transform } from 'node:stream';
import { createGunzip, createGzip, createZstdCompress, createZstdDecompress, constants } from 'node:zlib';
import type { CompressionType } from '../api/v1/barman-types.ts';

export const NATIVE_COMPRESSIONS: readonly CompressionType[] = ['gzip', 'zstd'];

export class UnsupportedCompressionError extends Error {
  override readonly name = 'UnsupportedCompressionError';
}

function refuse(type: CompressionType, what: string): never {
  throw new UnsupportedCompressionError(
    `${what}: ${type} compression is not supported (supported: ${NATIVE_COMPRESSIONS.join(', ')}, or none)`,
  );
}

/** A stream compressing to `type` at the libraries' default levels (gzip 6, zstd 3). */
export function compressStream(type: CompressionType, what: string): Transform {
  if (type === 'gzip') return createGzip();
  if (type === 'zstd') return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3 } });
  return refuse(type, what);
}

export function decompressStream(type: CompressionType, what: string): Transform {
  if (type === 'gzip') return createGunzip();
  if (type === 'zstd') return createZstdDecompress();
  return refuse(type, what);
}
