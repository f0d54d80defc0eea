// The Cluster kind (postgresql.cnpg.io/v1): its spec, its status and every named sub-type, with the
// same OpenAPI markers (required/optional, defaults, enums, bounds, patterns, list types) and CEL
// rules as upstream's api/v1/cluster_types.go at v1.30.
import type {
  V1Condition,
  V1EnvFromSource,
  V1EnvVar,
  V1EphemeralVolumeSource,
  V1LabelSelector,
  V1NodeAffinity,
  V1PersistentVolumeClaimSpec,
  V1PodAffinity,
  V1PodAntiAffinity,
  V1PodSecurityContext,
  V1ProjectedVolumeSource,
  V1ResourceRequirements,
  V1SeccompProfile,
  V1SecretKeySelector,
  V1SecurityContext,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1TypedLocalObjectReference,
} from '@kubernetes/client-node';
import { BarmanObjectStoreConfigurationSchema } from './barman-types.ts';
import {
  BACKUP_TARGETS,
  ConfigMapKeySelectorSchema,
  ExtensionConfigurationSchema,
  extensionList,
  ImageCatalogRefSchema,
  integer,
  LocalObjectReferenceSchema,
  MetadataSchema,
  OnlineConfigurationSchema,
  PluginConfigurationSchema,
  RelabelConfigSchema,
  RoleConfigurationSchema,
  SecretKeySelectorSchema,
  ServiceTemplateSpecSchema,
  strings,
  withDefault,
} from './common-types.ts';
import { coreType } from './core-types.ts';
import {
  arr,
  bool,
  cel,
  dateTime,
  deepEqual,
  duration,
  enumOf,
  int32,
  int64,
  listMap,
  map,
  obj,
  opt,
  quantity,
  resourceSchema,
  type Static,
  str,
  type TSchema,
} from './schema-kit.ts';

// Embedded Kubernetes types used at more than one place.
const secretKeySelector = () => coreType<V1SecretKeySelector>('V1SecretKeySelector');
const typedLocalObjectReference = () => coreType<V1TypedLocalObjectReference>('V1TypedLocalObjectReference');

/** A top-level spec field with its one-line description (on a copy: shared nodes stay untouched). */
const about = <T extends TSchema>(text: string, schema: T): T => ({ ...schema, description: text });

// =============================================================================================
// Enumerations

export const LOG_LEVELS = ['error', 'warning', 'info', 'debug', 'trace'] as const;
export const PRIMARY_UPDATE_STRATEGIES = ['unsupervised', 'supervised'] as const;
export const PRIMARY_UPDATE_METHODS = ['switchover', 'restart'] as const;
export const SNAPSHOT_OWNER_REFERENCES = ['none', 'cluster', 'backup'] as const;
export const PROBE_STRATEGY_TYPES = ['pg_isready', 'streaming', 'query'] as const;
export const LDAP_SCHEMES = ['ldap', 'ldaps'] as const;
export const SNAPSHOT_TYPES = ['microservice', 'monolith'] as const;
export const SERVICE_SELECTOR_TYPES = ['rw', 'r', 'ro'] as const;
export const SERVICE_UPDATE_STRATEGIES = ['patch', 'replace'] as const;
export const SYNCHRONOUS_METHODS = ['any', 'first'] as const;
export const DATA_DURABILITY_LEVELS = ['required', 'preferred'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];
export type PrimaryUpdateStrategy = (typeof PRIMARY_UPDATE_STRATEGIES)[number];
export type PrimaryUpdateMethod = (typeof PRIMARY_UPDATE_METHODS)[number];
export type SnapshotOwnerReference = (typeof SNAPSHOT_OWNER_REFERENCES)[number];
export type ProbeStrategyType = (typeof PROBE_STRATEGY_TYPES)[number];
export type ServiceSelectorType = (typeof SERVICE_SELECTOR_TYPES)[number];
export type SynchronousReplicaConfigurationMethod = (typeof SYNCHRONOUS_METHODS)[number];
export type DataDurabilityLevel = (typeof DATA_DURABILITY_LEVELS)[number];

/** Kubernetes' DNS-1123 subdomain (what a ServiceAccount name must be). */
export const DNS1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A podSelectorRefs name, as referenced by `${podselector:NAME}` in pg_hba lines. */
export const POD_SELECTOR_REF_NAME_PATTERN = '^[a-z]([a-z0-9_-]*[a-z0-9])?$';

// =============================================================================================
// Metadata, service account

export const EmbeddedObjectMetadataSchema = obj({
  labels: opt(map(str())),
  annotations: opt(map(str())),
});
export type EmbeddedObjectMetadata = Static<typeof EmbeddedObjectMetadataSchema>;

export const ServiceAccountTemplateSchema = obj({ metadata: MetadataSchema });
export type ServiceAccountTemplate = Static<typeof ServiceAccountTemplateSchema>;

// =============================================================================================
// PostgreSQL configuration (`.spec.postgresql`)

export const SynchronousReplicaConfigurationSchema = cel(
  obj({
    method: enumOf(SYNCHRONOUS_METHODS),
    number: cel(integer(), [
      {
        rule: 'self > 0',
        message: 'The number of synchronous replicas should be greater than zero',
        check: (self) => self > 0,
      },
    ]),
    maxStandbyNamesFromCluster: opt(integer()),
    standbyNamesPre: opt(strings()),
    standbyNamesPost: opt(strings()),
    dataDurability: opt(enumOf(DATA_DURABILITY_LEVELS)),
    failoverQuorum: opt(bool()),
    podFailureDomainKeys: opt(strings()),
    nodeFailureDomainKeys: opt(strings()),
  }),
  [
    {
      rule:
        "self.dataDurability!='preferred' || ((!has(self.standbyNamesPre) || self.standbyNamesPre.size()==0) && " +
        '(!has(self.standbyNamesPost) || self.standbyNamesPost.size()==0))',
      message: "dataDurability set to 'preferred' requires empty 'standbyNamesPre' and empty 'standbyNamesPost'",
      // The defaulter always sets dataDurability before this runs; an absent value is not 'preferred'.
      check: (self) =>
        self.dataDurability !== 'preferred' ||
        ((self.standbyNamesPre ?? []).length === 0 && (self.standbyNamesPost ?? []).length === 0),
    },
    {
      rule: '!(has(self.podFailureDomainKeys) && has(self.nodeFailureDomainKeys))',
      message: 'podFailureDomainKeys and nodeFailureDomainKeys are mutually exclusive',
      check: (self) => !(self.podFailureDomainKeys !== undefined && self.nodeFailureDomainKeys !== undefined),
    },
  ],
);
export type SynchronousReplicaConfiguration = Static<typeof SynchronousReplicaConfigurationSchema>;

export const SyncReplicaElectionConstraintsSchema = obj({
  nodeLabelsAntiAffinity: opt(strings()),
  enabled: bool(),
});
export type SyncReplicaElectionConstraints = Static<typeof SyncReplicaElectionConstraintsSchema>;

export const LDAPBindAsAuthSchema = obj({
  prefix: opt(str()),
  suffix: opt(str()),
});
export type LDAPBindAsAuth = Static<typeof LDAPBindAsAuthSchema>;

export const LDAPBindSearchAuthSchema = obj({
  baseDN: opt(str()),
  bindDN: opt(str()),
  bindPassword: opt(secretKeySelector()),
  searchAttribute: opt(str()),
  searchFilter: opt(str()),
});
export type LDAPBindSearchAuth = Static<typeof LDAPBindSearchAuthSchema>;

export const LDAPConfigSchema = obj({
  server: opt(str()),
  port: opt(integer()),
  scheme: opt(enumOf(LDAP_SCHEMES)),
  bindAsAuth: opt(LDAPBindAsAuthSchema),
  bindSearchAuth: opt(LDAPBindSearchAuthSchema),
  tls: opt(bool()),
});
export type LDAPConfig = Static<typeof LDAPConfigSchema>;

const hasFailureDomainKeys = (s: SynchronousReplicaConfiguration | undefined): boolean =>
  (s?.podFailureDomainKeys ?? []).length > 0 || (s?.nodeFailureDomainKeys ?? []).length > 0;

export const PostgresConfigurationSchema = cel(
  obj({
    parameters: opt(map(str())),
    synchronous: opt(SynchronousReplicaConfigurationSchema),
    pg_hba: opt(strings()),
    pg_ident: opt(strings()),
    syncReplicaElectionConstraint: opt(SyncReplicaElectionConstraintsSchema),
    shared_preload_libraries: opt(strings()),
    ldap: opt(LDAPConfigSchema),
    promotionTimeout: opt(int32()),
    enableAlterSystem: opt(bool()),
    extensions: opt(extensionList()),
  }),
  [
    {
      rule:
        '!(has(self.syncReplicaElectionConstraint) && self.syncReplicaElectionConstraint.enabled && ' +
        'has(self.synchronous) && ((has(self.synchronous.podFailureDomainKeys) && ' +
        'self.synchronous.podFailureDomainKeys.size() > 0) || (has(self.synchronous.nodeFailureDomainKeys) && ' +
        'self.synchronous.nodeFailureDomainKeys.size() > 0)))',
      message: 'syncReplicaElectionConstraint and synchronous failure domain keys are mutually exclusive',
      check: (self) =>
        !(self.syncReplicaElectionConstraint?.enabled === true && hasFailureDomainKeys(self.synchronous)),
    },
  ],
);
export type PostgresConfiguration = Static<typeof PostgresConfigurationSchema>;

// =============================================================================================
// Bootstrap (`.spec.bootstrap`)

export const SQLRefsSchema = obj({
  secretRefs: opt(arr(SecretKeySelectorSchema)),
  configMapRefs: opt(arr(ConfigMapKeySelectorSchema)),
});
export type SQLRefs = Static<typeof SQLRefsSchema>;
/** The type of postInitSQLRefs / postInitApplicationSQLRefs / postInitTemplateSQLRefs. */
export type PostInitSQLRefs = SQLRefs;

export const ImportSourceSchema = obj({ externalCluster: str() });
export type ImportSource = Static<typeof ImportSourceSchema>;

export const ImportSchema = obj({
  source: ImportSourceSchema,
  type: enumOf(SNAPSHOT_TYPES),
  databases: strings(),
  roles: opt(strings()),
  postImportApplicationSQL: opt(strings()),
  schemaOnly: opt(bool()),
  pgDumpExtraOptions: opt(strings()),
  pgRestoreExtraOptions: opt(strings()),
  pgRestorePredataOptions: opt(strings()),
  pgRestoreDataOptions: opt(strings()),
  pgRestorePostdataOptions: opt(strings()),
});
export type Import = Static<typeof ImportSchema>;

export const BootstrapInitDBSchema = cel(
  obj({
    database: opt(str()),
    owner: opt(str()),
    secret: opt(LocalObjectReferenceSchema),
    options: opt(strings()),
    dataChecksums: opt(bool()),
    encoding: opt(str()),
    localeCollate: opt(str()),
    localeCType: opt(str()),
    locale: opt(str()),
    localeProvider: opt(str()),
    icuLocale: opt(str()),
    icuRules: opt(str()),
    builtinLocale: opt(str()),
    walSegmentSize: opt(integer({ minimum: 1, maximum: 1024 })),
    postInitSQL: opt(strings()),
    postInitApplicationSQL: opt(strings()),
    postInitTemplateSQL: opt(strings()),
    import: opt(ImportSchema),
    postInitApplicationSQLRefs: opt(SQLRefsSchema),
    postInitTemplateSQLRefs: opt(SQLRefsSchema),
    postInitSQLRefs: opt(SQLRefsSchema),
  }),
  [
    {
      rule: "!has(self.builtinLocale) || self.localeProvider == 'builtin'",
      message: 'builtinLocale is only available when localeProvider is set to `builtin`',
      check: (self) => self.builtinLocale === undefined || self.localeProvider === 'builtin',
    },
    {
      rule: "!has(self.icuLocale) || self.localeProvider == 'icu'",
      message: 'icuLocale is only available when localeProvider is set to `icu`',
      check: (self) => self.icuLocale === undefined || self.localeProvider === 'icu',
    },
    {
      rule: "!has(self.icuRules) || self.localeProvider == 'icu'",
      message: 'icuRules is only available when localeProvider is set to `icu`',
      check: (self) => self.icuRules === undefined || self.localeProvider === 'icu',
    },
  ],
);
export type BootstrapInitDB = Static<typeof BootstrapInitDBSchema>;

export const BackupSourceSchema = obj({
  name: str(),
  endpointCA: opt(SecretKeySelectorSchema),
});
export type BackupSource = Static<typeof BackupSourceSchema>;

export const DataSourceSchema = obj({
  storage: typedLocalObjectReference(),
  walStorage: opt(typedLocalObjectReference()),
  tablespaceStorage: opt(map(typedLocalObjectReference())),
});
export type DataSource = Static<typeof DataSourceSchema>;

export const RecoveryTargetSchema = obj({
  backupID: opt(str()),
  targetTLI: opt(str()),
  targetXID: opt(str()),
  targetName: opt(str()),
  targetLSN: opt(str()),
  targetTime: opt(str()),
  targetImmediate: opt(bool()),
  exclusive: opt(bool()),
});
export type RecoveryTarget = Static<typeof RecoveryTargetSchema>;

export const BootstrapRecoverySchema = obj({
  backup: opt(BackupSourceSchema),
  source: opt(str()),
  volumeSnapshots: opt(DataSourceSchema),
  recoveryTarget: opt(RecoveryTargetSchema),
  database: opt(str()),
  owner: opt(str()),
  secret: opt(LocalObjectReferenceSchema),
});
export type BootstrapRecovery = Static<typeof BootstrapRecoverySchema>;

export const BootstrapPgBaseBackupSchema = obj({
  source: str({ minLength: 1 }),
  database: opt(str()),
  owner: opt(str()),
  secret: opt(LocalObjectReferenceSchema),
});
export type BootstrapPgBaseBackup = Static<typeof BootstrapPgBaseBackupSchema>;

export const BootstrapConfigurationSchema = obj({
  initdb: opt(BootstrapInitDBSchema),
  recovery: opt(BootstrapRecoverySchema),
  pg_basebackup: opt(BootstrapPgBaseBackupSchema),
});
export type BootstrapConfiguration = Static<typeof BootstrapConfigurationSchema>;

// =============================================================================================
// Replica clusters, replication slots, external clusters

export const ReplicaClusterConfigurationSchema = obj({
  self: opt(str()),
  primary: opt(str()),
  source: str({ minLength: 1 }),
  enabled: opt(bool()),
  promotionToken: opt(str()),
  minApplyDelay: opt(duration()),
});
export type ReplicaClusterConfiguration = Static<typeof ReplicaClusterConfigurationSchema>;

export const ReplicationSlotsHAConfigurationSchema = obj({
  enabled: opt(bool({ default: true })),
  slotPrefix: opt(str({ default: '_cnpg_', pattern: '^[0-9a-z_]*$' })),
  synchronizeLogicalDecoding: opt(bool()),
});
export type ReplicationSlotsHAConfiguration = Static<typeof ReplicationSlotsHAConfigurationSchema>;

export const SynchronizeReplicasConfigurationSchema = obj({
  enabled: bool({ default: true }),
  excludePatterns: opt(strings()),
});
export type SynchronizeReplicasConfiguration = Static<typeof SynchronizeReplicasConfigurationSchema>;

export const ReplicationSlotsConfigurationSchema = obj({
  highAvailability: opt(withDefault(ReplicationSlotsHAConfigurationSchema, { enabled: true })),
  updateInterval: opt(integer({ default: 30, minimum: 1 })),
  synchronizeReplicas: opt(SynchronizeReplicasConfigurationSchema),
});
export type ReplicationSlotsConfiguration = Static<typeof ReplicationSlotsConfigurationSchema>;

export const ExternalClusterSchema = obj({
  name: str(),
  connectionParameters: opt(map(str())),
  sslCert: opt(secretKeySelector()),
  sslKey: opt(secretKeySelector()),
  sslRootCert: opt(secretKeySelector()),
  password: opt(secretKeySelector()),
  barmanObjectStore: opt(BarmanObjectStoreConfigurationSchema),
  plugin: opt(PluginConfigurationSchema),
});
export type ExternalCluster = Static<typeof ExternalClusterSchema>;

// =============================================================================================
// Storage and tablespaces

export const StorageConfigurationSchema = obj({
  storageClass: opt(str()),
  size: opt(str()),
  resizeInUseVolumes: opt(bool({ default: true })),
  pvcTemplate: opt(coreType<V1PersistentVolumeClaimSpec>('V1PersistentVolumeClaimSpec')),
});
export type StorageConfiguration = Static<typeof StorageConfigurationSchema>;

export const DatabaseRoleRefSchema = obj({ name: opt(str()) });
export type DatabaseRoleRef = Static<typeof DatabaseRoleRefSchema>;

export const TablespaceConfigurationSchema = obj({
  name: str(),
  storage: StorageConfigurationSchema,
  owner: opt(DatabaseRoleRefSchema),
  temporary: opt(bool({ default: false })),
});
export type TablespaceConfiguration = Static<typeof TablespaceConfigurationSchema>;

export const EphemeralVolumesSizeLimitConfigurationSchema = obj({
  shm: opt(quantity()),
  temporaryData: opt(quantity()),
});
export type EphemeralVolumesSizeLimitConfiguration = Static<typeof EphemeralVolumesSizeLimitConfigurationSchema>;

// =============================================================================================
// Scheduling

export const AffinityConfigurationSchema = obj({
  enablePodAntiAffinity: opt(bool()),
  topologyKey: opt(str()),
  nodeSelector: opt(map(str())),
  nodeAffinity: opt(coreType<V1NodeAffinity>('V1NodeAffinity')),
  tolerations: opt(arr(coreType<V1Toleration>('V1Toleration'))),
  podAntiAffinityType: opt(str()),
  additionalPodAntiAffinity: opt(coreType<V1PodAntiAffinity>('V1PodAntiAffinity')),
  additionalPodAffinity: opt(coreType<V1PodAffinity>('V1PodAffinity')),
});
export type AffinityConfiguration = Static<typeof AffinityConfigurationSchema>;

export const NodeMaintenanceWindowSchema = obj({
  reusePVC: opt(bool({ default: true })),
  inProgress: opt(bool({ default: false })),
});
export type NodeMaintenanceWindow = Static<typeof NodeMaintenanceWindowSchema>;

// =============================================================================================
// Certificates

const certificatesConfigurationProperties = {
  serverCASecret: opt(str()),
  serverTLSSecret: opt(str()),
  replicationTLSSecret: opt(str()),
  clientCASecret: opt(str()),
  serverAltDNSNames: opt(strings()),
};

export const CertificatesConfigurationSchema = obj(certificatesConfigurationProperties);
export type CertificatesConfiguration = Static<typeof CertificatesConfigurationSchema>;

// =============================================================================================
// Backups

export const VolumeSnapshotConfigurationSchema = obj({
  labels: opt(map(str())),
  annotations: opt(map(str())),
  className: opt(str()),
  walClassName: opt(str()),
  tablespaceClassName: opt(map(str())),
  snapshotOwnerReference: opt(enumOf(SNAPSHOT_OWNER_REFERENCES, { default: 'none' })),
  online: opt(bool({ default: true })),
  onlineConfiguration: opt(
    withDefault(OnlineConfigurationSchema, { waitForArchive: true, immediateCheckpoint: false }),
  ),
});
export type VolumeSnapshotConfiguration = Static<typeof VolumeSnapshotConfigurationSchema>;

export const BackupConfigurationSchema = obj({
  volumeSnapshot: opt(VolumeSnapshotConfigurationSchema),
  barmanObjectStore: opt(BarmanObjectStoreConfigurationSchema),
  retentionPolicy: opt(str({ pattern: '^[1-9][0-9]*[dwm]$' })),
  target: opt(enumOf(BACKUP_TARGETS, { default: 'prefer-standby' })),
});
export type BackupConfiguration = Static<typeof BackupConfigurationSchema>;

// =============================================================================================
// Monitoring and probes

export const ClusterMonitoringTLSConfigurationSchema = obj({
  enabled: opt(bool({ default: false })),
});
export type ClusterMonitoringTLSConfiguration = Static<typeof ClusterMonitoringTLSConfigurationSchema>;

export const MonitoringConfigurationSchema = obj({
  disableDefaultQueries: opt(bool({ default: false })),
  customQueriesConfigMap: opt(arr(ConfigMapKeySelectorSchema)),
  customQueriesSecret: opt(arr(SecretKeySelectorSchema)),
  enablePodMonitor: opt(bool({ default: false })),
  tls: opt(ClusterMonitoringTLSConfigurationSchema),
  podMonitorMetricRelabelings: opt(arr(RelabelConfigSchema)),
  podMonitorRelabelings: opt(arr(RelabelConfigSchema)),
  metricsQueriesTTL: opt(duration()),
});
export type MonitoringConfiguration = Static<typeof MonitoringConfigurationSchema>;

/** The corev1-like probe knobs cnpg lets users tune. */
const probeProperties = {
  initialDelaySeconds: opt(int32()),
  timeoutSeconds: opt(int32()),
  periodSeconds: opt(int32()),
  successThreshold: opt(int32()),
  failureThreshold: opt(int32()),
  terminationGracePeriodSeconds: opt(int64()),
};

export const ProbeSchema = obj(probeProperties);
export type Probe = Static<typeof ProbeSchema>;

export const ProbeWithStrategySchema = obj({
  ...probeProperties,
  type: opt(enumOf(PROBE_STRATEGY_TYPES)),
  maximumLag: opt(quantity()),
});
export type ProbeWithStrategy = Static<typeof ProbeWithStrategySchema>;

export const IsolationCheckConfigurationSchema = obj({
  enabled: opt(bool({ default: true })),
  requestTimeout: opt(integer({ default: 1000 })),
  connectionTimeout: opt(integer({ default: 1000 })),
});
export type IsolationCheckConfiguration = Static<typeof IsolationCheckConfigurationSchema>;

export const LivenessProbeSchema = obj({
  ...probeProperties,
  isolationCheck: opt(IsolationCheckConfigurationSchema),
});
export type LivenessProbe = Static<typeof LivenessProbeSchema>;

export const ProbesConfigurationSchema = obj({
  startup: opt(ProbeWithStrategySchema),
  liveness: opt(LivenessProbeSchema),
  readiness: opt(ProbeWithStrategySchema),
});
export type ProbesConfiguration = Static<typeof ProbesConfigurationSchema>;

// =============================================================================================
// Managed roles and services

export const ManagedServiceSchema = obj({
  selectorType: enumOf(SERVICE_SELECTOR_TYPES),
  updateStrategy: opt(enumOf(SERVICE_UPDATE_STRATEGIES, { default: 'patch' })),
  serviceTemplate: ServiceTemplateSpecSchema,
});
export type ManagedService = Static<typeof ManagedServiceSchema>;

export const ManagedServicesSchema = obj({
  disabledDefaultServices: opt(arr(enumOf(SERVICE_SELECTOR_TYPES))),
  additional: opt(arr(ManagedServiceSchema)),
});
export type ManagedServices = Static<typeof ManagedServicesSchema>;

export const ManagedConfigurationSchema = obj({
  roles: opt(arr(RoleConfigurationSchema)),
  services: opt(ManagedServicesSchema),
});
export type ManagedConfiguration = Static<typeof ManagedConfigurationSchema>;

// =============================================================================================
// Pod selectors for pg_hba, primary lease

export const PodSelectorRefSchema = obj({
  name: str({ pattern: POD_SELECTOR_REF_NAME_PATTERN }),
  selector: coreType<V1LabelSelector>('V1LabelSelector'),
});
export type PodSelectorRef = Static<typeof PodSelectorRefSchema>;

export const PrimaryLeaseConfigurationSchema = obj({
  leaseDurationSeconds: opt(int32({ default: 15, minimum: 1 })),
  renewDeadlineSeconds: opt(int32({ default: 10, minimum: 1 })),
  retryPeriodSeconds: opt(int32({ default: 2, minimum: 1 })),
  releasedLeaseDurationSeconds: opt(int32({ default: 1, minimum: 1 })),
});
export type PrimaryLeaseConfiguration = Static<typeof PrimaryLeaseConfigurationSchema>;

// =============================================================================================
// ClusterSpec

export const ClusterSpecSchema = cel(
  obj(
    {
      description: opt(about('Free-text description of the cluster', str())),
      inheritedMetadata: opt(
        about('Labels and annotations copied onto every object the operator creates', EmbeddedObjectMetadataSchema),
      ),
      imageName: opt(about('PostgreSQL container image (tag and/or digest)', str())),
      imageCatalogRef: opt(
        about('PostgreSQL major version taken from an image catalog, instead of imageName', ImageCatalogRefSchema),
      ),
      imagePullPolicy: opt(about('Pull policy of the PostgreSQL image', str())),
      schedulerName: opt(about('Kubernetes scheduler for the instance pods', str())),
      postgresUID: opt(about('UID of the postgres user in the image', int64({ default: 26 }))),
      postgresGID: opt(about('GID of the postgres user in the image', int64({ default: 26 }))),
      instances: about('Number of PostgreSQL instances', integer({ default: 1, minimum: 1 })),
      minSyncReplicas: opt(
        about(
          'Minimum number of synchronous standbys (legacy synchronous replication)',
          integer({ default: 0, minimum: 0 }),
        ),
      ),
      maxSyncReplicas: opt(
        about(
          'Target number of synchronous standbys (legacy synchronous replication)',
          integer({ default: 0, minimum: 0 }),
        ),
      ),
      postgresql: opt(about('PostgreSQL server configuration', PostgresConfigurationSchema)),
      podSelectorRefs: opt(
        about(
          'Named pod selectors that pg_hba rules can reference (podselector:NAME)',
          listMap(PodSelectorRefSchema, ['name']),
        ),
      ),
      replicationSlots: opt(
        about(
          'Replication slot management',
          withDefault(ReplicationSlotsConfigurationSchema, { highAvailability: { enabled: true } }),
        ),
      ),
      bootstrap: opt(
        about('How the cluster is created: initdb, recovery or pg_basebackup', BootstrapConfigurationSchema),
      ),
      replica: opt(about('Replica cluster configuration', ReplicaClusterConfigurationSchema)),
      superuserSecret: opt(about('Secret with the postgres superuser password', LocalObjectReferenceSchema)),
      enableSuperuserAccess: opt(
        about('Whether the postgres superuser gets a password from superuserSecret', bool({ default: false })),
      ),
      certificates: opt(about('CA and TLS certificates of the cluster', CertificatesConfigurationSchema)),
      imagePullSecrets: opt(about('Pull secrets for the images', arr(LocalObjectReferenceSchema))),
      storage: opt(about('PGDATA volume configuration', StorageConfigurationSchema)),
      serviceAccountTemplate: opt(about('Metadata for the generated service account', ServiceAccountTemplateSchema)),
      serviceAccountName: opt(
        about(
          'Existing service account to use instead of a generated one',
          cel(str({ maxLength: 253, pattern: DNS1123_SUBDOMAIN_PATTERN }), [
            {
              rule: 'self == oldSelf',
              message: 'serviceAccountName is immutable',
              check: (self, old) => deepEqual(self, old),
            },
          ]),
        ),
      ),
      walStorage: opt(about('Separate volume for the WAL files', StorageConfigurationSchema)),
      ephemeralVolumeSource: opt(
        about(
          'Source of the scratch volume of the instance pods',
          coreType<V1EphemeralVolumeSource>('V1EphemeralVolumeSource'),
        ),
      ),
      startDelay: opt(about('Seconds an instance may take to start up', int32({ default: 3600 }))),
      stopDelay: opt(about('Seconds an instance may take to shut down', int32({ default: 1800 }))),
      smartShutdownTimeout: opt(
        about('Seconds reserved for the smart shutdown, within stopDelay', int32({ default: 180 })),
      ),
      switchoverDelay: opt(
        about('Seconds the old primary may take to shut down during a switchover', int32({ default: 3600 })),
      ),
      failoverDelay: opt(about('Seconds to wait before failing over an unhealthy primary', int32({ default: 0 }))),
      livenessProbeTimeout: opt(about('Seconds an instance may fail its liveness probe', int32())),
      affinity: opt(about('Affinity and anti-affinity rules for the instance pods', AffinityConfigurationSchema)),
      topologySpreadConstraints: opt(
        about(
          'Topology spread constraints for the instance pods',
          arr(coreType<V1TopologySpreadConstraint>('V1TopologySpreadConstraint')),
        ),
      ),
      resources: opt(
        about(
          'Resource requests and limits of the instance pods',
          coreType<V1ResourceRequirements>('V1ResourceRequirements'),
        ),
      ),
      ephemeralVolumesSizeLimit: opt(
        about('Size limits of the ephemeral volumes', EphemeralVolumesSizeLimitConfigurationSchema),
      ),
      priorityClassName: opt(about('Priority class of the instance pods', str())),
      primaryUpdateStrategy: opt(
        about(
          'Whether the primary is updated automatically or on request',
          enumOf(PRIMARY_UPDATE_STRATEGIES, { default: 'unsupervised' }),
        ),
      ),
      primaryUpdateMethod: opt(
        about(
          'How the primary is updated: switchover or in-place restart',
          enumOf(PRIMARY_UPDATE_METHODS, { default: 'restart' }),
        ),
      ),
      backup: opt(about('Backup configuration', BackupConfigurationSchema)),
      nodeMaintenanceWindow: opt(about('Behaviour during a Kubernetes node maintenance', NodeMaintenanceWindowSchema)),
      monitoring: opt(about('Metrics exporter configuration', MonitoringConfigurationSchema)),
      externalClusters: opt(about('Other PostgreSQL servers this cluster refers to', arr(ExternalClusterSchema))),
      logLevel: opt(about('Log level of the instance manager', enumOf(LOG_LEVELS, { default: 'info' }))),
      projectedVolumeTemplate: opt(
        about('Projected volume mounted at /projected', coreType<V1ProjectedVolumeSource>('V1ProjectedVolumeSource')),
      ),
      env: opt(about('Environment variables of the instance pods', arr(coreType<V1EnvVar>('V1EnvVar')))),
      envFrom: opt(
        about('Environment variable sources of the instance pods', arr(coreType<V1EnvFromSource>('V1EnvFromSource'))),
      ),
      managed: opt(about('Roles and services managed declaratively', ManagedConfigurationSchema)),
      seccompProfile: opt(
        about('Seccomp profile of the pods and containers', coreType<V1SeccompProfile>('V1SeccompProfile')),
      ),
      podSecurityContext: opt(
        about(
          'Pod security context overriding the operator defaults',
          coreType<V1PodSecurityContext>('V1PodSecurityContext'),
        ),
      ),
      securityContext: opt(
        about(
          'Container security context overriding the operator defaults',
          coreType<V1SecurityContext>('V1SecurityContext'),
        ),
      ),
      tablespaces: opt(about('Declarative tablespaces', arr(TablespaceConfigurationSchema))),
      enablePDB: opt(about('Whether the operator manages PodDisruptionBudgets', bool({ default: true }))),
      plugins: opt(about('CNPG-I plugins and their configuration', arr(PluginConfigurationSchema))),
      probes: opt(about('Startup, liveness and readiness probe configuration', ProbesConfigurationSchema)),
      primaryLease: opt(
        about('Timings of the lease an instance must hold to be primary', PrimaryLeaseConfigurationSchema),
      ),
    },
    { description: 'Desired state of the PostgreSQL cluster' },
  ),
  [
    {
      rule: '!(has(self.imageCatalogRef) && has(self.imageName))',
      message: 'imageName and imageCatalogRef are mutually exclusive',
      check: (self) => !(self.imageCatalogRef !== undefined && self.imageName !== undefined),
    },
  ],
);
export type ClusterSpec = Static<typeof ClusterSpecSchema>;

// =============================================================================================
// ClusterStatus

export const InstanceReportedStateSchema = obj({
  isPrimary: bool(),
  timeLineID: opt(integer()),
  ip: opt(str()),
});
export type InstanceReportedState = Static<typeof InstanceReportedStateSchema>;

export const PasswordStateSchema = obj({
  transactionID: opt(int64()),
  resourceVersion: opt(str()),
});
export type PasswordState = Static<typeof PasswordStateSchema>;

export const ManagedRolesSchema = obj({
  byStatus: opt(map(strings())),
  cannotReconcile: opt(map(strings())),
  passwordStatus: opt(map(PasswordStateSchema)),
});
export type ManagedRoles = Static<typeof ManagedRolesSchema>;

export const TablespaceStateSchema = obj({
  name: str(),
  owner: opt(str()),
  state: str(),
  error: opt(str()),
});
export type TablespaceState = Static<typeof TablespaceStateSchema>;

export const TopologySchema = obj({
  instances: opt(map(map(str()))),
  nodesUsed: opt(int32()),
  successfullyExtracted: opt(bool()),
});
export type Topology = Static<typeof TopologySchema>;

export const SecretsResourceVersionSchema = obj({
  superuserSecretVersion: opt(str()),
  replicationSecretVersion: opt(str()),
  applicationSecretVersion: opt(str()),
  managedRoleSecretVersion: opt(map(str())),
  caSecretVersion: opt(str()),
  clientCaSecretVersion: opt(str()),
  serverCaSecretVersion: opt(str()),
  serverSecretVersion: opt(str()),
  barmanEndpointCA: opt(str()),
  externalClusterSecretVersion: opt(map(str())),
  metrics: opt(map(str())),
});
export type SecretsResourceVersion = Static<typeof SecretsResourceVersionSchema>;

export const ConfigMapResourceVersionSchema = obj({ metrics: opt(map(str())) });
export type ConfigMapResourceVersion = Static<typeof ConfigMapResourceVersionSchema>;

export const CertificatesStatusSchema = obj({
  ...certificatesConfigurationProperties,
  expirations: opt(map(str())),
});
export type CertificatesStatus = Static<typeof CertificatesStatusSchema>;

export const PgBouncerIntegrationStatusSchema = obj({ secrets: opt(strings()) });
export type PgBouncerIntegrationStatus = Static<typeof PgBouncerIntegrationStatusSchema>;

export const PoolerIntegrationsSchema = obj({ pgBouncerIntegration: opt(PgBouncerIntegrationStatusSchema) });
export type PoolerIntegrations = Static<typeof PoolerIntegrationsSchema>;

export const AvailableArchitectureSchema = obj({ goArch: str(), hash: str() });
export type AvailableArchitecture = Static<typeof AvailableArchitectureSchema>;

export const ImageInfoSchema = obj({
  image: str(),
  majorVersion: integer(),
  extensions: opt(arr(ExtensionConfigurationSchema)),
});
export type ImageInfo = Static<typeof ImageInfoSchema>;

export const PluginStatusSchema = obj({
  name: str(),
  version: str(),
  capabilities: opt(strings()),
  operatorCapabilities: opt(strings()),
  walCapabilities: opt(strings()),
  backupCapabilities: opt(strings()),
  restoreJobHookCapabilities: opt(strings()),
  status: opt(str()),
});
export type PluginStatus = Static<typeof PluginStatusSchema>;

export const SwitchReplicaClusterStatusSchema = obj({ inProgress: opt(bool()) });
export type SwitchReplicaClusterStatus = Static<typeof SwitchReplicaClusterStatusSchema>;

export const PodSelectorRefStatusSchema = obj({
  name: str(),
  ips: opt(strings()),
});
export type PodSelectorRefStatus = Static<typeof PodSelectorRefStatusSchema>;

export const ClusterStatusSchema = obj(
  {
    instances: opt(integer()),
    readyInstances: opt(integer()),
    selector: opt(str()),
    instancesStatus: opt(map(strings())),
    instancesReportedState: opt(map(InstanceReportedStateSchema)),
    managedRolesStatus: opt(ManagedRolesSchema),
    tablespacesStatus: opt(arr(TablespaceStateSchema)),
    timelineID: opt(integer()),
    topology: opt(TopologySchema),
    latestGeneratedNode: opt(integer()),
    currentPrimary: opt(str()),
    targetPrimary: opt(str()),
    lastPromotionToken: opt(str()),
    pvcCount: opt(int32()),
    jobCount: opt(int32()),
    danglingPVC: opt(strings()),
    resizingPVC: opt(strings()),
    initializingPVC: opt(strings()),
    healthyPVC: opt(strings()),
    unusablePVC: opt(strings()),
    writeService: opt(str()),
    readService: opt(str()),
    phase: opt(str()),
    phaseReason: opt(str()),
    secretsResourceVersion: opt(SecretsResourceVersionSchema),
    configMapResourceVersion: opt(ConfigMapResourceVersionSchema),
    certificates: opt(CertificatesStatusSchema),
    firstRecoverabilityPoint: opt(str()),
    firstRecoverabilityPointByMethod: opt(map(dateTime())),
    lastSuccessfulBackup: opt(str()),
    lastSuccessfulBackupByMethod: opt(map(dateTime())),
    lastFailedBackup: opt(str()),
    cloudNativePGCommitHash: opt(str()),
    currentPrimaryTimestamp: opt(str()),
    currentPrimaryFailingSinceTimestamp: opt(str()),
    targetPrimaryTimestamp: opt(str()),
    poolerIntegrations: opt(PoolerIntegrationsSchema),
    cloudNativePGOperatorHash: opt(str()),
    operatorCertificateFingerprint: opt(str()),
    availableArchitectures: opt(arr(AvailableArchitectureSchema)),
    conditions: opt(arr(coreType<V1Condition>('V1Condition'))),
    instanceNames: opt(strings()),
    onlineUpdateEnabled: opt(bool()),
    image: opt(str()),
    pgDataImageInfo: opt(ImageInfoSchema),
    targetPgDataImageInfo: opt(ImageInfoSchema),
    pluginStatus: opt(arr(PluginStatusSchema)),
    switchReplicaClusterStatus: opt(SwitchReplicaClusterStatusSchema),
    demotionToken: opt(str()),
    systemID: opt(str()),
    podSelectorRefs: opt(arr(PodSelectorRefStatusSchema)),
  },
  { description: 'Observed state of the PostgreSQL cluster' },
);
export type ClusterStatus = Static<typeof ClusterStatusSchema>;

// =============================================================================================
// Cluster

export const ClusterSchema = resourceSchema(
  'Cluster defines the API schema for a highly available PostgreSQL database cluster managed by CloudNativePG.',
  ClusterSpecSchema,
  ClusterStatusSchema,
);
export type Cluster = Static<typeof ClusterSchema>;
