// Cluster defaulting, as upstream's mutating webhook does it (api/v1/cluster_defaults.go): the
// values the operator fills in after the API server applied the CRD's own `default:` markers.
// Steps and their order are upstream's; the input is never modified.
import type {
  BootstrapInitDB,
  Cluster,
  ClusterSpec,
  IsolationCheckConfiguration,
  TablespaceConfiguration,
} from './cluster-types.ts';
import { DEFAULT_IMAGE_NAME, postgresMajorOfSpec } from './image-version.ts';
import { defaultParameters, sanitizedParameters } from './postgres-parameters.ts';

/** The operator configuration the defaulter reads (upstream `configuration.Data`). */
export interface OperatorDefaults {
  /** `POSTGRES_IMAGE_NAME`: the image of clusters that set neither imageName nor imageCatalogRef. */
  postgresImageName?: string;
  /** `MONITORING_QUERIES_CONFIGMAP`: when set, clusters get the default queries ConfigMap. */
  monitoringQueriesConfigmap?: string;
  /** `MONITORING_QUERIES_SECRET`: when set, clusters get the default queries Secret. */
  monitoringQueriesSecret?: string;
  /** `INCLUDE_PLUGINS`: comma-separated CNPG-I plugins added to every cluster. */
  includePlugins?: string;
}

/** Name of the ConfigMap and of the Secret holding the default monitoring queries. */
export const DEFAULT_MONITORING_CONFIGMAP_NAME = 'cnpg-default-monitoring';
export const DEFAULT_MONITORING_SECRET_NAME = DEFAULT_MONITORING_CONFIGMAP_NAME;
export const DEFAULT_MONITORING_KEY = 'queries';
export const DEFAULT_APPLICATION_DATABASE_NAME = 'app';
export const DEFAULT_APPLICATION_USER_NAME = DEFAULT_APPLICATION_DATABASE_NAME;

export const LIVENESS_PINGER_ANNOTATION = 'alpha.cnpg.io/livenessPinger';
const FAILOVER_QUORUM_ANNOTATION = 'alpha.cnpg.io/failoverQuorum';
const SKIP_WAL_ARCHIVING_ANNOTATION = 'cnpg.io/skipWalArchiving';

const DEFAULT_REQUEST_TIMEOUT = 1000;
const DEFAULT_CONNECTION_TIMEOUT = 1000;

/**
 * The admission webhook's defaulting (upstream `Cluster.Default`): the user's fixed and blocked
 * PostgreSQL parameters are kept, so that validation can reject them.
 */
export function defaultCluster(cluster: Cluster, opts: OperatorDefaults = {}): Cluster {
  return applyDefaults(cluster, opts, true);
}

/**
 * Upstream `Cluster.SetDefaults`: the same steps, but the parameters the operator owns are dropped
 * from the user's ones instead of kept.
 */
export function setClusterDefaults(cluster: Cluster, opts: OperatorDefaults = {}): Cluster {
  return applyDefaults(cluster, opts, false);
}

function applyDefaults(input: Cluster, opts: OperatorDefaults, preserveUserSettings: boolean): Cluster {
  const cluster = structuredClone(input);
  const spec = cluster.spec;

  // 1. Image.
  if (!spec.imageName && spec.imageCatalogRef === undefined) {
    spec.imageName = opts.postgresImageName || DEFAULT_IMAGE_NAME;
  }

  // 2. Bootstrap: initdb unless another method was chosen.
  spec.bootstrap ??= {};
  const { recovery, pg_basebackup: pgBaseBackup } = spec.bootstrap;
  if (recovery !== undefined) defaultApplicationDatabase(recovery);
  else if (pgBaseBackup !== undefined) defaultApplicationDatabase(pgBaseBackup);
  else spec.bootstrap.initdb = defaultInitDB(spec.bootstrap.initdb);

  // 3. Pod anti-affinity type, when anti-affinity is on (the default).
  spec.affinity ??= {};
  const affinity = spec.affinity;
  if (affinity.enablePodAntiAffinity !== false && !affinity.podAntiAffinityType) {
    affinity.podAntiAffinityType = 'preferred';
  }

  // 4. Backup target.
  if (spec.backup !== undefined && !spec.backup.target) spec.backup.target = 'prefer-standby';

  // 5. PostgreSQL parameters: CNPG's defaults under the user's, for the image's major version.
  // An unparsable image is left alone: validation reports it.
  const major = majorVersionOf(spec);
  if (major !== undefined) {
    spec.postgresql ??= {};
    const postgresql = spec.postgresql;
    const options = {
      isReplicaCluster: isReplica(cluster),
      walArchivingDisabled: annotation(cluster, SKIP_WAL_ARCHIVING_ANNOTATION) === 'enabled',
    };
    postgresql.parameters = preserveUserSettings
      ? defaultParameters(major, postgresql.parameters, options)
      : sanitizedParameters(major, postgresql.parameters, options);
  }

  // 6. Log level.
  if (!spec.logLevel) spec.logLevel = 'info';

  // 7. Default monitoring queries.
  if (spec.monitoring?.disableDefaultQueries !== true) defaultMonitoringQueries(spec, opts);

  // 8. Replication slots: HA slots and synchronization of user slots, both enabled.
  spec.replicationSlots ??= {};
  const slots = spec.replicationSlots;
  slots.highAvailability ??= { enabled: true, slotPrefix: '_cnpg_' };
  slots.synchronizeReplicas ??= { enabled: true };

  // 9. Tablespace owners.
  if (spec.tablespaces !== undefined && spec.tablespaces.length > 0) {
    spec.tablespaces = defaultTablespaceOwners(spec.tablespaces, applicationDatabaseOwner(spec) || 'postgres');
  }

  // 10. Synchronous replication data durability.
  const synchronous = spec.postgresql?.synchronous;
  if (synchronous !== undefined && !synchronous.dataDurability) synchronous.dataDurability = 'required';

  // 11. Plugins the operator always includes.
  defaultPlugins(spec, opts);

  // 12. Liveness isolation check.
  defaultProbes(cluster);

  // 13. The alpha failover quorum annotation becomes the spec field.
  convertAlphaFailoverQuorum(cluster);

  return cluster;
}

function defaultApplicationDatabase(bootstrap: { database?: string; owner?: string }): void {
  if (!bootstrap.database) bootstrap.database = DEFAULT_APPLICATION_DATABASE_NAME;
  if (!bootstrap.owner) bootstrap.owner = bootstrap.database;
}

function defaultInitDB(current: BootstrapInitDB | undefined): BootstrapInitDB {
  const initdb = current ?? { database: DEFAULT_APPLICATION_DATABASE_NAME, owner: DEFAULT_APPLICATION_USER_NAME };
  // A monolith import brings its own databases: no application database then.
  if (!initdb.database && initdb.import?.type !== 'monolith') {
    initdb.database = DEFAULT_APPLICATION_DATABASE_NAME;
  }
  if (!initdb.owner && initdb.database) initdb.owner = initdb.database;
  if (!initdb.encoding) initdb.encoding = 'UTF8';
  if (!initdb.localeCollate) initdb.localeCollate = 'C';
  if (!initdb.localeCType) initdb.localeCType = 'C';
  return initdb;
}

function majorVersionOf(spec: ClusterSpec): number | undefined {
  try {
    return postgresMajorOfSpec(spec);
  } catch {
    return undefined;
  }
}

function defaultMonitoringQueries(spec: ClusterSpec, opts: OperatorDefaults): void {
  spec.monitoring ??= {};
  const monitoring = spec.monitoring;
  // Prepended, so that the user's queries come later and win on a name clash.
  const queries = { name: DEFAULT_MONITORING_CONFIGMAP_NAME, key: DEFAULT_MONITORING_KEY };
  if (opts.monitoringQueriesConfigmap) {
    const configMaps = monitoring.customQueriesConfigMap ?? [];
    if (!configMaps.some((ref) => ref.name === DEFAULT_MONITORING_CONFIGMAP_NAME)) {
      monitoring.customQueriesConfigMap = [{ ...queries }, ...configMaps];
    }
  }
  if (opts.monitoringQueriesSecret) {
    const secrets = monitoring.customQueriesSecret ?? [];
    if (!secrets.some((ref) => ref.name === DEFAULT_MONITORING_SECRET_NAME)) {
      monitoring.customQueriesSecret = [{ ...queries, name: DEFAULT_MONITORING_SECRET_NAME }, ...secrets];
    }
  }
}

function defaultTablespaceOwners(tablespaces: TablespaceConfiguration[], owner: string): TablespaceConfiguration[] {
  return tablespaces.map((tbs) => (tbs.owner?.name ? tbs : { ...tbs, owner: { ...tbs.owner, name: owner } }));
}

// The owner of the application database of whichever bootstrap method sets one.
function applicationDatabaseOwner(spec: ClusterSpec): string {
  const bootstrap = spec.bootstrap;
  return bootstrap?.recovery?.owner || bootstrap?.pg_basebackup?.owner || bootstrap?.initdb?.owner || '';
}

function defaultPlugins(spec: ClusterSpec, opts: OperatorDefaults): void {
  // Names are checked against the user's list only, as upstream (a name repeated in
  // INCLUDE_PLUGINS is added twice).
  const declared = new Set((spec.plugins ?? []).map((plugin) => plugin.name));
  for (const name of includedPlugins(opts.includePlugins)) {
    if (declared.has(name)) continue;
    spec.plugins ??= [];
    spec.plugins.push({ name, enabled: true });
  }
}

function includedPlugins(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function defaultProbes(cluster: Cluster): void {
  cluster.spec.probes ??= {};
  const probes = cluster.spec.probes;
  probes.liveness ??= {};
  const liveness = probes.liveness;
  if (liveness.isolationCheck !== undefined) return;
  let fromAnnotation: IsolationCheckConfiguration | undefined;
  try {
    fromAnnotation = livenessPingerConfigFromAnnotations(cluster.metadata?.annotations);
  } catch {
    // A malformed annotation is reported by validation.
  }
  liveness.isolationCheck = fromAnnotation ?? {
    enabled: true,
    requestTimeout: DEFAULT_REQUEST_TIMEOUT,
    connectionTimeout: DEFAULT_CONNECTION_TIMEOUT,
  };
}

/**
 * The isolation check configured by the legacy `alpha.cnpg.io/livenessPinger` annotation (JSON),
 * with unset or zero timeouts defaulted; undefined without the annotation. Throws with upstream's
 * wording when the JSON does not decode or lacks `enabled` (the JSON parser's own detail differs
 * from Go's).
 */
export function livenessPingerConfigFromAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): IsolationCheckConfiguration | undefined {
  const raw = annotations?.[LIVENESS_PINGER_ANNOTATION];
  if (raw === undefined) return undefined;
  let decoded: GoDecodedPinger;
  try {
    decoded = decodePingerJSON(raw);
  } catch (err) {
    throw new Error(`while unmarshalling pinger config: ${(err as Error).message}`);
  }
  if (decoded.enabled === undefined) throw new Error('pinger config is missing the enabled field');
  return {
    enabled: decoded.enabled,
    requestTimeout: decoded.requestTimeout || DEFAULT_REQUEST_TIMEOUT,
    connectionTimeout: decoded.connectionTimeout || DEFAULT_CONNECTION_TIMEOUT,
  };
}

interface GoDecodedPinger {
  enabled?: boolean;
  requestTimeout?: number;
  connectionTimeout?: number;
}

// Decodes as Go's encoding/json into the isolation check struct: keys match case-insensitively,
// unknown keys and nulls are ignored, a value of the wrong type is an error.
function decodePingerJSON(raw: string): GoDecodedPinger {
  const value: unknown = JSON.parse(raw);
  const result: GoDecodedPinger = {};
  if (value === null) return result;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`json: cannot unmarshal ${jsonKind(value)} into Go value of type v1.IsolationCheckConfiguration`);
  }
  for (const [key, field] of Object.entries(value)) {
    if (field === null) continue;
    const name = key.toLowerCase();
    if (name === 'enabled') {
      if (typeof field !== 'boolean') throw typeError(field, 'enabled', 'bool');
      result.enabled = field;
    } else if (name === 'requesttimeout' || name === 'connectiontimeout') {
      const fieldName = name === 'requesttimeout' ? 'requestTimeout' : 'connectionTimeout';
      if (typeof field !== 'number' || !Number.isSafeInteger(field)) throw typeError(field, fieldName, 'int');
      result[fieldName] = field;
    }
  }
  return result;
}

function typeError(value: unknown, field: string, goType: string): Error {
  return new Error(
    `json: cannot unmarshal ${jsonKind(value)} into Go struct field IsolationCheckConfiguration.${field} ` +
      `of type ${goType}`,
  );
}

// Go's name for a JSON value in decoding errors (a number shows its text when it cannot be an int).
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'number' : `number ${value}`;
  return typeof value;
}

function convertAlphaFailoverQuorum(cluster: Cluster): void {
  const raw = annotation(cluster, FAILOVER_QUORUM_ANNOTATION);
  if (raw === undefined) return;
  const value = goParseBool(raw);
  // A bad value is reported by validation; without synchronous replication validation rejects it.
  const synchronous = cluster.spec.postgresql?.synchronous;
  if (value === undefined || synchronous === undefined) return;
  synchronous.failoverQuorum = value;
}

// Upstream's IsReplica: `replica.enabled` when set, otherwise whether this cluster is not the
// designated primary of the distributed topology.
function isReplica(cluster: Cluster): boolean {
  const replica = cluster.spec.replica;
  if (replica === undefined) return false;
  if (replica.enabled !== undefined) return replica.enabled;
  const self = replica.self || cluster.metadata?.name || '';
  return self !== (replica.primary ?? '');
}

function annotation(cluster: Cluster, name: string): string | undefined {
  return cluster.metadata?.annotations?.[name];
}

// Go's strconv.ParseBool.
function goParseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
