// Cluster admission rules about how a cluster is born: the bootstrap method (initdb, recovery,
// pg_basebackup), logical imports, the recovery target and the sources recovery reads from
// (upstream internal/webhook/v1/cluster_webhook.go). Messages and field paths are upstream's,
// including their quirks (`spec.superusersecret.name`, `databases.0`), since users match on them.
import type { V1TypedLocalObjectReference } from '@kubernetes/client-node';
import type { Cluster, Import, RecoveryTarget } from './cluster-types.ts';
import { findExternalCluster } from './cluster-validation-topology.ts';
import { type FieldError, fieldErr } from './field-error.ts';

// ---------------------------------------------------------------------------------------------
// initdb and the application database (rules 1, 2, 3)

export function validateInitDB(cluster: Cluster): FieldError[] {
  const initdb = cluster.spec.bootstrap?.initdb;
  if (initdb === undefined) return [];
  const result = validateApplicationDatabase(initdb.database, initdb.owner, 'initdb');

  const walSegmentSize = initdb.walSegmentSize ?? 0;
  if (walSegmentSize !== 0 && !isPowerOfTwo(walSegmentSize)) {
    result.push(
      fieldErr.invalid('spec.bootstrap.initdb.walSegmentSize', walSegmentSize, 'WAL segment size must be a power of 2'),
    );
  }

  const refs = initdb.postInitApplicationSQLRefs;
  const base = 'spec.bootstrap.initdb.postInitApplicationSQLRefs';
  for (const item of refs?.secretRefs ?? []) {
    if (!item.name || !item.key) {
      result.push(fieldErr.invalid(`${base}.secretRefs`, item, 'key and name must be specified'));
    }
  }
  for (const item of refs?.configMapRefs ?? []) {
    if (!item.name || !item.key) {
      result.push(fieldErr.invalid(`${base}.configMapRefs`, item, 'key and name must be specified'));
    }
  }
  return result;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));

export function validateRecoveryApplicationDatabase(cluster: Cluster): FieldError[] {
  const recovery = cluster.spec.bootstrap?.recovery;
  return recovery === undefined ? [] : validateApplicationDatabase(recovery.database, recovery.owner, 'recovery');
}

export function validatePgBaseBackupApplicationDatabase(cluster: Cluster): FieldError[] {
  const pgBaseBackup = cluster.spec.bootstrap?.pg_basebackup;
  return pgBaseBackup === undefined
    ? []
    : validateApplicationDatabase(pgBaseBackup.database, pgBaseBackup.owner, 'pg_basebackup');
}

/** The application database and its owner go together: naming one requires the other. */
function validateApplicationDatabase(
  database: string | undefined,
  owner: string | undefined,
  method: 'initdb' | 'recovery' | 'pg_basebackup',
): FieldError[] {
  const result: FieldError[] = [];
  if (database && !owner) {
    result.push(fieldErr.invalid(`spec.bootstrap.${method}.owner`, '', 'You need to specify the database owner user'));
  }
  if (!database && owner) {
    result.push(fieldErr.invalid(`spec.bootstrap.${method}.database`, '', 'You need to specify the database name'));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Logical import (rules 4, 5, 6)

const IMPORT_PATH = 'spec.bootstrap.initdb.import';

export function validateImport(cluster: Cluster): FieldError[] {
  const spec = cluster.spec.bootstrap?.initdb?.import;
  if (spec === undefined) return [];
  switch (spec.type) {
    case 'microservice':
      return validateMicroservice(spec);
    case 'monolith':
      return validateMonolith(spec);
    default:
      return [fieldErr.invalid(`${IMPORT_PATH}.type`, spec.type, 'Unrecognized import type')];
  }
}

function validateMicroservice(spec: Import): FieldError[] {
  const databases = spec.databases ?? [];
  const result: FieldError[] = [];
  if (databases.length !== 1) {
    result.push(
      fieldErr.invalid(
        `${IMPORT_PATH}.databases`,
        databases,
        'You need to specify a single database for the `microservice` import type',
      ),
    );
  }
  // Upstream reports the databases (not the roles) as the offending value.
  if ((spec.roles ?? []).length !== 0) {
    result.push(
      fieldErr.invalid(
        `${IMPORT_PATH}.roles`,
        databases,
        'You cannot specify roles to import for the `microservice` import type',
      ),
    );
  }
  if (databases.length === 1 && databases[0]?.includes('*')) {
    result.push(
      fieldErr.invalid(
        `${IMPORT_PATH}.databases.0`,
        databases,
        'You cannot specify any wildcard for the `microservice` import type',
      ),
    );
  }
  return result;
}

function validateMonolith(spec: Import): FieldError[] {
  const databases = spec.databases ?? [];
  const roles = spec.roles ?? [];
  const result: FieldError[] = [];
  if (databases.length < 1) {
    result.push(
      fieldErr.invalid(
        `${IMPORT_PATH}.databases`,
        databases,
        'You need to specify at least a database for the `monolith` import type',
      ),
    );
  }
  if (databases.length > 1 && databases.includes('*')) {
    result.push(
      fieldErr.invalid(
        `${IMPORT_PATH}.databases`,
        databases,
        'Wildcard import cannot be used along other database names',
      ),
    );
  }
  if (roles.length > 1 && roles.includes('*')) {
    result.push(
      fieldErr.invalid(`${IMPORT_PATH}.roles`, databases, 'Wildcard import cannot be used along other role names'),
    );
  }
  const postImport = spec.postImportApplicationSQL ?? [];
  if (postImport.length > 0) {
    result.push(
      fieldErr.invalid(
        `${IMPORT_PATH}.postImportApplicationSQL`,
        postImport,
        'postImportApplicationSQL is not allowed for the `monolith` import type',
      ),
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Superuser secret and bootstrap method (rules 7, 10)

export function validateSuperuserSecret(cluster: Cluster): FieldError[] {
  const secret = cluster.spec.superuserSecret;
  if (secret === undefined || secret.name) return [];
  return [fieldErr.invalid('spec.superusersecret.name', '', "Super user secret name can't be empty")];
}

export function validateBootstrapMethod(cluster: Cluster): FieldError[] {
  const bootstrap = cluster.spec.bootstrap;
  if (bootstrap === undefined) return [];
  const methods = [bootstrap.initdb, bootstrap.recovery, bootstrap.pg_basebackup].filter((m) => m !== undefined);
  if (methods.length <= 1) return [];
  return [fieldErr.forbidden('spec.bootstrap', 'Only one bootstrap method can be specified at a time')];
}

// ---------------------------------------------------------------------------------------------
// Recovery target (rules 13 to 17)

const TARGET_PATH = 'spec.bootstrap.recovery.recoveryTarget';
// PostgreSQL's MAXFNAMELEN: restore point names are stored in 64 bytes, NUL included.
const MAX_TARGET_NAME_BYTES = 64;
const MAX_XID = 4294967295n;

export function validateRecoveryTarget(cluster: Cluster): FieldError[] {
  const recovery = cluster.spec.bootstrap?.recovery;
  const target = recovery?.recoveryTarget;
  if (recovery === undefined || target === undefined) return [];

  const result = validateTargetExclusiveness(target);

  if (target.targetTime && !isValidTargetTime(target.targetTime)) {
    result.push(fieldErr.invalid(TARGET_PATH, target.targetTime, 'The format of TargetTime is invalid'));
  }
  if (target.targetLSN && !isValidLSN(target.targetLSN)) {
    result.push(fieldErr.invalid(TARGET_PATH, target.targetLSN, 'Invalid TargetLSN'));
  }
  // A TransactionId is 32 bits wide: larger values would silently wrap to another transaction.
  if (target.targetXID && !(/^[0-9]+$/.test(target.targetXID) && BigInt(target.targetXID) <= MAX_XID)) {
    result.push(fieldErr.invalid(TARGET_PATH, target.targetXID, 'Invalid TargetXID'));
  }
  if (target.targetName) {
    if (Buffer.byteLength(target.targetName, 'utf8') >= MAX_TARGET_NAME_BYTES) {
      result.push(
        fieldErr.invalid(TARGET_PATH, target.targetName, 'Invalid TargetName: must be shorter than 64 bytes'),
      );
    }
    // Control characters would break the line-oriented configuration file the target lands in.
    if (hasAsciiControl(target.targetName)) {
      result.push(
        fieldErr.invalid(TARGET_PATH, target.targetName, 'Invalid TargetName: must not contain control characters'),
      );
    }
  }

  // Only a time-based target lets the operator pick the base backup from the catalog; a snapshot
  // recovery reads a given volume, so no backup ID is needed there.
  const labelBased = !!target.targetName || !!target.targetXID || target.targetImmediate !== undefined;
  if (labelBased && recovery.volumeSnapshots === undefined && !target.backupID) {
    result.push(fieldErr.required(TARGET_PATH, 'BackupID is missing'));
  }

  const tli = target.targetTLI ?? '';
  if (tli !== '' && tli !== 'latest' && !(isGoInt(tli) && Number(tli) >= 1)) {
    result.push(
      fieldErr.invalid(
        `${TARGET_PATH}.targetTLI`,
        target,
        "recovery target timeline can be set to 'latest' or a positive integer",
      ),
    );
  }
  return result;
}

const hasAsciiControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function validateTargetExclusiveness(target: RecoveryTarget): FieldError[] {
  const targets = [
    target.targetImmediate !== undefined,
    !!target.targetLSN,
    !!target.targetName,
    !!target.targetXID,
    !!target.targetTime,
  ].filter(Boolean).length;
  return targets > 1 ? [fieldErr.invalid(TARGET_PATH, target, 'Recovery target options are mutually exclusive')] : [];
}

/** strconv.Atoi: optional sign, decimal digits, within 64 bits. */
const isGoInt = (s: string): boolean =>
  /^[+-]?[0-9]+$/.test(s) && BigInt(s) <= 9223372036854775807n && BigInt(s) >= -9223372036854775808n;

/** strconv.ParseInt(s, 16, 64): optional sign, hexadecimal digits, within 64 bits. */
function isHexInt64(s: string): boolean {
  const m = /^([+-]?)([0-9a-fA-F]+)$/.exec(s);
  if (m === null) return false;
  const v = BigInt(`0x${m[2]}`);
  return m[1] === '-' ? v <= 9223372036854775808n : v <= 9223372036854775807n;
}

/** An LSN as `segment/displacement`, both in hexadecimal. */
function isValidLSN(lsn: string): boolean {
  const parts = lsn.split('/');
  return parts.length === 2 && parts.every(isHexInt64);
}

/**
 * The target time formats upstream accepts: PostgreSQL timestamps as lib/pq parses them
 * (`YYYY-MM-DD HH:MM:SS[.frac][±TZ[:MM[:SS]]|Z][ BC]`, field ranges unchecked) or RFC 3339 with
 * or without a zone (`YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]`, ranges checked).
 */
export function isValidTargetTime(s: string): boolean {
  return isPqTimestamp(s) || isRfc3339(s);
}

const ATOI_PART = /^[+-]?[0-9]+$/;

function isPqTimestamp(str: string): boolean {
  const monSep = str.indexOf('-');
  const atoi = (begin: number, end: number) =>
    begin >= 0 && end >= begin && end <= str.length && ATOI_PART.test(str.slice(begin, end));
  const expect = (c: string, at: number) => at >= 0 && at < str.length && str[at] === c;

  const daySep = monSep + 3;
  const timeSep = daySep + 3;
  if (!atoi(0, monSep) || !atoi(monSep + 1, daySep) || !expect('-', daySep) || !atoi(daySep + 1, timeSep)) {
    return false;
  }
  const isBC = str.endsWith(' BC');
  const minLen = monSep + '01-01'.length + 1 + (isBC ? 3 : 0);
  if (str.length > minLen) {
    const minSep = timeSep + 3;
    const secSep = minSep + 3;
    if (
      !expect(' ', timeSep) ||
      !expect(':', minSep) ||
      !atoi(timeSep + 1, minSep) ||
      !expect(':', secSep) ||
      !atoi(minSep + 1, secSep) ||
      !atoi(secSep + 1, secSep + 3)
    ) {
      return false;
    }
  }

  let rest = monSep + '01-01 00:00:00'.length + 1;
  if (rest < str.length && str[rest] === '.') {
    const fracStart = rest + 1;
    let fracLen = str.slice(fracStart).search(/[-+Z ]/);
    if (fracLen < 0) fracLen = str.length - fracStart;
    if (!atoi(fracStart, fracStart + fracLen)) return false;
    rest += fracLen + 1;
  }
  if (rest < str.length && (str[rest] === '-' || str[rest] === '+')) {
    if (!atoi(rest + 1, rest + 3)) return false;
    rest += 3;
    for (let i = 0; i < 2 && rest < str.length && str[rest] === ':'; i++) {
      if (!atoi(rest + 1, rest + 3)) return false;
      rest += 3;
    }
  } else if (rest < str.length && str[rest] === 'Z') {
    rest += 1;
  }
  if (isBC) rest += 3;
  return rest >= str.length;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-](\d{2}):(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Recovery and pg_basebackup sources (rules 25, 27, 28, 29)

export function validateBootstrapPgBaseBackupSource(cluster: Cluster): FieldError[] {
  const pgBaseBackup = cluster.spec.bootstrap?.pg_basebackup;
  if (pgBaseBackup === undefined || findExternalCluster(cluster, pgBaseBackup.source) !== undefined) return [];
  return [
    fieldErr.invalid(
      'spec.bootstrap.pg_basebackup.source',
      pgBaseBackup.source,
      `External cluster ${pgBaseBackup.source} not found`,
    ),
  ];
}

export function validateBootstrapRecoverySource(cluster: Cluster): FieldError[] {
  const source = cluster.spec.bootstrap?.recovery?.source;
  if (!source) return [];
  const result: FieldError[] = [];
  const externalCluster = findExternalCluster(cluster, source);
  if (externalCluster === undefined) {
    result.push(fieldErr.invalid('spec.bootstrap.recovery.source', source, `External cluster ${source} not found`));
  }
  // Recovery needs a backup catalog to read from, which only an object store or a plugin gives.
  if (externalCluster?.barmanObjectStore === undefined && externalCluster?.plugin === undefined) {
    result.push(
      fieldErr.invalid(
        'spec.bootstrap.recovery.source',
        source,
        `External cluster ${source} cannot be used for recovery: ` +
          'both Barman and CNPG-i plugin configurations are missing',
      ),
    );
  }
  return result;
}

export function validateBootstrapRecoveryDataSource(cluster: Cluster): FieldError[] {
  const recovery = cluster.spec.bootstrap?.recovery;
  const snapshots = recovery?.volumeSnapshots;
  if (recovery === undefined || snapshots === undefined) return [];

  const base = 'spec.bootstrap.recovery';
  if (recovery.backup !== undefined) {
    return [
      fieldErr.invalid(
        `${base}.backup`,
        recovery.backup,
        'Recovery from dataSource is not compatible with other types of recovery',
      ),
    ];
  }
  if (recovery.recoveryTarget?.backupID) {
    return [
      fieldErr.invalid(
        `${base}.recoveryTarget.backupID`,
        recovery.recoveryTarget.backupID,
        'Cannot specify a backupID when recovering using a DataSource',
      ),
    ];
  }

  const result = validateVolumeSnapshotSource(snapshots.storage, `${base}.storage`);
  const walPath = `${base}.dataSource.walStorage`;
  if (snapshots.walStorage !== undefined && cluster.spec.walStorage === undefined) {
    result.push(
      fieldErr.invalid(
        walPath,
        snapshots.walStorage,
        'A WAL storage configuration is required when recovering using a DataSource for WALs',
      ),
    );
    // Upstream checks the WAL source here and again below: a bad one is reported twice.
    result.push(...validateVolumeSnapshotSource(snapshots.walStorage, walPath));
  }
  if (snapshots.walStorage !== undefined) {
    result.push(...validateVolumeSnapshotSource(snapshots.walStorage, walPath));
  }
  return result;
}

/** A recovery volume comes from a VolumeSnapshot or an existing PersistentVolumeClaim. */
function validateVolumeSnapshotSource(ref: V1TypedLocalObjectReference, field: string): FieldError[] {
  const apiGroup = ref.apiGroup ?? '';
  const supported =
    (apiGroup === 'snapshot.storage.k8s.io' && ref.kind === 'VolumeSnapshot') ||
    (apiGroup === '' && ref.kind === 'PersistentVolumeClaim');
  return supported
    ? []
    : [fieldErr.invalid(field, ref, 'Only VolumeSnapshots and PersistentVolumeClaims are supported')];
}
