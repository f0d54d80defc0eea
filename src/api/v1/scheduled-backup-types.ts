// ScheduledBackup (postgresql.cnpg.io/v1): creates Backups of a Cluster on a cron schedule
// (six fields, seconds first).
import { BackupPluginConfigurationSchema } from './backup-types.ts';
import {
  BACKUP_METHODS,
  BACKUP_TARGETS,
  LocalObjectReferenceSchema,
  local,
  OnlineConfigurationSchema,
} from './common-types.ts';
import { bool, dateTime, enumOf, immutable, obj, opt, resourceSchema, type Static, str } from './schema-kit.ts';

/** Which object owns the Backups a ScheduledBackup creates. */
export const BACKUP_OWNER_REFERENCES = ['none', 'self', 'cluster'] as const;
export type BackupOwnerReference = (typeof BACKUP_OWNER_REFERENCES)[number];

export const ScheduledBackupSpecSchema = obj({
  suspend: opt(bool()),
  immediate: opt(bool()),
  schedule: str(),
  cluster: immutable(local(LocalObjectReferenceSchema), 'cluster reference is immutable after creation'),
  backupOwnerReference: opt(enumOf(BACKUP_OWNER_REFERENCES, { default: 'none' })),
  target: opt(enumOf(BACKUP_TARGETS)),
  method: opt(enumOf(BACKUP_METHODS, { default: 'barmanObjectStore' })),
  pluginConfiguration: opt(BackupPluginConfigurationSchema),
  online: opt(bool()),
  onlineConfiguration: opt(OnlineConfigurationSchema),
});
export type ScheduledBackupSpec = Static<typeof ScheduledBackupSpecSchema>;

export const ScheduledBackupStatusSchema = obj({
  lastCheckTime: opt(dateTime()),
  lastScheduleTime: opt(dateTime()),
  nextScheduleTime: opt(dateTime()),
  /** Why the ScheduledBackup is not acted upon (the admission error found in reconcile). */
  error: opt(str()),
});
export type ScheduledBackupStatus = Static<typeof ScheduledBackupStatusSchema>;

export const ScheduledBackupSchema = resourceSchema(
  'ScheduledBackup is the Schema for the scheduledbackups API',
  ScheduledBackupSpecSchema,
  ScheduledBackupStatusSchema,
);
export type ScheduledBackup = Static<typeof ScheduledBackupSchema>;
