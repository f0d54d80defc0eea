// barman-cloud's object-store layout (barman/xlog.py, barman/cloud.py), so that what we write the
// barman-cloud tools read and the reverse:
//   <prefix>/<serverName>/wals/<timeline><log>/<segment>[.gz|.bz2|.xz|.snappy|.zst|.lz4]
//   <prefix>/<serverName>/wals/<timeline>.history[...]          (history files: no hash directory)
//   <prefix>/<serverName>/base/<backupId>/backup.info
//   <prefix>/<serverName>/base/<backupId>/<data|tablespaceOid>[_NNNN].tar[.gz|.bz2|.snappy]
import type { CompressionType } from '../api/v1/barman-types.ts';

/** The file-name extension barman-cloud-wal-archive gives each compression. */
export const WAL_EXTENSIONS: Record<CompressionType, string> = {
  gzip: '.gz',
  bzip2: '.bz2',
  xz: '.xz',
  snappy: '.snappy',
  zstd: '.zst',
  lz4: '.lz4',
};

/** The extension barman-cloud-backup gives a tar for each compression it streams. */
export const TAR_EXTENSIONS: Partial<Record<CompressionType, string>> = {
  gzip: '.gz',
  bzip2: '.bz2',
  snappy: '.snappy',
};

export type XlogKind = 'segment' | 'partial' | 'backup-label' | 'history';

export interface XlogName {
  /** The name PostgreSQL gives the file (no compression extension). */
  name: string;
  kind: XlogKind;
  timeline: number;
  /** The segment's log and segment numbers (undefined for history files). */
  log?: number;
  seg?: number;
  /** The compression its extension says, for names read from the store. */
  compression?: CompressionType;
}

const XLOG_RE = /^([0-9A-Fa-f]{8})(?:([0-9A-Fa-f]{8})([0-9A-Fa-f]{8})(\.[0-9A-Fa-f]{8}\.backup|\.partial)?|\.history)$/;

/** A WAL, partial, backup-label or history file name, with or without a compression extension. */
export function parseXlogName(fileName: string): XlogName | undefined {
  let name = fileName;
  let compression: CompressionType | undefined;
  for (const [type, ext] of Object.entries(WAL_EXTENSIONS) as [CompressionType, string][]) {
    if (name.endsWith(ext)) {
      name = name.slice(0, -ext.length);
      compression = type;
      break;
    }
  }
  const m = XLOG_RE.exec(name);
  if (m === null) return undefined;
  const timeline = Number.parseInt(m[1] as string, 16);
  if (m[2] === undefined) return { name, kind: 'history', timeline, compression };
  const kind: XlogKind = m[4] === undefined ? 'segment' : m[4] === '.partial' ? 'partial' : 'backup-label';
  return {
    name,
    kind,
    timeline,
    log: Number.parseInt(m[2], 16),
    seg: Number.parseInt(m[3] as string, 16),
    compression,
  };
}

/** barman's hash directory: timeline and log id (16 hex digits); '' for history files. */
export function walHashDir(xlog: XlogName): string {
  return xlog.kind === 'history' ? '' : xlog.name.slice(0, 16).toUpperCase();
}

/** barman's backup id: the backup's start as `%Y%m%dT%H%M%S` in the local time zone. */
export function backupIdFor(start: Date): string {
  const p = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${p(start.getFullYear(), 4)}${p(start.getMonth() + 1)}${p(start.getDate())}` +
    `T${p(start.getHours())}${p(start.getMinutes())}${p(start.getSeconds())}`
  );
}

/** Where one server's backups and WAL live below a destination prefix. */
export class BarmanLayout {
  /** `<prefix>/<serverName>/`: everything of this server. */
  readonly serverPrefix: string;
  readonly walsPrefix: string;
  readonly basePrefix: string;

  constructor(destinationPrefix: string, serverName: string) {
    const root = destinationPrefix === '' ? '' : `${destinationPrefix.replace(/\/+$/, '')}/`;
    this.serverPrefix = `${root}${serverName}/`;
    this.walsPrefix = `${this.serverPrefix}wals/`;
    this.basePrefix = `${this.serverPrefix}base/`;
  }

  /** The key of a WAL, partial, backup-label or history file, compressed with `compression`. */
  walKey(fileName: string, compression?: CompressionType): string {
    const xlog = parseXlogName(fileName);
    if (xlog === undefined || xlog.compression !== undefined) {
      throw new Error(`"${fileName}" is not a WAL, partial, backup label or history file name`);
    }
    const dir = walHashDir(xlog);
    const ext = compression === undefined ? '' : WAL_EXTENSIONS[compression];
    return `${this.walsPrefix}${dir === '' ? '' : `${dir}/`}${xlog.name}${ext}`;
  }

  /** The WAL file a key of this server's wals/ holds, or undefined for anything else. */
  parseWalKey(key: string): XlogName | undefined {
    if (!key.startsWith(this.walsPrefix)) return undefined;
    const rest = key.slice(this.walsPrefix.length);
    const slash = rest.lastIndexOf('/');
    const xlog = parseXlogName(rest.slice(slash + 1));
    if (xlog === undefined || rest.slice(0, Math.max(0, slash)) !== walHashDir(xlog)) return undefined;
    return xlog;
  }

  backupPrefix(backupId: string): string {
    return `${this.basePrefix}${backupId}/`;
  }

  backupInfoKey(backupId: string): string {
    return `${this.backupPrefix(backupId)}backup.info`;
  }

  /** A base backup's tar: `data` for PGDATA or a tablespace OID; `part` > 0 past the size limit. */
  tarKey(backupId: string, name: string, part = 0, compression?: CompressionType): string {
    let ext = '';
    if (compression !== undefined) {
      const tarExt = TAR_EXTENSIONS[compression];
      if (tarExt === undefined) throw new Error(`barman-cloud-backup does not write ${compression}-compressed tars`);
      ext = tarExt;
    }
    const suffix = part > 0 ? `_${String(part).padStart(4, '0')}` : '';
    return `${this.backupPrefix(backupId)}${name}${suffix}.tar${ext}`;
  }

  /** The backup id of a key under base/ (`.../base/<id>/...`), or undefined. */
  parseBackupKey(key: string): string | undefined {
    if (!key.startsWith(this.basePrefix)) return undefined;
    const id = key.slice(this.basePrefix.length).split('/')[0] ?? '';
    return id === '' ? undefined : id;
  }
}
