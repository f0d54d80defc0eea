// The tar format barman's tars use (POSIX ustar, with pax extended headers when a name or a
// number does not fit), produced as buffers so an archive streams with bounded memory.

export const BLOCK = 512;
/** Python's tarfile pads a closed archive to a multiple of 20 blocks; so do we. */
const RECORD = 20 * BLOCK;

export type EntryType = 'file' | 'directory' | 'symlink';

export interface TarEntry {
  /** The path in the archive, relative, `/`-separated; a directory's may omit its trailing `/`. */
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
}

const TYPE_FLAG: Record<EntryType, string> = { file: '0', directory: '5', symlink: '2' };

/** Writes `value` as a NUL-terminated octal field of `width` bytes; false when it does not fit. */
function writeOctal(block: Buffer, offset: number, width: number, value: number): boolean {
  const digits = Math.floor(value).toString(8);
  if (value < 0 || digits.length > width - 1) {
    block.write('0'.repeat(width - 1), offset, 'ascii');
    return false;
  }
  block.write(digits.padStart(width - 1, '0'), offset, 'ascii');
  return true;
}

function writeString(block: Buffer, offset: number, width: number, value: string): boolean {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > width) return false;
  bytes.copy(block, offset);
  return true;
}

/** `name` split into ustar's prefix (155 bytes) and name (100 bytes), if it can be. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return { prefix, name: rest };
  }
  return undefined;
}

function checksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
}

function ustarBlock(
  e: TarEntry,
  name: string,
  prefix: string,
  linkname: string,
  typeFlag: string,
  size: number,
): {
  block: Buffer;
  fits: boolean;
} {
  const block = Buffer.alloc(BLOCK);
  let fits = writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, e.mode & 0o7777);
  fits = writeOctal(block, 108, 8, e.uid) && fits;
  fits = writeOctal(block, 116, 8, e.gid) && fits;
  fits = writeOctal(block, 124, 12, size) && fits;
  fits = writeOctal(block, 136, 12, e.mtime) && fits;
  block.write(typeFlag, 156, 'ascii');
  fits = writeString(block, 157, 100, linkname) && fits;
  block.write('ustar\u000000', 257, 'ascii');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  fits = writeString(block, 345, 155, prefix) && fits;
  checksum(block);
  return { block, fits };
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  // The length counts its own digits, which may add a digit to it.
  let length = bytes + String(bytes).length;
  if (String(length).length + bytes !== length) length = String(length).length + bytes;
  return `${length}${body}`;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** The header block(s) of `entry`: a pax header first when a field does not fit in ustar's. */
export function entryHeader(entry: TarEntry): Buffer {
  const isDir = entry.type === 'directory';
  const name = isDir && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  const size = entry.type === 'file' ? entry.size : 0;
  const linkname = entry.linkname ?? '';
  const split = splitName(name);
  const plain = ustarBlock(entry, split?.name ?? '', split?.prefix ?? '', linkname, TYPE_FLAG[entry.type], size);
  if (split !== undefined && plain.fits) return plain.block;
  let records = '';
  if (split === undefined) records += paxRecord('path', name);
  if (Buffer.byteLength(linkname) > 100) records += paxRecord('linkpath', linkname);
  if (size >= 8 ** 11) records += paxRecord('size', String(size));
  if (entry.uid >= 8 ** 7) records += paxRecord('uid', String(entry.uid));
  if (entry.gid >= 8 ** 7) records += paxRecord('gid', String(entry.gid));
  if (entry.mtime >= 8 ** 11) records += paxRecord('mtime', String(entry.mtime));
  const paxBody = Buffer.from(records, 'utf8');
  const paxHeader = ustarBlock({ ...entry, mode: 0o644 }, '././@PaxHeader', '', '', 'x', paxBody.length).block;
  // The ustar header keeps what fits; readers take the rest from the pax records.
  // Readers without pax support get an ASCII truncation of the name.
  const short = split ?? { prefix: '', name: name.replace(/[^\x20-\x7e]/g, '_').slice(0, 100) };
  const main = ustarBlock(
    entry,
    short.name,
    short.prefix,
    Buffer.byteLength(linkname) > 100 ? '' : linkname,
    TYPE_FLAG[entry.type],
    size,
  ).block;
  return Buffer.concat([paxHeader, paxBody, padding(paxBody.length), main]);
}

/** The zero padding after `size` bytes of file content. */
export const contentPadding = padding;

/** The end of an archive: two zero blocks, then zeros up to a whole record, after `written` bytes. */
export function endOfArchive(written: number): Buffer {
  const end = written + 2 * BLOCK;
  return Buffer.alloc(2 * BLOCK + ((RECORD - (end % RECORD)) % RECORD));
}
