// barman's backup.info: one `key=value` line per field, sorted by key, values as barman's
// BackupInfo dumps them (Python reprs for labels, lists and dicts, `str(datetime)` for times,
// `None` for unset). We write exactly the fields barman 3.4 knows (Debian's barman-cli-cloud
// refuses a backup.info with a field it does not know) and read every barman version's.
import { type ParsedPyValue, PyFloat, type PyValue, parsePyLiteral, pyRepr, PyTuple } from './python-literal.ts';

export type BackupStatus = 'EMPTY' | 'STARTED' | 'FAILED' | 'WAITING_FOR_WALS' | 'DONE' | 'SYNCING';

export interface Tablespace {
  name: string;
  oid: number;
  location: string;
}

/** A time as barman stores it: the text (kept for a faithful round trip) and the instant. */
export interface BarmanTime {
  text: string;
  date: Date;
}

export interface BackupInfo {
  backupId: string;
  backupName?: string;
  backupLabel?: string;
  beginOffset?: number;
  beginTime?: BarmanTime;
  beginWal?: string;
  beginXlog?: string;
  compression?: string;
  configFile?: string;
  copyStats?: Record<string, PyValue>;
  endOffset?: number;
  endTime?: BarmanTime;
  endWal?: string;
  endXlog?: string;
  error?: string;
  hbaFile?: string;
  identFile?: string;
  includedFiles?: string[];
  mode?: string;
  pgdata?: string;
  serverName?: string;
  size?: number;
  status: BackupStatus;
  systemid?: string;
  tablespaces?: Tablespace[];
  timeline?: number;
  /** server_version_num: 150010 for 15.10. */
  version?: number;
  xlogSegmentSize?: number;
  /** Fields of newer barman versions we do not interpret (data_checksums, cluster_size...), raw. */
  extra: Record<string, string>;
}

/** barman's default WAL segment size, used when backup.info does not say. */
export const DEFAULT_XLOG_SEGMENT_SIZE = 16 * 1024 * 1024;

/**
 * `str(datetime)` in UTC, as Python prints a timezone-aware datetime: `2024-05-01 10:11:12.345678+00:00`
 * (no fraction when the microseconds are zero). `micros` are the microseconds within the second.
 */
export function pythonUtcTime(date: Date, micros = date.getUTCMilliseconds() * 1000): BarmanTime {
  const iso = date.toISOString(); // 2024-05-01T10:11:12.345Z
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`;
  return { text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`, date };
}

/** Parses barman's time text (`str(datetime)`, with or without offset, or ISO 8601). */
export function parseBarmanTime(text: string): BarmanTime {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (m === null) throw new Error(`not a barman time: ${JSON.stringify(text)}`);
  const fraction = (m[3] ?? '').slice(0, 4).padEnd(m[3] === undefined ? 0 : 4, '0');
  let zone = m[4];
  if (zone !== undefined && zone !== 'Z') {
    // +0100 / +01:00 / +01:00:00 -> +01:00 (seconds offsets do not occur in practice).
    const digits = zone.replaceAll(':', '');
    zone = `${digits.slice(0, 3)}:${digits.slice(3, 5)}`;
  }
  // A naive time is local time, as barman's load_datetime_tz reads it.
  const date = new Date(`${m[1]}T${m[2]}${fraction}${zone ?? ''}`);
  if (Number.isNaN(date.getTime())) throw new Error(`not a barman time: ${JSON.stringify(text)}`);
  return { text: text.trim(), date };
}

type FieldKind = 'str' | 'int' | 'time' | 'literal';

interface FieldDef {
  /** Undefined: a field barman 3.4 knows and we do not model (written as None, read into `extra`). */
  key?: Exclude<keyof BackupInfo, 'extra' | 'backupId'>;
  kind: FieldKind;
  /** barman leaves these out when unset (its `_hide_if_null`). */
  hideIfNull?: boolean;
}

/** barman 3.4's BackupInfo fields, by their backup.info names (sorted, as barman writes them). */
const FIELDS: Record<string, FieldDef> = {
  backup_label: { key: 'backupLabel', kind: 'literal' },
  backup_name: { key: 'backupName', kind: 'str', hideIfNull: true },
  begin_offset: { key: 'beginOffset', kind: 'int' },
  begin_time: { key: 'beginTime', kind: 'time' },
  begin_wal: { key: 'beginWal', kind: 'str' },
  begin_xlog: { key: 'beginXlog', kind: 'str' },
  compression: { key: 'compression', kind: 'str' },
  config_file: { key: 'configFile', kind: 'str' },
  copy_stats: { key: 'copyStats', kind: 'literal' },
  deduplicated_size: { kind: 'int' },
  end_offset: { key: 'endOffset', kind: 'int' },
  end_time: { key: 'endTime', kind: 'time' },
  end_wal: { key: 'endWal', kind: 'str' },
  end_xlog: { key: 'endXlog', kind: 'str' },
  error: { key: 'error', kind: 'str' },
  hba_file: { key: 'hbaFile', kind: 'str' },
  ident_file: { key: 'identFile', kind: 'str' },
  included_files: { key: 'includedFiles', kind: 'literal' },
  mode: { key: 'mode', kind: 'str' },
  pgdata: { key: 'pgdata', kind: 'str' },
  server_name: { key: 'serverName', kind: 'str' },
  size: { key: 'size', kind: 'int' },
  snapshots_info: { kind: 'literal', hideIfNull: true },
  status: { key: 'status', kind: 'str' },
  systemid: { key: 'systemid', kind: 'str' },
  tablespaces: { key: 'tablespaces', kind: 'literal' },
  timeline: { key: 'timeline', kind: 'int' },
  version: { key: 'version', kind: 'int' },
  xlog_segment_size: { key: 'xlogSegmentSize', kind: 'int' },
};

function dumpValue(name: string, info: BackupInfo): string | undefined {
  const def = FIELDS[name] as FieldDef;
  const value = def.key === undefined ? undefined : info[def.key];
  if (value === undefined || value === null) return def.hideIfNull ? undefined : 'None';
  switch (name) {
    case 'backup_label':
      return value === '' ? 'None' : pyRepr(value as string);
    case 'tablespaces': {
      const list = value as Tablespace[];
      return list.length === 0 ? 'None' : pyRepr(list.map((t) => new PyTuple([t.name, t.oid, t.location])));
    }
    case 'included_files': {
      const list = value as string[];
      return list.length === 0 ? 'None' : pyRepr(list);
    }
    case 'copy_stats': {
      const stats = value as Record<string, PyValue>;
      return Object.keys(stats).length === 0 ? 'None' : pyRepr(stats);
    }
    default:
      if (def.kind === 'time') return (value as BarmanTime).text;
      return String(value);
  }
}

/** The backup.info text of `info`, byte for byte as barman 3.4's BackupInfo.save writes it. */
export function formatBackupInfo(info: BackupInfo): string {
  let out = '';
  for (const name of Object.keys(FIELDS).sort()) {
    const value = dumpValue(name, info);
    if (value !== undefined) out += `${name}=${value}\n`;
  }
  return out;
}

const asString = (v: ParsedPyValue, field: string): string => {
  if (typeof v !== 'string') throw new Error(`${field} is not a string`);
  return v;
};

function loadTablespaces(v: ParsedPyValue): Tablespace[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new Error('tablespaces is not a list');
  return v.map((item) => {
    if (!Array.isArray(item) || item.length !== 3) throw new Error('a tablespace is not (name, oid, location)');
    const [name, oid, location] = item;
    return {
      name: asString(name ?? null, 'a tablespace name'),
      oid: Number(oid),
      location: asString(location ?? null, 'a tablespace location'),
    };
  });
}

/**
 * Parses a backup.info (ours or any barman version's). `backupId` is the directory it was read
 * from, as barman names the backup by it. Throws naming the line that is not valid.
 */
export function parseBackupInfo(text: string, backupId: string): BackupInfo {
  const info: BackupInfo = { backupId, status: 'EMPTY', extra: {} };
  const fields = info as unknown as Record<string, unknown>;
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`backup.info line ${index + 1} is not key=value: ${JSON.stringify(line)}`);
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const def = FIELDS[name];
    if (def?.key === undefined) {
      info.extra[name] = value;
      continue;
    }
    if (value === 'None') continue;
    try {
      switch (def.kind) {
        case 'str':
          fields[def.key] = value;
          break;
        case 'int': {
          if (!/^-?\d+$/.test(value)) throw new Error('not an integer');
          fields[def.key] = Number(value);
          break;
        }
        case 'time':
          fields[def.key] = parseBarmanTime(value);
          break;
        case 'literal': {
          const parsed = parsePyLiteral(value);
          if (name === 'tablespaces') info.tablespaces = loadTablespaces(parsed);
          else if (name === 'backup_label') info.backupLabel = asString(parsed, name);
          else if (name === 'included_files')
            info.includedFiles = (parsed as ParsedPyValue[]).map((f) => asString(f, name));
          else info.copyStats = parsed as Record<string, PyValue>;
          break;
        }
      }
    } catch (err) {
      throw new Error(`backup.info line ${index + 1} (${name}): ${(err as Error).message}`);
    }
  }
  return info;
}

/** A float for copy_stats (seconds). */
export const seconds = (ms: number): PyFloat => new PyFloat(ms / 1000);
