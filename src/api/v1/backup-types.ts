// Backup (postgresql.cnpg.io/v1): a request for one physical base backup of a Cluster, taken by
// barman-cloud, as a set of VolumeSnapshots, or by a CNPG-I plugin.
import { BarmanCredentialsProperties } from './barman-types.ts';
import {
  BACKUP_METHODS,
  BACKUP_TARGETS,
  LocalObjectReferenceSchema,
  OnlineConfigurationSchema,
  SecretKeySelectorSchema,
} from './common-types.ts';
import {
  bool,
  bytes,
  cel,
  dateTime,
  deepEqual,
  enumOf,
  map,
  obj,
  opt,
  resourceSchema,
  type Static,
  str,
  Type,
} from './schema-kit.ts';

/** The phases a Backup goes through (`status.phase`). */
export const BackupPhase = {
  pending: 'pending',
  started: 'started',
  running: 'running',
  /** A volume snapshot backup was taken and waits for its snapshots to be ready to use. */
  finalizing: 'finalizing',
  completed: 'completed',
  failed: 'failed',
  walArchivingFailing: 'walArchivingFailing',
} as const;
export type BackupPhase = (typeof BackupPhase)[keyof typeof BackupPhase];

/** Annotation giving how many minutes a volume snapshot backup may keep retrying. */
export const BACKUP_VOLUME_SNAPSHOT_DEADLINE_ANNOTATION = 'cnpg.io/volumeSnapshotDeadline';

/** The plugin that takes a `method: plugin` backup, and its parameters. */
export const BackupPluginConfigurationSchema = obj({
  name: str(),
  parameters: opt(map(str())),
});
export type BackupPluginConfiguration = Static<typeof BackupPluginConfigurationSchema>;

export const BackupSpecSchema = cel(
  obj({
    cluster: LocalObjectReferenceSchema,
    target: opt(enumOf(BACKUP_TARGETS)),
    method: opt(enumOf(BACKUP_METHODS, { default: 'barmanObjectStore' })),
    pluginConfiguration: opt(BackupPluginConfigurationSchema),
    online: opt(bool()),
    onlineConfiguration: opt(OnlineConfigurationSchema),
  }),
  [{ rule: 'oldSelf == self', message: 'BackupSpec is immutable once set', check: (s, o) => deepEqual(o, s) }],
);
export type BackupSpec = Static<typeof BackupSpecSchema>;

/** One VolumeSnapshot of a volume snapshot backup. */
export const BackupSnapshotElementStatusSchema = obj({
  name: str(),
  /** PG_DATA, PG_WAL or PG_TABLESPACE. */
  type: str(),
  tablespaceName: opt(str()),
});
export type BackupSnapshotElementStatus = Static<typeof BackupSnapshotElementStatusSchema>;

export const BackupSnapshotStatusSchema = obj({
  elements: opt(Type.Array(BackupSnapshotElementStatusSchema)),
});
export type BackupSnapshotStatus = Static<typeof BackupSnapshotStatusSchema>;

/** The instance (and instance manager run) that took the backup. */
export const InstanceIDSchema = obj({
  podName: opt(str()),
  ContainerID: opt(str()),
  /** Changes at every instance manager start: a different one means the backup process died. */
  sessionID: opt(str()),
});
export type InstanceID = Static<typeof InstanceIDSchema>;

export const BackupStatusSchema = obj({
  ...BarmanCredentialsProperties,
  majorVersion: opt(Type.Integer()),
  endpointCA: opt(SecretKeySelectorSchema),
  endpointURL: opt(str()),
  destinationPath: opt(str()),
  serverName: opt(str()),
  encryption: opt(str()),
  backupId: opt(str()),
  backupName: opt(str()),
  phase: opt(str()),
  /** When the backup tool started and stopped. */
  startedAt: opt(dateTime()),
  stoppedAt: opt(dateTime()),
  /** When the operator started and finished working on the backup (successfully or not). */
  reconciliationStartedAt: opt(dateTime()),
  reconciliationTerminatedAt: opt(dateTime()),
  beginWal: opt(str()),
  endWal: opt(str()),
  beginLSN: opt(str()),
  endLSN: opt(str()),
  error: opt(str()),
  /** Unused, kept for compatibility. */
  commandOutput: opt(str()),
  commandError: opt(str()),
  backupLabelFile: opt(bytes()),
  tablespaceMapFile: opt(bytes()),
  instanceID: opt(InstanceIDSchema),
  snapshotBackupStatus: opt(BackupSnapshotStatusSchema),
  method: opt(str()),
  online: opt(bool()),
  pluginMetadata: opt(map(str())),
});
export type BackupStatus = Static<typeof BackupStatusSchema>;

export const BackupSchema = resourceSchema(
  'A Backup resource is a request for a PostgreSQL backup by the user.',
  BackupSpecSchema,
  BackupStatusSchema,
);
export type Backup = Static<typeof BackupSchema>;
