// Cluster admission rules about volumes: data, WAL and tablespace storage sizes, ephemeral
// volumes, tablespace names, and what an update may change about them (upstream
// internal/webhook/v1/cluster_webhook.go). Messages and field paths are upstream's.
import type { Cluster, StorageConfiguration } from './cluster-types.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import { formatQuantity, parseQuantityExact, type Quantity, QuantityError } from './quantity.ts';

/** Parses a quantity, or undefined when it does not parse. */
function tryQuantity(value: string | number | undefined): Quantity | undefined {
  if (value === undefined) return undefined;
  try {
    return parseQuantityExact(value);
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

/** The storage request of the PVC template; zero when absent, as ResourceList.Storage() gives. */
function pvcTemplateStorageRequest(storage: StorageConfiguration): Quantity {
  const request = storage.pvcTemplate?.resources?.requests?.storage;
  return tryQuantity(request) ?? { nanos: 0n, format: 'DecimalSI' };
}

/** The requested size: `size` when set (undefined if it does not parse), else the PVC template's. */
function storageSizeOrUndefined(storage: StorageConfiguration | undefined): Quantity | undefined {
  if (storage === undefined) return undefined;
  if (storage.size) return tryQuantity(storage.size);
  if (storage.pvcTemplate !== undefined) return pvcTemplateStorageRequest(storage);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Sizes (rule 21) and ephemeral volumes (rule 22)

function validateStorageConfigurationSize(base: string, storage: StorageConfiguration | undefined): FieldError[] {
  const size = storage?.size ?? '';
  const result: FieldError[] = [];
  if (size !== '' && tryQuantity(size) === undefined) {
    result.push(fieldErr.invalid(`${base}.size`, size, "Size value isn't valid"));
  }
  if (size === '' && (storage?.pvcTemplate === undefined || pvcTemplateStorageRequest(storage).nanos === 0n)) {
    result.push(
      fieldErr.invalid(
        `${base}.size`,
        size,
        'Size not configured. Please add it, or a storage request in the pvcTemplate.',
      ),
    );
  }
  return result;
}

export function validateStorageSize(cluster: Cluster): FieldError[] {
  return validateStorageConfigurationSize('spec.storage', cluster.spec.storage);
}

export function validateWalStorageSize(cluster: Cluster): FieldError[] {
  const walStorage = cluster.spec.walStorage;
  return walStorage === undefined ? [] : validateStorageConfigurationSize('spec.walStorage', walStorage);
}

export function validateTablespaceStorageSize(cluster: Cluster): FieldError[] {
  return (cluster.spec.tablespaces ?? []).flatMap((tablespace, idx) =>
    validateStorageConfigurationSize(path('spec', 'tablespaces').index(idx).text, tablespace.storage),
  );
}

export function validateEphemeralVolumeSource(cluster: Cluster): FieldError[] {
  if (cluster.spec.ephemeralVolumeSource === undefined) return [];
  if (cluster.spec.ephemeralVolumesSizeLimit?.temporaryData === undefined) return [];
  return [
    fieldErr.duplicate(
      'spec.ephemeralVolumeSource',
      'Conflicting settings: provide either ephemeralVolumeSource or ephemeralVolumesSizeLimit.TemporaryData, not both.',
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Tablespaces (rules 24, 26)

const POSTGRES_IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_$]*$/;
const POSTGRES_IDENTIFIER_MAX_LEN = 63;

/** Why a tablespace name is not acceptable to PostgreSQL, or undefined when it is. */
function tablespaceNameProblem(name: string): string | undefined {
  if (name.startsWith('pg_')) return "tablespace names beginning 'pg_' are reserved for Postgres";
  if (!POSTGRES_IDENTIFIER.test(name)) {
    return (
      'tablespace names must be valid Postgres identifiers: ' +
      "alphanumeric characters, '_', '$', and must start with a letter or an underscore"
    );
  }
  if (name.length > POSTGRES_IDENTIFIER_MAX_LEN) return 'the maximum length of an identifier is 63 characters';
  return undefined;
}

/**
 * The pod volume name of a tablespace: `tbs-` and the name made a lower-case RFC 1123 label
 * (a leading `_` becomes `1`, `$` and `_` become `-`), so `a_b` and `a$b` share a volume.
 */
export function tablespaceVolumeName(name: string): string {
  const k8sName = (name.startsWith('_') ? `1${name.slice(1)}` : name).replaceAll('$', '-').replaceAll('_', '-');
  return `tbs-${k8sName.toLowerCase()}`;
}

export function validateTablespaceNames(cluster: Cluster): FieldError[] {
  const tablespaces = cluster.spec.tablespaces;
  if (tablespaces === undefined) return [];
  const result: FieldError[] = [];
  const seen = new Set<string>();
  const volumes = new Set<string>();
  tablespaces.forEach(({ name }, idx) => {
    const field = path('spec', 'tablespaces').index(idx).text;
    // PostgreSQL folds unquoted identifiers, so names differing only in case are the same.
    if (seen.has(name.toLowerCase())) {
      result.push(fieldErr.invalid(field, name, 'duplicate tablespace name'));
      return;
    }
    seen.add(name.toLowerCase());
    const problem = tablespaceNameProblem(name);
    if (problem !== undefined) {
      result.push(fieldErr.invalid(field, name, problem));
      return;
    }
    const volume = tablespaceVolumeName(name);
    if (volumes.has(volume)) {
      result.push(
        fieldErr.invalid(
          field,
          name,
          `tablespace name results in duplicate volume name ${JSON.stringify(volume)} after sanitization`,
        ),
      );
    }
    volumes.add(volume);
  });
  return result;
}

export function validateTablespaceBackupSnapshot(cluster: Cluster): FieldError[] {
  const classNames = cluster.spec.backup?.volumeSnapshot?.tablespaceClassName ?? {};
  const declared = new Set((cluster.spec.tablespaces ?? []).map((t) => t.name));
  return Object.keys(classNames)
    .filter((name) => !declared.has(name))
    .map((name) =>
      fieldErr.invalid(
        'spec.backup.volumeSnapshot.tablespaceClassName',
        name,
        `specified the VolumeSnapshot backup configuration for the tablespace: ${name}, ` +
          "but it can't be found in the '.spec.tablespaces' stanza",
      ),
    );
}

// ---------------------------------------------------------------------------------------------
// Update rules (U3, U4, U5)

/** A volume can grow but never shrink; unreadable sizes are left to the create rules. */
function validateStorageConfigurationChange(
  base: string,
  oldStorage: StorageConfiguration | undefined,
  newStorage: StorageConfiguration | undefined,
): FieldError[] {
  const oldSize = storageSizeOrUndefined(oldStorage);
  const newSize = storageSizeOrUndefined(newStorage);
  if (oldSize === undefined || newSize === undefined || oldSize.nanos <= newSize.nanos) return [];
  const rendered = formatQuantity(newSize);
  return [
    fieldErr.invalid(base, rendered, `can't shrink existing storage from ${formatQuantity(oldSize)} to ${rendered}`),
  ];
}

export function validateStorageChange(cluster: Cluster, old: Cluster): FieldError[] {
  return validateStorageConfigurationChange('spec.storage', old.spec.storage, cluster.spec.storage);
}

export function validateWalStorageChange(cluster: Cluster, old: Cluster): FieldError[] {
  if (old.spec.walStorage === undefined) return [];
  if (cluster.spec.walStorage === undefined) {
    return [fieldErr.invalid('spec.walStorage', null, 'walStorage cannot be disabled once configured')];
  }
  return validateStorageConfigurationChange('spec.walStorage', old.spec.walStorage, cluster.spec.walStorage);
}

export function validateTablespacesChange(cluster: Cluster, old: Cluster): FieldError[] {
  const oldTablespaces = old.spec.tablespaces;
  if (oldTablespaces === undefined) return [];
  const tablespaces = cluster.spec.tablespaces;
  if (tablespaces === undefined) {
    return [fieldErr.invalid('spec.tablespaces', null, 'tablespaces section cannot be deleted once created')];
  }
  return oldTablespaces.flatMap((oldConf, idx) => {
    const field = path('spec', 'tablespaces').index(idx).text;
    const newConf = tablespaces.find((t) => t.name === oldConf.name);
    if (newConf === undefined) {
      return [fieldErr.invalid(field, tablespaces, 'no tablespace can be deleted once created')];
    }
    return validateStorageConfigurationChange(field, oldConf.storage, newConf.storage);
  });
}

// ---------------------------------------------------------------------------------------------
// Warnings

/** Settings given twice where one silently wins: say which one. */
function storageConfigurationWarnings(base: string, storage: StorageConfiguration | undefined): string[] {
  const template = storage?.pvcTemplate;
  if (storage === undefined || template === undefined) return [];
  const result: string[] = [];
  if (storage.storageClass !== undefined && template.storageClassName !== undefined) {
    const storageClass = `${base}.storageClass`;
    result.push(
      `${storageClass} and ${base}.pvcTemplate.storageClassName are both specified, ${storageClass} value will be used.`,
    );
  }
  if (storage.size && pvcTemplateStorageRequest(storage).nanos !== 0n) {
    const size = `${base}.size`;
    result.push(
      `${size} and ${base}.pvcTemplate.resources.requests.storage are both specified, ${size} value will be used.`,
    );
  }
  return result;
}

export function storageWarnings(cluster: Cluster): string[] {
  return [
    ...storageConfigurationWarnings('spec.storage', cluster.spec.storage),
    ...storageConfigurationWarnings('spec.walStorage', cluster.spec.walStorage),
  ];
}
