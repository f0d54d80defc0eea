import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  inTreeBarmanWarnings,
  retentionPolicyWarnings,
  validateBackupConfiguration,
  validateRetentionPolicy,
} from './cluster-validation-backup.ts';
import type { Cluster } from './cluster-types.ts';
import type { FieldError } from './field-error.ts';
import { ruleCases, upstreamSampleClusters } from './rule-cases.testkit.ts';

const cluster = (spec: Record<string, unknown>): Cluster => ({ metadata: { name: 'c' }, spec }) as unknown as Cluster;

interface Case {
  name: string;
  spec: Record<string, unknown>;
  /** Expected errors: a count, or the exact messages. */
  expect: number | string[];
}

function runCases(validate: (c: Cluster) => FieldError[], cases: Case[]): void {
  ruleCases(cases, (c) => validate(cluster(c.spec)));
}

const store = (credentials: Record<string, unknown>) => ({
  backup: { barmanObjectStore: { destinationPath: 's3://bucket/path', ...credentials } },
});
const secret = (name: string) => ({ name, key: name });
const ONE = 'One and only one of azureCredentials, s3Credentials and googleCredentials are required';

describe('validateBackupConfiguration', () => {
  runCases(validateBackupConfiguration, [
    { name: 'ignores a cluster without backup section', spec: {}, expect: 0 },
    { name: 'ignores a backup section without object store', spec: { backup: { volumeSnapshot: {} } }, expect: 0 },
    {
      name: "complain if there's no credentials",
      spec: store({}),
      expect: [
        `spec.backup.barmanObjectStore: Invalid value: {"destinationPath":"s3://bucket/path"}: missing credentials. ${ONE}`,
      ],
    },
    {
      name: 'accepts S3 credentials from the IAM role',
      spec: store({ s3Credentials: { inheritFromIAMRole: true } }),
      expect: 0,
    },
    {
      name: 'accepts explicit S3 keys',
      spec: store({ s3Credentials: { accessKeyId: secret('id'), secretAccessKey: secret('key') } }),
      expect: 0,
    },
    {
      name: 'requires both S3 keys',
      spec: store({ s3Credentials: { accessKeyId: secret('id') } }),
      expect: [
        'spec.backup.barmanObjectStore.awsCredentials: Invalid value: {"accessKeyId":{"name":"id","key":"id"}}: ' +
          'when using AWS credentials both accessKeyId and secretAccessKey must be provided',
      ],
    },
    {
      name: 'requires an S3 authentication method',
      spec: store({ s3Credentials: {} }),
      expect: [
        'spec.backup.barmanObjectStore.awsCredentials: Invalid value: {}: ' +
          'at least one AWS authentication method should be supplied',
      ],
    },
    {
      name: 'refuses two S3 authentication methods',
      spec: store({
        s3Credentials: { inheritFromIAMRole: true, accessKeyId: secret('id'), secretAccessKey: secret('key') },
      }),
      expect: 1,
    },
    {
      name: 'accepts Azure AD authentication',
      spec: store({ azureCredentials: { inheritFromAzureAD: true } }),
      expect: 0,
    },
    {
      name: 'accepts Azure default credentials',
      spec: store({ azureCredentials: { useDefaultAzureCredentials: true } }),
      expect: 0,
    },
    {
      name: 'accepts an Azure connection string',
      spec: store({ azureCredentials: { connectionString: secret('conn') } }),
      expect: 0,
    },
    {
      name: 'accepts an Azure storage account with its key',
      spec: store({ azureCredentials: { storageAccount: secret('account'), storageKey: secret('key') } }),
      expect: 0,
    },
    {
      name: 'requires an Azure authentication method',
      spec: store({ azureCredentials: {} }),
      expect: [
        'spec.backup.barmanObjectStore.azureCredentials: Invalid value: {}: ' +
          'when connection string is not specified, one and only one of ' +
          'storage key, storage SAS token, or Azure AD authentication is required',
      ],
    },
    {
      name: 'refuses other Azure parameters beside a connection string',
      spec: store({ azureCredentials: { connectionString: secret('conn'), storageAccount: secret('account') } }),
      expect: 1,
    },
    {
      name: 'requires the Azure storage account with a SAS token',
      spec: store({ azureCredentials: { storageSasToken: secret('sas') } }),
      expect: [
        'spec.backup.barmanObjectStore.azureCredentials: Invalid value: {"storageSasToken":{"name":"sas","key":"sas"}}: ' +
          'storage account must be specified when using storage key or SAS token',
      ],
    },
    {
      name: 'refuses two Azure authentication methods',
      spec: store({
        azureCredentials: { storageAccount: secret('a'), storageKey: secret('k'), inheritFromAzureAD: true },
      }),
      expect: 1,
    },
    { name: 'accepts GKE credentials', spec: store({ googleCredentials: { gkeEnvironment: true } }), expect: 0 },
    {
      name: 'accepts Google application credentials',
      spec: store({ googleCredentials: { applicationCredentials: secret('gcs') } }),
      expect: 0,
    },
    {
      name: 'requires Google application credentials outside GKE',
      spec: store({ googleCredentials: {} }),
      expect: [
        'spec.backupConfiguration.googleCredentials: Invalid value: {}: ' +
          'if gkeEnvironment is false, secret with credentials must be provided',
      ],
    },
    {
      name: 'refuses Google application credentials on GKE',
      spec: store({ googleCredentials: { gkeEnvironment: true, applicationCredentials: secret('gcs') } }),
      expect: 1,
    },
    {
      name: 'refuses two providers, detailing only the last one checked (as upstream)',
      spec: store({ azureCredentials: {}, s3Credentials: { inheritFromIAMRole: true } }),
      expect: [
        'spec.backup.barmanObjectStore: Invalid value: ' +
          '{"destinationPath":"s3://bucket/path","azureCredentials":{},"s3Credentials":{"inheritFromIAMRole":true}}: ' +
          `too many credentials. ${ONE}`,
      ],
    },
  ]);
});

describe('validateRetentionPolicy', () => {
  const policy = (retentionPolicy: string) => ({ backup: { retentionPolicy } });
  runCases(validateRetentionPolicy, [
    { name: "doesn't complain if given policy is not provided", spec: { backup: {} }, expect: 0 },
    { name: "doesn't complain if given policy is valid", spec: policy('90d'), expect: 0 },
    { name: 'accepts weeks', spec: policy('4w'), expect: 0 },
    { name: 'accepts months', spec: policy('6m'), expect: 0 },
    {
      name: 'complain if a given policy is not valid',
      spec: policy('09'),
      expect: ['spec.backup.retentionPolicy: Invalid value: "09": not a valid retention policy'],
    },
    { name: 'refuses a zero count', spec: policy('00d'), expect: 1 },
    { name: 'refuses an unknown unit', spec: policy('30y'), expect: 1 },
    { name: 'is only anchored at the end, as upstream', spec: policy('x10d'), expect: 0 },
  ]);
});

describe('inTreeBarmanWarnings', () => {
  const warning = (paths: string) =>
    'Native support for Barman Cloud backups and recovery is deprecated and will be completely removed in ' +
    `CloudNativePG 1.31.0. Found usage in: ${paths}. ` +
    'Please migrate existing clusters to the new Barman Cloud Plugin to ensure a smooth transition.';
  const bos = { destinationPath: 's3://b' };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['returns no warnings when BarmanObjectStore is not configured', {}, []],
    [
      'returns a warning when BarmanObjectStore is configured in backup',
      { backup: { barmanObjectStore: bos } },
      [warning('spec.backup.barmanObjectStore')],
    ],
    [
      'returns warnings for multiple external clusters with BarmanObjectStore',
      {
        externalClusters: [
          { name: 'a', barmanObjectStore: bos },
          { name: 'b', barmanObjectStore: bos },
        ],
      },
      [warning('spec.externalClusters.0.barmanObjectStore, spec.externalClusters.1.barmanObjectStore')],
    ],
    [
      'returns warnings for both backup and external clusters with BarmanObjectStore',
      {
        backup: { barmanObjectStore: bos },
        externalClusters: [
          { name: 'x', connectionParameters: {} },
          { name: 'a', barmanObjectStore: bos },
        ],
      },
      [warning('spec.backup.barmanObjectStore, spec.externalClusters.1.barmanObjectStore')],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    it(name, () => assert.deepEqual(inTreeBarmanWarnings(cluster(spec)), expected));
  }
});

describe('retentionPolicyWarnings', () => {
  it('returns no warnings if the retention policy is used with the in-tree backup support', () => {
    const spec = { backup: { retentionPolicy: '30d', barmanObjectStore: { destinationPath: 's3://b' } } };
    assert.deepEqual(retentionPolicyWarnings(cluster(spec)), []);
  });
  it('return a warning when retention policies are declared and not used', () => {
    assert.deepEqual(retentionPolicyWarnings(cluster({ backup: { retentionPolicy: '30d' } })), [
      'Retention policies specified in .spec.backup.retentionPolicy are only used by the in-tree barman-cloud ' +
        'support, which is not being used in this cluster. Please use a backup plugin and migrate this ' +
        'configuration to the plugin configuration',
    ]);
  });
  it('says nothing without a retention policy', () => assert.deepEqual(retentionPolicyWarnings(cluster({})), []));
});

describe('upstream samples', () => {
  for (const { file, cluster: c } of upstreamSampleClusters()) {
    it(`accepts ${file}`, () => {
      assert.deepEqual([...validateBackupConfiguration(c), ...validateRetentionPolicy(c)].map(String), []);
    });
  }
});
