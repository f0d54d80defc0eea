// Cluster admission rules for the in-tree Barman object store: credentials and retention policy
// (upstream cloudnative-pg/barman-cloud pkg/api/webhooks and pkg/api, called from
// internal/webhook/v1/cluster_webhook.go), plus the warnings about that deprecated support.
// Messages and field paths are upstream's, quirks included: the S3 block is reported as
// `awsCredentials` and the Google one under `spec.backupConfiguration.googleCredentials`.
import type {
  AzureCredentials,
  BarmanObjectStoreConfiguration,
  GoogleCredentials,
  S3Credentials,
} from './barman-types.ts';
import type { Cluster } from './cluster-types.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';

const OBJECT_STORE_PATH = 'spec.backup.barmanObjectStore';
const ONE_CREDENTIAL = 'One and only one of azureCredentials, s3Credentials and googleCredentials are required';

// ---------------------------------------------------------------------------------------------
// Credentials (rule 37)

export function validateBackupConfiguration(cluster: Cluster): FieldError[] {
  const store = cluster.spec.backup?.barmanObjectStore;
  return store === undefined ? [] : validateObjectStoreCredentials(store, OBJECT_STORE_PATH);
}

function validateObjectStoreCredentials(store: BarmanObjectStoreConfiguration, base: string): FieldError[] {
  // Each provider's findings replace the previous ones (upstream assigns rather than appends),
  // so with several providers only the last one checked is detailed.
  let result: FieldError[] = [];
  let providers = 0;
  if (store.azureCredentials !== undefined) {
    providers++;
    result = validateAzureCredentials(store.azureCredentials, `${base}.azureCredentials`);
  }
  if (store.s3Credentials !== undefined) {
    providers++;
    result = validateAwsCredentials(store.s3Credentials, `${base}.awsCredentials`);
  }
  if (store.googleCredentials !== undefined) {
    providers++;
    result = validateGCSCredentials(store.googleCredentials, 'spec.backupConfiguration.googleCredentials');
  }
  if (providers === 0) result.push(fieldErr.invalid(base, store, `missing credentials. ${ONE_CREDENTIAL}`));
  if (providers > 1) result.push(fieldErr.invalid(base, store, `too many credentials. ${ONE_CREDENTIAL}`));
  return result;
}

function validateAzureCredentials(azure: AzureCredentials, field: string): FieldError[] {
  const result: FieldError[] = [];
  const methods = [
    azure.inheritFromAzureAD === true,
    azure.useDefaultAzureCredentials === true,
    azure.storageKey !== undefined,
    azure.storageSasToken !== undefined,
  ].filter(Boolean).length;
  const hasConnectionString = azure.connectionString !== undefined;

  if (methods !== 1 && !hasConnectionString) {
    result.push(
      fieldErr.invalid(
        field,
        azure,
        'when connection string is not specified, one and only one of ' +
          'storage key, storage SAS token, or Azure AD authentication is required',
      ),
    );
  }
  if ((methods !== 0 || azure.storageAccount !== undefined) && hasConnectionString) {
    result.push(
      fieldErr.invalid(field, azure, 'when connection string is specified, the other parameters must be empty'),
    );
  }
  if ((azure.storageKey !== undefined || azure.storageSasToken !== undefined) && azure.storageAccount === undefined) {
    result.push(
      fieldErr.invalid(field, azure, 'storage account must be specified when using storage key or SAS token'),
    );
  }
  return result;
}

function validateAwsCredentials(s3: S3Credentials, field: string): FieldError[] {
  const result: FieldError[] = [];
  let methods = s3.inheritFromIAMRole === true ? 1 : 0;
  const hasKeyId = s3.accessKeyId !== undefined;
  const hasSecret = s3.secretAccessKey !== undefined;
  if (hasKeyId || hasSecret) {
    methods++;
    if (!(hasKeyId && hasSecret)) {
      result.push(
        fieldErr.invalid(field, s3, 'when using AWS credentials both accessKeyId and secretAccessKey must be provided'),
      );
    }
  }
  if (methods === 0) {
    result.push(fieldErr.invalid(field, s3, 'at least one AWS authentication method should be supplied'));
  }
  if (methods > 1) {
    result.push(fieldErr.invalid(field, s3, 'only one AWS authentication method should be supplied'));
  }
  return result;
}

function validateGCSCredentials(gcs: GoogleCredentials, field: string): FieldError[] {
  const gke = gcs.gkeEnvironment === true;
  const hasSecret = gcs.applicationCredentials !== undefined;
  if (!gke && !hasSecret) {
    return [fieldErr.invalid(field, gcs, 'if gkeEnvironment is false, secret with credentials must be provided')];
  }
  if (gke && hasSecret) {
    return [fieldErr.invalid(field, gcs, 'if gkeEnvironment is true, secret with credentials must not be provided')];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Retention policy (rule 38)

// Barman's recovery window: a positive count of days, weeks or months. Anchored only at the end,
// as upstream's expression is.
const RETENTION_POLICY = /([1-9][0-9]*)([dwm])$/;

export function validateRetentionPolicy(cluster: Cluster): FieldError[] {
  const policy = cluster.spec.backup?.retentionPolicy ?? '';
  if (policy === '' || RETENTION_POLICY.test(policy)) return [];
  return [fieldErr.invalid('spec.backup.retentionPolicy', policy, 'not a valid retention policy')];
}

// ---------------------------------------------------------------------------------------------
// Warnings

export function inTreeBarmanWarnings(cluster: Cluster): string[] {
  const paths: string[] = [];
  if (cluster.spec.backup?.barmanObjectStore !== undefined) paths.push(OBJECT_STORE_PATH);
  (cluster.spec.externalClusters ?? []).forEach((externalCluster, idx) => {
    if (externalCluster.barmanObjectStore !== undefined) {
      paths.push(path('spec', 'externalClusters', String(idx), 'barmanObjectStore').text);
    }
  });
  if (paths.length === 0) return [];
  return [
    'Native support for Barman Cloud backups and recovery is deprecated and will be ' +
      `completely removed in CloudNativePG 1.31.0. Found usage in: ${paths.join(', ')}. ` +
      'Please migrate existing clusters to the new Barman Cloud Plugin to ensure a smooth transition.',
  ];
}

export function retentionPolicyWarnings(cluster: Cluster): string[] {
  const backup = cluster.spec.backup;
  if (!backup?.retentionPolicy || backup.barmanObjectStore !== undefined) return [];
  return [
    'Retention policies specified in .spec.backup.retentionPolicy are only used by the ' +
      'in-tree barman-cloud support, which is not being used in this cluster. ' +
      'Please use a backup plugin and migrate this configuration to the plugin configuration',
  ];
}
