// Cluster admission rules about the PostgreSQL image and configuration (upstream
// internal/webhook/v1/cluster_webhook.go): image name and pull policy, postgresql.conf parameters,
// synchronous replication, failover quorum, LDAP, replication slots, logical decoding slot
// synchronization, the update-only rules on image, parameters, slots and wal_level, and the
// admission warnings about them. Messages and field paths are upstream's, quirks included.
import type { Cluster, ClusterStatus, StorageConfiguration } from './cluster-types.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import { parseImageReference, parseVersionTag, postgresMajorOfSpec } from './image-version.ts';
import {
  isBareInteger,
  isManagedExtensionUsed,
  isValidParameterName,
  parsePostgresBoolean,
  parsePostgresMemory,
  RESERVED_PARAMETERS,
  sanitizedParameters,
} from './postgres-parameters.ts';
import { parseQuantity } from './quantity.ts';

export const FAILOVER_QUORUM_ANNOTATION = 'alpha.cnpg.io/failoverQuorum';
export const SKIP_WAL_ARCHIVING_ANNOTATION = 'cnpg.io/skipWalArchiving';
export const SYNC_TOPOLOGY_CONDITION = 'SyncReplicationTopologySatisfied';

const PULL_POLICIES = ['Always', 'Never', 'IfNotPresent'] as const;
const WAL_LEVELS = ['logical', 'replica', 'minimal'] as const;

// ---------------------------------------------------------------------------------------------
// Cluster helpers shared by the validation modules (upstream api/v1/cluster_funcs.go).

/** Upstream's IsReplica: `replica.enabled` when set, otherwise this cluster is not the primary one. */
export function isReplicaCluster(cluster: Cluster): boolean {
  const replica = cluster.spec.replica;
  if (replica === undefined) return false;
  if (replica.enabled !== undefined) return replica.enabled;
  const self = replica.self ? replica.self : (cluster.metadata?.name ?? '');
  return self !== (replica.primary ?? '');
}

export function annotationOf(cluster: Cluster, name: string): string | undefined {
  return cluster.metadata?.annotations?.[name];
}

export function isWalArchivingDisabled(cluster: Cluster): boolean {
  return annotationOf(cluster, SKIP_WAL_ARCHIVING_ANNOTATION) === 'enabled';
}

/** The PostgreSQL major of the cluster, or undefined when the image tag does not parse. */
export function clusterMajorVersion(cluster: Cluster): number | undefined {
  try {
    return postgresMajorOfSpec(cluster.spec);
  } catch {
    return undefined;
  }
}

const parametersOf = (cluster: Cluster): Record<string, string> => cluster.spec.postgresql?.parameters ?? {};

/** Go's strconv.ParseBool. */
function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/**
 * Compiles a Go (RE2) regular expression as JavaScript, rejecting what RE2 rejects among the
 * constructs the two dialects read differently (lookarounds, backreferences).
 */
export function compileGoRegExp(pattern: string): RegExp {
  if (/\(\?<?[=!]/.test(pattern)) throw new Error(`error parsing regexp: invalid or unsupported Perl syntax`);
  if (/\\[1-9]/.test(pattern)) throw new Error(`error parsing regexp: invalid escape sequence`);
  let source = pattern.replaceAll('(?P<', '(?<').replaceAll('\\A', '^').replaceAll('\\z', '$');
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    flags = [...new Set((leading[1] ?? '').replaceAll('U', ''))].join('');
    source = source.slice(leading[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new Error(`error parsing regexp: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Image (rules 11, 12)

export function validateImageName(cluster: Cluster): FieldError[] {
  const image = cluster.spec.imageName;
  // Empty: the default image or the catalog's is used.
  if (!image) return [];
  const field = path('spec', 'imageName').text;
  const tag = parseImageReference(image).tag;
  if (tag === 'latest') {
    return [fieldErr.invalid(field, image, "Can't use 'latest' as image tag as we can't detect upgrades")];
  }
  if (tag === '') {
    return [fieldErr.invalid(field, image, "Can't use just the image sha as we can't detect upgrades")];
  }
  try {
    parseVersionTag(tag);
  } catch {
    return [fieldErr.invalid(field, image, 'invalid version tag')];
  }
  return [];
}

export function validateImagePullPolicy(cluster: Cluster): FieldError[] {
  const policy = cluster.spec.imagePullPolicy;
  if (policy === undefined || policy === '' || (PULL_POLICIES as readonly string[]).includes(policy)) return [];
  return [
    fieldErr.invalid(
      path('spec', 'imagePullPolicy').text,
      policy,
      "invalid imagePullPolicy, if defined must be one of 'Always', 'Never' or 'IfNotPresent'",
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL configuration (rules 39-49)

const parameterPath = (name: string): string => path('spec', 'postgresql', 'parameters').child(name).text;

/** A boolean parameter, when set: its value, or the error upstream reports for a non-boolean. */
function booleanParameter(cluster: Cluster, name: string): { value?: boolean; error?: FieldError } {
  const raw = parametersOf(cluster)[name];
  if (raw === undefined) return {};
  const value = parsePostgresBoolean(raw);
  if (value === undefined) {
    return {
      error: fieldErr.invalid(parameterPath(name), raw, `invalid \`${name}\` value. Must be a postgres boolean`),
    };
  }
  return { value };
}

export function validateConfiguration(cluster: Cluster): FieldError[] {
  const errors: FieldError[] = [];
  const spec = cluster.spec;
  const synchronous = spec.postgresql?.synchronous;
  if (synchronous !== undefined && ((spec.minSyncReplicas ?? 0) > 0 || (spec.maxSyncReplicas ?? 0) > 0)) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'postgresql', 'synchronous').text,
        synchronous,
        "Can't have both legacy synchronous replica configuration and new one",
      ),
    );
  }

  // An unparsable image is reported by validateImageName.
  const major = clusterMajorVersion(cluster);
  if (major === undefined) return errors;
  if (major < 13) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'imageName').text,
        spec.imageName ?? '',
        'Unsupported PostgreSQL version. Versions 13 or newer are supported',
      ),
    );
  }

  const parameters = parametersOf(cluster);
  for (const name of Object.keys(parameters)) {
    // Names are written verbatim into postgresql.conf: a malformed one could inject directives.
    if (!isValidParameterName(name)) {
      errors.push(fieldErr.invalid(parameterPath(name), name, 'Invalid PostgreSQL configuration parameter name'));
    }
  }

  const sanitized = sanitizedParameters(major, parameters, {
    isReplicaCluster: isReplicaCluster(cluster),
    walArchivingDisabled: isWalArchivingDisabled(cluster),
  });
  for (const [name, value] of Object.entries(parameters)) {
    if (RESERVED_PARAMETERS.has(name) && sanitized[name] !== value) {
      errors.push(fieldErr.invalid(parameterPath(name), value, "Can't set fixed configuration parameter"));
    }
  }

  const walLevel = sanitized.wal_level ?? '';
  const needsWal = spec.instances > 1 || sanitized.archive_mode !== 'off' || isReplicaCluster(cluster);
  if (!(WAL_LEVELS as readonly string[]).includes(walLevel)) {
    errors.push(
      fieldErr.invalid(
        parameterPath('wal_level'),
        walLevel,
        'unrecognized `wal_level` value - allowed values: `logical`, `replica`, `minimal`',
      ),
    );
  } else if (needsWal && walLevel === 'minimal') {
    errors.push(
      fieldErr.invalid(
        parameterPath('wal_level'),
        walLevel,
        "`wal_level` should be set at `logical` or `replica` when `archive_mode` is `on`, '.instances' field " +
          'is greater than 1, or this is a replica cluster',
      ),
    );
  }
  if (walLevel === 'minimal' && sanitized.max_wal_senders !== '0') {
    errors.push(
      fieldErr.invalid(
        parameterPath('max_wal_senders'),
        walLevel,
        '`max_wal_senders` should be set at `0` when `wal_level` is `minimal`',
      ),
    );
  }

  const sharedBuffers = parameters.shared_buffers;
  if (sharedBuffers) {
    try {
      parsePostgresMemory(sharedBuffers);
    } catch {
      // Upstream reports the parameter name as the bad value.
      errors.push(
        fieldErr.invalid(
          parameterPath('shared_buffers'),
          'shared_buffers',
          'Invalid value for configuration parameter shared_buffers. More info on accepted values format: ' +
            'https://www.postgresql.org/docs/current/config-setting.html#CONFIG-SETTING-NAMES-VALUES',
        ),
      );
    }
  }

  for (const name of ['hot_standby_feedback', 'sync_replication_slots']) {
    const { error } = booleanParameter(cluster, name);
    if (error) errors.push(error);
  }
  const walLogHints = booleanParameter(cluster, 'wal_log_hints');
  if (walLogHints.error) errors.push(walLogHints.error);
  if (walLogHints.value === false && spec.instances > 1) {
    errors.push(
      fieldErr.invalid(
        parameterPath('wal_log_hints'),
        parameters.wal_log_hints,
        '`wal_log_hints` must be set to `on` when `instances` > 1',
      ),
    );
  }

  errors.push(...validateWalSizeConfiguration(parameters, storageSizeOrUndefined(spec.walStorage)));

  const constraint = spec.postgresql?.syncReplicaElectionConstraint;
  if (constraint?.enabled && (constraint.nodeLabelsAntiAffinity ?? []).length === 0) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'postgresql', 'syncReplicaElectionConstraint', 'nodeLabelsAntiAffinity').text,
        null,
        "Can't enable syncReplicaConstraints without passing labels for comparison inside nodeLabelsAntiAffinity",
      ),
    );
  }
  return errors;
}

/**
 * Upstream's StorageConfiguration.GetSizeOrNil in bytes: `size` when it parses, else the PVC
 * template's storage request (0 when the template has none), else undefined.
 */
function storageSizeOrUndefined(storage: StorageConfiguration | undefined): number | undefined {
  if (storage === undefined) return undefined;
  if (storage.size) {
    try {
      return parseQuantity(storage.size);
    } catch {
      return undefined;
    }
  }
  if (storage.pvcTemplate !== undefined) {
    const request = storage.pvcTemplate.resources?.requests?.storage;
    if (request === undefined) return 0;
    try {
      return parseQuantity(request);
    } catch {
      return 0;
    }
  }
  return undefined;
}

/** min_wal_size < max_wal_size, and each explicit one smaller than the WAL volume. */
function validateWalSizeConfiguration(
  parameters: Record<string, string>,
  walVolumeBytes: number | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  const read = (name: string, fallback: string) => {
    const raw = parameters[name];
    const explicit = raw !== undefined && raw !== '';
    const text = explicit ? raw : fallback;
    try {
      return { text, explicit, bytes: parsePostgresMemory(text) };
    } catch {
      errors.push(fieldErr.invalid(parameterPath(name), text, `Invalid value for configuration parameter ${name}`));
      // An unparsable value takes no part in the comparisons, as upstream's zero Quantity.
      return { text, explicit, bytes: 0 };
    }
  };
  const min = read('min_wal_size', '80MB');
  const max = read('max_wal_size', '1GB');
  if (min.bytes !== 0 && max.bytes !== 0 && min.bytes >= max.bytes) {
    errors.push(
      fieldErr.invalid(
        parameterPath('min_wal_size'),
        min.text,
        'Invalid vale. Parameter min_wal_size (default 80MB) should be smaller than parameter max_wal_size ' +
          '(default 1GB)',
      ),
    );
  }
  if (walVolumeBytes === undefined) return errors;
  if (min.explicit && min.bytes !== 0 && min.bytes >= walVolumeBytes) {
    errors.push(
      fieldErr.invalid(
        parameterPath('min_wal_size'),
        min.text,
        'Invalid value. Parameter min_wal_size (default 80MB) should be smaller than WAL volume size',
      ),
    );
  }
  if (max.explicit && max.bytes !== 0 && max.bytes >= walVolumeBytes) {
    errors.push(
      fieldErr.invalid(
        parameterPath('max_wal_size'),
        max.text,
        'Invalid value. Parameter max_wal_size (default 1GB) should be smaller than WAL volume size',
      ),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Synchronous replication and failover quorum (rules 50-52)

export function validateSynchronousReplicaConfiguration(cluster: Cluster): FieldError[] {
  const cfg = cluster.spec.postgresql?.synchronous;
  if (cfg === undefined) return [];
  const available = cluster.spec.instances + (cfg.standbyNamesPost ?? []).length + (cfg.standbyNamesPre ?? []).length;
  if (cfg.number < available) return [];
  return [
    fieldErr.invalid(
      path('spec', 'postgresql', 'synchronous').text,
      cfg,
      'Invalid synchronous configuration: the number of synchronous replicas must be less than the total ' +
        'number of instances and the provided standby names.',
    ),
  ];
}

const QUORUM_NEEDS_SYNC = 'Invalid failoverQuorum configuration: synchronous replication configuration is required.';

export function validateFailoverQuorumAlphaAnnotation(cluster: Cluster): FieldError[] {
  const value = annotationOf(cluster, FAILOVER_QUORUM_ANNOTATION);
  if (value === undefined) return [];
  const active = parseGoBool(value);
  if (active === undefined) {
    return [
      fieldErr.invalid(
        path('metadata', 'annotations', FAILOVER_QUORUM_ANNOTATION).text,
        value,
        'Invalid failoverQuorum annotation value, expected boolean.',
      ),
    ];
  }
  if (active && cluster.spec.postgresql?.synchronous === undefined) {
    return [fieldErr.required(path('spec', 'postgresql', 'synchronous').text, QUORUM_NEEDS_SYNC)];
  }
  return [];
}

export function validateFailoverQuorum(cluster: Cluster): FieldError[] {
  const cfg = cluster.spec.postgresql?.synchronous;
  if (cfg?.failoverQuorum !== true) return [];
  const external = (cfg.standbyNamesPost ?? []).length + (cfg.standbyNamesPre ?? []).length;
  if (cfg.number > external) return [];
  return [
    fieldErr.invalid(
      path('spec', 'postgresql', 'synchronous').text,
      cfg,
      'Invalid failoverQuorum configuration: spec.postgresql.synchronous.number must be greater than the ' +
        'total number of instances in spec.postgresql.synchronous.standbyNamesPre and ' +
        'spec.postgresql.synchronous.standbyNamesPost to allow automatic failover.',
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// LDAP (rule 53)

export function validateLDAP(cluster: Cluster): FieldError[] {
  const ldap = cluster.spec.postgresql?.ldap;
  if (ldap === undefined) return [];
  const field = path('spec', 'postgresql', 'ldap').text;
  const errors: FieldError[] = [];
  if (!ldap.server) {
    errors.push(
      fieldErr.invalid(
        field,
        ldap.server ?? '',
        'ldap server cannot be empty if any other ldap parameters are specified',
      ),
    );
  }
  if (ldap.bindSearchAuth !== undefined && ldap.bindAsAuth !== undefined) {
    errors.push(
      fieldErr.invalid(field, 'bindAsAuth or bindSearchAuth', 'only bind+search or bind method can be specified'),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Replication slots and logical decoding (rules 54, 55)

export function validateReplicationSlots(cluster: Cluster): FieldError[] {
  const slots = cluster.spec.replicationSlots;
  // Absent sections count as enabled, as upstream's getters say.
  const haEnabled = slots?.highAvailability?.enabled ?? true;
  const syncEnabled = slots?.synchronizeReplicas?.enabled ?? true;
  if (!haEnabled && !syncEnabled) return [];

  const problems: string[] = [];
  for (const pattern of slots?.synchronizeReplicas?.excludePatterns ?? []) {
    try {
      compileGoRegExp(pattern);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length === 0) return [];
  return [
    fieldErr.invalid(
      path('spec', 'replicationSlots', 'synchronizeReplicas', 'excludePatterns').text,
      problems,
      'Cannot configure synchronizeReplicas. Invalid regexes were found',
    ),
  ];
}

export function validateSynchronizeLogicalDecoding(cluster: Cluster): FieldError[] {
  const ha = cluster.spec.replicationSlots?.highAvailability;
  if (ha?.synchronizeLogicalDecoding !== true) return [];
  const parameters = parametersOf(cluster);
  if (isManagedExtensionUsed('pg_failover_slots', parameters)) return [];
  const major = clusterMajorVersion(cluster);
  if (major === undefined) return [];
  if (major < 17) {
    return [
      fieldErr.invalid(
        path('spec', 'replicationSlots', 'highAvailability', 'synchronizeLogicalDecoding').text,
        true,
        'pg_failover_slots extension must be enabled to use synchronizeLogicalDecoding with Postgres versions < 17',
      ),
    ];
  }
  const errors: FieldError[] = [];
  const target = '`spec.replicationSlots.highAvailability.synchronizeLogicalDecoding`';
  if (parsePostgresBoolean(parameters.hot_standby_feedback ?? '') !== true) {
    errors.push(
      fieldErr.invalid(
        parameterPath('hot_standby_feedback'),
        false,
        `\`hot_standby_feedback\` must be enabled to enable ${target}`,
      ),
    );
  }
  if (parsePostgresBoolean(parameters.sync_replication_slots ?? '') !== true) {
    errors.push(
      fieldErr.invalid(
        parameterPath('sync_replication_slots'),
        false,
        `either \`sync_replication_slots\` setting or pg_failover_slots extension must be enabled to enable ${target}`,
      ),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Update-only rules (U1, U2, U7, U8). `old` has been defaulted.

export function validateImageChange(cluster: Cluster, old: Cluster): FieldError[] {
  const field = cluster.spec.imageCatalogRef
    ? path('spec', 'imageCatalogRef', 'major').text
    : path('spec', 'imageName').text;
  const newMajor = clusterMajorVersion(cluster);
  if (newMajor === undefined) return [];
  const oldMajor = old.status?.pgDataImageInfo?.majorVersion;
  if (oldMajor === undefined) return [];
  const errors: FieldError[] = [];
  if (oldMajor > newMajor) {
    errors.push(fieldErr.invalid(field, String(newMajor), `can't downgrade from major ${oldMajor} to ${newMajor}`));
  }
  // Upgrades to 14 and 15 would need collation information carried across: not supported.
  if (oldMajor < newMajor && newMajor < 16) {
    errors.push(fieldErr.invalid(field, String(newMajor), 'major upgrades are only supported to version 16 or higher'));
  }
  return errors;
}

/** Upstream's CollectDifferencesFromMaps, keys sorted as Go's JSON encoder writes them. */
function parameterDifferences(a: Record<string, string>, b: Record<string, string>): Record<string, [string, string]> {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const diff: Record<string, [string, string]> = {};
  for (const key of keys) {
    const inA = Object.hasOwn(a, key);
    const inB = Object.hasOwn(b, key);
    if (inA && inB && a[key] === b[key]) continue;
    Object.defineProperty(diff, key, { value: [a[key] ?? '', b[key] ?? ''], enumerable: true });
  }
  return diff;
}

export function validateConfigurationChange(cluster: Cluster, old: Cluster): FieldError[] {
  if (old.spec.imageName === cluster.spec.imageName || cluster.spec.primaryUpdateMethod !== 'switchover') return [];
  const diff = parameterDifferences(old.spec.postgresql?.parameters ?? {}, parametersOf(cluster));
  if (Object.keys(diff).length === 0) return [];
  return [
    fieldErr.invalid(
      path('spec', 'imageName').text,
      cluster.spec.imageName ?? '',
      "Can't change image name and configuration at the same time when `primaryUpdateMethod` is set to " +
        `\`switchover\`. There are differences in PostgreSQL configuration parameters: ${JSON.stringify(diff)}`,
    ),
  ];
}

export function validateReplicationSlotsChange(cluster: Cluster, old: Cluster): FieldError[] {
  const oldSlots = old.spec.replicationSlots;
  if (oldSlots === undefined) return [];
  const newSlots = cluster.spec.replicationSlots;
  const errors: FieldError[] = [];

  // Cleaning up the HA slots needs the prefix: it must stay while the feature is on.
  if (oldSlots.highAvailability?.enabled ?? true) {
    if (newSlots?.highAvailability === undefined) {
      const field =
        newSlots === undefined
          ? path('spec', 'replicationSlots')
          : path('spec', 'replicationSlots', 'highAvailability');
      errors.push(
        fieldErr.invalid(field.text, null, `Cannot remove ${field.text} section while highAvailability is enabled`),
      );
    } else if ((oldSlots.highAvailability?.slotPrefix ?? '') !== (newSlots.highAvailability.slotPrefix ?? '')) {
      errors.push(
        fieldErr.invalid(
          path('spec', 'replicationSlots', 'highAvailability', 'slotPrefix').text,
          newSlots.highAvailability.slotPrefix ?? '',
          'Cannot change replication slot prefix while highAvailability is enabled',
        ),
      );
    }
  }

  // Replicas drop the user slots they copied only while the feature is still configured.
  if (oldSlots.synchronizeReplicas?.enabled ?? true) {
    if (newSlots?.synchronizeReplicas === undefined) {
      const field =
        newSlots === undefined
          ? path('spec', 'replicationSlots')
          : path('spec', 'replicationSlots', 'synchronizeReplicas');
      errors.push(
        fieldErr.invalid(
          field.text,
          null,
          `Cannot remove ${field.text} section while synchronizeReplicas is enabled. Disable synchronizeReplicas ` +
            'first to allow cleanup of user-defined replication slots on replicas',
        ),
      );
    }
  }
  return errors;
}

export function validateWALLevelChange(cluster: Cluster, old: Cluster): FieldError[] {
  const newLevel = parametersOf(cluster).wal_level ?? '';
  const oldLevel = old.spec.postgresql?.parameters?.wal_level ?? '';
  if (newLevel !== 'minimal' || oldLevel === '' || oldLevel === newLevel) return [];
  return [
    fieldErr.invalid(
      parameterPath('wal_level'),
      'minimal',
      `Change of \`wal_level\` to \`minimal\` not allowed on an existing cluster (from ${oldLevel})`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Warnings

export function sharedBuffersWarnings(cluster: Cluster): string[] {
  const value = parametersOf(cluster).shared_buffers;
  if (!value || !isBareInteger(value)) return [];
  return [
    `\`shared_buffers\` value '${value}' is missing a unit (e.g., MB, GB). While this is currently allowed, ` +
      'future releases will require an explicit unit. Please update your configuration to specify a valid ' +
      `unit, such as '${value}MB'.`,
  ];
}

/** Several instances, primary cluster, neither synchronous API configured: failover may lose data. */
export function synchronousReplicationWarnings(cluster: Cluster): string[] {
  const spec = cluster.spec;
  if (spec.instances < 2 || isReplicaCluster(cluster)) return [];
  if (spec.postgresql?.synchronous !== undefined || (spec.minSyncReplicas ?? 0) > 0) return [];
  return [
    `spec.instances is ${spec.instances} but no synchronous replication is configured: transactions not yet ` +
      'replicated to a standby are lost if the primary fails. Configure spec.postgresql.synchronous to avoid ' +
      'data loss on failover.',
  ];
}

function conditionOf(status: ClusterStatus | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

/** Failure-domain keys are set but the operator reports the topology cannot be satisfied. */
export function syncTopologyWarnings(cluster: Cluster): string[] {
  const sync = cluster.spec.postgresql?.synchronous;
  const keys = [...(sync?.podFailureDomainKeys ?? []), ...(sync?.nodeFailureDomainKeys ?? [])];
  if (keys.length === 0) return [];
  const condition = conditionOf(cluster.status, SYNC_TOPOLOGY_CONDITION);
  if (condition?.status !== 'False') return [];
  const detail = condition.message ? `: ${condition.message}` : '';
  return [
    `synchronous replication failure-domain keys are set, but the ${SYNC_TOPOLOGY_CONDITION} condition is ` +
      `False (${condition.reason ?? 'unknown reason'})${detail}`,
  ];
}

/** This module's warnings, in upstream's order. */
export function postgresWarnings(cluster: Cluster): string[] {
  return [
    ...sharedBuffersWarnings(cluster),
    ...synchronousReplicationWarnings(cluster),
    ...syncTopologyWarnings(cluster),
  ];
}
