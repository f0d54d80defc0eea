// The in-tree Barman Cloud object-store configuration (repo cloudnative-pg/barman-cloud, pkg/api):
// `.spec.backup.barmanObjectStore` and `.spec.externalClusters[].barmanObjectStore` of a Cluster.
// Deprecated upstream in favour of the barman-cloud CNPG-I plugin, but still accepted as is.
import { integer, SecretKeySelectorSchema, strings } from './common-types.ts';
import { bool, enumOf, int32, map, obj, opt, type Static, str } from './schema-kit.ts';

/** WAL files accept every compression barman-cloud-wal-archive knows. */
export const WAL_COMPRESSION_TYPES = ['bzip2', 'gzip', 'lz4', 'snappy', 'xz', 'zstd'] as const;
/** Base backups accept fewer (barman-cloud-backup's tar streaming). */
export const DATA_COMPRESSION_TYPES = ['bzip2', 'gzip', 'lz4', 'snappy'] as const;
export type CompressionType = (typeof WAL_COMPRESSION_TYPES)[number];

export const ENCRYPTION_TYPES = ['AES256', 'aws:kms'] as const;
export type EncryptionType = (typeof ENCRYPTION_TYPES)[number];

/** Either explicit keys or the pod's IAM role. */
export const S3CredentialsSchema = obj({
  accessKeyId: opt(SecretKeySelectorSchema),
  secretAccessKey: opt(SecretKeySelectorSchema),
  region: opt(SecretKeySelectorSchema),
  sessionToken: opt(SecretKeySelectorSchema),
  inheritFromIAMRole: opt(bool()),
});
export type S3Credentials = Static<typeof S3CredentialsSchema>;

/** A connection string, or a storage account with exactly one authentication method. */
export const AzureCredentialsSchema = obj({
  connectionString: opt(SecretKeySelectorSchema),
  storageAccount: opt(SecretKeySelectorSchema),
  storageKey: opt(SecretKeySelectorSchema),
  storageSasToken: opt(SecretKeySelectorSchema),
  inheritFromAzureAD: opt(bool()),
  useDefaultAzureCredentials: opt(bool()),
});
export type AzureCredentials = Static<typeof AzureCredentialsSchema>;

export const GoogleCredentialsSchema = obj({
  applicationCredentials: opt(SecretKeySelectorSchema),
  gkeEnvironment: opt(bool()),
});
export type GoogleCredentials = Static<typeof GoogleCredentialsSchema>;

/** The three credential blocks, inlined in the object store and in Backup's status. */
export const BarmanCredentialsProperties = {
  googleCredentials: opt(GoogleCredentialsSchema),
  s3Credentials: opt(S3CredentialsSchema),
  azureCredentials: opt(AzureCredentialsSchema),
};

export const WalBackupConfigurationSchema = obj({
  compression: opt(enumOf(WAL_COMPRESSION_TYPES)),
  encryption: opt(enumOf(ENCRYPTION_TYPES)),
  maxParallel: opt(integer({ minimum: 1 })),
  archiveAdditionalCommandArgs: opt(strings()),
  restoreAdditionalCommandArgs: opt(strings()),
});
export type WalBackupConfiguration = Static<typeof WalBackupConfigurationSchema>;

export const DataBackupConfigurationSchema = obj({
  compression: opt(enumOf(DATA_COMPRESSION_TYPES)),
  encryption: opt(enumOf(ENCRYPTION_TYPES)),
  jobs: opt(int32({ minimum: 1 })),
  immediateCheckpoint: opt(bool()),
  additionalCommandArgs: opt(strings()),
  restoreAdditionalCommandArgs: opt(strings()),
});
export type DataBackupConfiguration = Static<typeof DataBackupConfigurationSchema>;

export const BarmanObjectStoreConfigurationSchema = obj({
  ...BarmanCredentialsProperties,
  endpointURL: opt(str()),
  endpointCA: opt(SecretKeySelectorSchema),
  destinationPath: str({ minLength: 1 }),
  serverName: opt(str()),
  wal: opt(WalBackupConfigurationSchema),
  data: opt(DataBackupConfigurationSchema),
  tags: opt(map(str())),
  historyTags: opt(map(str())),
});
export type BarmanObjectStoreConfiguration = Static<typeof BarmanObjectStoreConfigurationSchema>;
