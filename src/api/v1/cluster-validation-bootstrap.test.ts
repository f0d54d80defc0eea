import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidTargetTime,
  validateBootstrapMethod,
  validateBootstrapPgBaseBackupSource,
  validateBootstrapRecoveryDataSource,
  validateBootstrapRecoverySource,
  validateImport,
  validateInitDB,
  validatePgBaseBackupApplicationDatabase,
  validateRecoveryApplicationDatabase,
  validateRecoveryTarget,
  validateSuperuserSecret,
} from './cluster-validation-bootstrap.ts';
import type { Cluster } from './cluster-types.ts';
import type { FieldError } from './field-error.ts';
import { ruleCases, upstreamSampleClusters } from './rule-cases.testkit.ts';

/** A cluster from a partial spec (test objects need not be complete). */
const cluster = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Cluster =>
  ({ metadata, spec }) as unknown as Cluster;

type Validator = (c: Cluster) => FieldError[];

interface Case {
  name: string;
  spec: Record<string, unknown>;
  /** Expected errors: a count, or the exact messages. */
  expect: number | string[];
}

function runCases(validate: Validator, cases: Case[]): void {
  ruleCases(cases, (c) => validate(cluster(c.spec)));
}

const initdb = (o: Record<string, unknown>) => ({ bootstrap: { initdb: o } });
const recovery = (o: Record<string, unknown>) => ({ bootstrap: { recovery: o } });
const target = (t: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  recovery({ recoveryTarget: t, ...extra });

describe('validateBootstrapMethod', () => {
  runCases(validateBootstrapMethod, [
    { name: "doesn't complain if there isn't a configuration", spec: {}, expect: 0 },
    { name: "doesn't complain if we are using initdb", spec: initdb({}), expect: 0 },
    { name: "doesn't complain if we are using recovery", spec: recovery({}), expect: 0 },
    {
      name: 'complains where there are two active bootstrap methods',
      spec: { bootstrap: { recovery: {}, initdb: {} } },
      expect: ['spec.bootstrap: Forbidden: Only one bootstrap method can be specified at a time'],
    },
    {
      name: 'complains with pg_basebackup and recovery',
      spec: { bootstrap: { recovery: {}, pg_basebackup: { source: 'x' } } },
      expect: 1,
    },
  ]);
});

describe('validateInitDB', () => {
  const refs = (o: Record<string, unknown>) => initdb({ database: 'app', owner: 'app', postInitApplicationSQLRefs: o });
  runCases(validateInitDB, [
    { name: "doesn't complain if there isn't a configuration", spec: {}, expect: 0 },
    {
      name: 'complains if you specify the database name but not the owner',
      spec: initdb({ database: 'app' }),
      expect: ['spec.bootstrap.initdb.owner: Invalid value: "": You need to specify the database owner user'],
    },
    {
      name: 'complains if you specify the owner but not the database name',
      spec: initdb({ owner: 'app' }),
      expect: ['spec.bootstrap.initdb.database: Invalid value: "": You need to specify the database name'],
    },
    {
      name: "doesn't complain if you specify both database name and owner user",
      spec: initdb({ database: 'app', owner: 'app' }),
      expect: 0,
    },
    {
      name: 'complain if key is missing in the secretRefs',
      spec: refs({ secretRefs: [{ name: 'secret1' }] }),
      expect: [
        'spec.bootstrap.initdb.postInitApplicationSQLRefs.secretRefs: Invalid value: {"name":"secret1"}: ' +
          'key and name must be specified',
      ],
    },
    { name: 'complain if name is missing in the secretRefs', spec: refs({ secretRefs: [{ key: 'key' }] }), expect: 1 },
    {
      name: 'complain if key is missing in the configMapRefs',
      spec: refs({ configMapRefs: [{ name: 'configmap1' }] }),
      expect: 1,
    },
    {
      name: 'complain if name is missing in the configMapRefs',
      spec: refs({ configMapRefs: [{ key: 'key' }] }),
      expect: 1,
    },
    {
      name: "doesn't complain if configmapRefs and secretRefs are valid",
      spec: refs({
        configMapRefs: [
          { name: 'configmap1', key: 'key' },
          { name: 'configmap2', key: 'key' },
        ],
        secretRefs: [
          { name: 'secret1', key: 'key' },
          { name: 'secret2', key: 'key' },
        ],
      }),
      expect: 0,
    },
    { name: 'accepts a power-of-two WAL segment size', spec: initdb({ walSegmentSize: 64 }), expect: 0 },
    {
      name: 'rejects a WAL segment size that is not a power of two',
      spec: initdb({ walSegmentSize: 24 }),
      expect: ['spec.bootstrap.initdb.walSegmentSize: Invalid value: 24: WAL segment size must be a power of 2'],
    },
  ]);
});

describe('validateSuperuserSecret', () => {
  runCases(validateSuperuserSecret, [
    { name: "doesn't complain if superuser secret it's empty", spec: {}, expect: 0 },
    { name: 'accepts a named secret', spec: { superuserSecret: { name: 'su' } }, expect: 0 },
    {
      name: "complains if superuser secret name it's empty",
      spec: { superuserSecret: { name: '' } },
      expect: ['spec.superusersecret.name: Invalid value: "": Super user secret name can\'t be empty'],
    },
  ]);
});

describe('validateRecoveryApplicationDatabase', () => {
  runCases(validateRecoveryApplicationDatabase, [
    {
      name: 'complains if you specify the database name but not the owner for recovery',
      spec: recovery({ database: 'app' }),
      expect: ['spec.bootstrap.recovery.owner: Invalid value: "": You need to specify the database owner user'],
    },
    {
      name: 'complains if you specify the owner but not the database name for recovery',
      spec: recovery({ owner: 'app' }),
      expect: 1,
    },
    {
      name: "doesn't complain if you specify both database name and owner user for recovery",
      spec: recovery({ database: 'app', owner: 'app' }),
      expect: 0,
    },
  ]);
});

describe('validatePgBaseBackupApplicationDatabase', () => {
  const pgbb = (o: Record<string, unknown>) => ({ bootstrap: { pg_basebackup: { source: 's', ...o } } });
  runCases(validatePgBaseBackupApplicationDatabase, [
    {
      name: 'complains if you specify the database name but not the owner for pg_basebackup',
      spec: pgbb({ database: 'app' }),
      expect: ['spec.bootstrap.pg_basebackup.owner: Invalid value: "": You need to specify the database owner user'],
    },
    {
      name: 'complains if you specify the owner but not the database name for pg_basebackup',
      spec: pgbb({ owner: 'app' }),
      expect: ['spec.bootstrap.pg_basebackup.database: Invalid value: "": You need to specify the database name'],
    },
    {
      name: "doesn't complain if you specify both database name and owner user for pg_basebackup",
      spec: pgbb({ database: 'app', owner: 'app' }),
      expect: 0,
    },
  ]);
});

describe('validateImport', () => {
  const imp = (o: Record<string, unknown>) =>
    initdb({ database: 'app', owner: 'app', import: { source: { externalCluster: 'x' }, ...o } });
  runCases(validateImport, [
    {
      name: 'rejects unrecognized import type',
      spec: imp({ type: 'fooBar' }),
      expect: ['spec.bootstrap.initdb.import.type: Invalid value: "fooBar": Unrecognized import type'],
    },
    {
      name: 'rejects microservice import with roles',
      spec: imp({ type: 'microservice', databases: ['foo'], roles: ['bar'] }),
      expect: [
        'spec.bootstrap.initdb.import.roles: Invalid value: ["foo"]: ' +
          'You cannot specify roles to import for the `microservice` import type',
      ],
    },
    {
      name: 'rejects microservice import without exactly one database',
      spec: imp({ type: 'microservice', databases: ['foo', 'bar'] }),
      expect: [
        'spec.bootstrap.initdb.import.databases: Invalid value: ["foo","bar"]: ' +
          'You need to specify a single database for the `microservice` import type',
      ],
    },
    {
      name: 'rejects microservice import with a wildcard on the database name',
      spec: imp({ type: 'microservice', databases: ['*foo'] }),
      expect: [
        'spec.bootstrap.initdb.import.databases.0: Invalid value: ["*foo"]: ' +
          'You cannot specify any wildcard for the `microservice` import type',
      ],
    },
    {
      name: 'accepts microservice import when well specified',
      spec: imp({ type: 'microservice', databases: ['foo'] }),
      expect: 0,
    },
    {
      name: 'rejects monolith import with no databases',
      spec: imp({ type: 'monolith', databases: [] }),
      expect: [
        'spec.bootstrap.initdb.import.databases: Invalid value: []: ' +
          'You need to specify at least a database for the `monolith` import type',
      ],
    },
    {
      name: 'rejects monolith import with PostImport Application SQL',
      spec: imp({ type: 'monolith', databases: ['foo'], postImportApplicationSQL: ['select * from bar'] }),
      expect: [
        'spec.bootstrap.initdb.import.postImportApplicationSQL: Invalid value: ["select * from bar"]: ' +
          'postImportApplicationSQL is not allowed for the `monolith` import type',
      ],
    },
    {
      name: 'rejects monolith import with a database wildcard alongside specific values',
      spec: imp({ type: 'monolith', databases: ['bar', '*'] }),
      expect: [
        'spec.bootstrap.initdb.import.databases: Invalid value: ["bar","*"]: ' +
          'Wildcard import cannot be used along other database names',
      ],
    },
    {
      name: 'rejects monolith import with a role wildcard alongside specific values',
      spec: imp({ type: 'monolith', databases: ['foo'], roles: ['baz', '*'] }),
      expect: [
        'spec.bootstrap.initdb.import.roles: Invalid value: ["foo"]: ' +
          'Wildcard import cannot be used along other role names',
      ],
    },
    {
      name: 'accepts monolith import with proper values',
      spec: imp({ type: 'monolith', databases: ['foo'] }),
      expect: 0,
    },
    {
      name: 'accepts monolith import with wildcards',
      spec: imp({ type: 'monolith', databases: ['*'], roles: ['*'] }),
      expect: 0,
    },
    { name: 'ignores an initdb without import', spec: initdb({}), expect: 0 },
  ]);
});

describe('validateRecoveryTarget', () => {
  runCases(validateRecoveryTarget, [
    { name: 'ignores a recovery without target', spec: recovery({}), expect: 0 },
    {
      name: 'is mutually exclusive',
      spec: target({ targetLSN: '1/1', targetTime: '2021-09-01 10:22:47.000000+06' }),
      expect: [
        'spec.bootstrap.recovery.recoveryTarget: Invalid value: ' +
          '{"targetLSN":"1/1","targetTime":"2021-09-01 10:22:47.000000+06"}: ' +
          'Recovery target options are mutually exclusive',
      ],
    },
    {
      name: 'Requires BackupID to perform PITR with TargetName',
      spec: target({ backupID: '20220616T031500', targetName: 'restore_point_1' }),
      expect: 0,
    },
    {
      name: 'Fails when no BackupID is provided to perform PITR with TargetXID',
      spec: target({ targetXID: '1' }),
      expect: ['spec.bootstrap.recovery.recoveryTarget: Required value: BackupID is missing'],
    },
    {
      name: 'requires a BackupID with targetImmediate, even false',
      spec: target({ targetImmediate: false }),
      expect: 1,
    },
    {
      name: 'does not require a BackupID when recovering from volume snapshots',
      spec: target(
        { targetName: 'restore_point_1' },
        { volumeSnapshots: { storage: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'x' } } },
      ),
      expect: 0,
    },
    {
      name: 'TargetTime format `YYYY-MM-DD HH24:MI:SS.FF6TZH` is valid',
      spec: target({ targetTime: '2021-09-01 10:22:47.000000+06' }),
      expect: 0,
    },
    {
      name: 'TargetTime format `YYYY-MM-DD HH24:MI:SS.FF6TZH:TZM` is valid',
      spec: target({ targetTime: '2021-09-01 10:22:47.000000+06:00' }),
      expect: 0,
    },
    {
      name: 'TargetTime format `YYYY-MM-DD HH24:MI:SS.FF6 TZH:TZM` is invalid',
      spec: target({ targetTime: '2021-09-01 10:22:47.000000 +06:00' }),
      expect: [
        'spec.bootstrap.recovery.recoveryTarget: Invalid value: "2021-09-01 10:22:47.000000 +06:00": ' +
          'The format of TargetTime is invalid',
      ],
    },
    { name: 'TargetTime can be specified', spec: target({ targetTime: '2020-01-01 01:01:00' }), expect: 0 },
    {
      name: 'raises errors for invalid LSN',
      spec: target({ targetLSN: '28734982739847293874823974928738423/987429837498273498723984723' }),
      expect: [
        'spec.bootstrap.recovery.recoveryTarget: Invalid value: ' +
          '"28734982739847293874823974928738423/987429837498273498723984723": Invalid TargetLSN',
      ],
    },
    { name: 'valid LSN', spec: target({ targetLSN: '1/1' }), expect: 0 },
    { name: 'valid hexadecimal LSN', spec: target({ targetLSN: '0/1A2B3C4D' }), expect: 0 },
    { name: 'LSN without separator', spec: target({ targetLSN: '12345' }), expect: 1 },
    {
      name: 'accepts the largest 32-bit XID',
      spec: target({ targetXID: '4294967295', backupID: '20220616T031500' }),
      expect: 0,
    },
    {
      name: 'rejects an XID beyond 32 bits',
      spec: target({ targetXID: '4294967296', backupID: '20220616T031500' }),
      expect: ['spec.bootstrap.recovery.recoveryTarget: Invalid value: "4294967296": Invalid TargetXID'],
    },
    { name: 'rejects a negative XID', spec: target({ targetXID: '-1', backupID: 'b' }), expect: 1 },
    {
      name: 'rejects a non-numeric XID and still asks for the BackupID',
      spec: target({ targetXID: '1/1' }),
      expect: 2,
    },
    {
      name: 'accepts a 63-byte target name',
      spec: target({ targetName: 'a'.repeat(63), backupID: 'b' }),
      expect: 0,
    },
    {
      name: 'rejects a 64-byte target name',
      spec: target({ targetName: 'é'.repeat(32), backupID: 'b' }),
      expect: [
        `spec.bootstrap.recovery.recoveryTarget: Invalid value: "${'é'.repeat(32)}": ` +
          'Invalid TargetName: must be shorter than 64 bytes',
      ],
    },
    {
      name: 'rejects control characters in the target name',
      spec: target({ targetName: 'a\nb', backupID: 'b' }),
      expect: [
        'spec.bootstrap.recovery.recoveryTarget: Invalid value: "a\\nb": ' +
          'Invalid TargetName: must not contain control characters',
      ],
    },
    { name: 'recoveryTLI allows "latest"', spec: target({ targetTLI: 'latest' }), expect: 0 },
    { name: 'recoveryTLI allows a positive integer', spec: target({ targetTLI: '23' }), expect: 0 },
    {
      name: 'recoveryTLI prevents 0 value',
      spec: target({ targetTLI: '0' }),
      expect: [
        'spec.bootstrap.recovery.recoveryTarget.targetTLI: Invalid value: {"targetTLI":"0"}: ' +
          "recovery target timeline can be set to 'latest' or a positive integer",
      ],
    },
    { name: 'recoveryTLI prevents negative values', spec: target({ targetTLI: '-5' }), expect: 1 },
    {
      name: 'recoveryTLI prevents everything else beside the empty string',
      spec: target({ targetTLI: "I don't remember" }),
      expect: 1,
    },
  ]);
});

describe('isValidTargetTime', () => {
  const valid = [
    '2021-09-01 10:22:47',
    '2021-09-01 10:22:47.123+02',
    '2021-09-01 10:22:47.123456-05:30',
    '2021-09-01 10:22:47Z',
    '2021-09-01',
    '2021-09-01T10:22:47Z',
    '2021-09-01T10:22:47+02:00',
    '2021-09-01T10:22:47.123456Z',
    '2021-09-01T10:22:47',
    '2024-02-29T00:00:00Z',
  ];
  const invalid = [
    '',
    'yesterday',
    '2021-09-01 10:22',
    '2021/09/01 10:22:47',
    '2021-09-01T25:00:00Z',
    '2023-02-29T00:00:00Z',
    '2021-09-01T10:22:47+2:00',
    '2021-09-01 10:22:47.000000 +06:00',
  ];
  for (const s of valid) it(`accepts ${JSON.stringify(s)}`, () => assert.equal(isValidTargetTime(s), true));
  for (const s of invalid) it(`rejects ${JSON.stringify(s)}`, () => assert.equal(isValidTargetTime(s), false));
});

describe('validateBootstrapPgBaseBackupSource', () => {
  runCases(validateBootstrapPgBaseBackupSource, [
    { name: "doesn't complain if we are not bootstrapping using pg_basebackup", spec: { bootstrap: {} }, expect: 0 },
    {
      name: "complain when the source cluster doesn't exist",
      spec: { bootstrap: { pg_basebackup: { source: 'test' } } },
      expect: ['spec.bootstrap.pg_basebackup.source: Invalid value: "test": External cluster test not found'],
    },
    {
      name: 'accepts a source declared among the external clusters',
      spec: {
        bootstrap: { pg_basebackup: { source: 'test' } },
        externalClusters: [{ name: 'test', connectionParameters: { host: 'x' } }],
      },
      expect: 0,
    },
  ]);
});

describe('validateBootstrapRecoverySource', () => {
  const withSource = (externalClusters: unknown[]) => ({
    bootstrap: { recovery: { source: 'test' } },
    externalClusters,
  });
  runCases(validateBootstrapRecoverySource, [
    { name: 'ignores a recovery without source', spec: recovery({ backup: { name: 'b' } }), expect: 0 },
    {
      name: 'accepts a source using a barman object store configuration',
      spec: withSource([{ name: 'test', barmanObjectStore: { destinationPath: 's3://b' } }]),
      expect: 0,
    },
    {
      name: 'accepts a source using a plugin configuration',
      spec: withSource([{ name: 'test', plugin: { name: 'barman-cloud.cloudnative-pg.io' } }]),
      expect: 0,
    },
    {
      name: 'complains when bootstrap recovery source does not match one of the names of external clusters',
      spec: withSource([{ name: 'another-test' }]),
      expect: [
        'spec.bootstrap.recovery.source: Invalid value: "test": External cluster test not found',
        'spec.bootstrap.recovery.source: Invalid value: "test": External cluster test cannot be used for recovery: ' +
          'both Barman and CNPG-i plugin configurations are missing',
      ],
    },
    {
      name: 'complains when bootstrap recovery source have no BarmanObjectStore nor plugin configuration',
      spec: withSource([{ name: 'test', connectionParameters: { host: 'x' } }]),
      expect: 1,
    },
  ]);
});

describe('validateBootstrapRecoveryDataSource', () => {
  const snapshot = (name: string) => ({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name });
  const fromRecovery = (r: Record<string, unknown>) => ({ bootstrap: { recovery: r }, walStorage: {} });
  runCases(validateBootstrapRecoveryDataSource, [
    { name: 'ignores recoveries without volume snapshots', spec: recovery({ source: 'x' }), expect: 0 },
    {
      name: 'should produce an error when defining two recovery sources at the same time',
      spec: recovery({ source: 'sourceName', backup: { name: 'b' }, volumeSnapshots: { storage: snapshot('x') } }),
      expect: [
        'spec.bootstrap.recovery.backup: Invalid value: {"name":"b"}: ' +
          'Recovery from dataSource is not compatible with other types of recovery',
      ],
    },
    {
      name: 'should produce an error when defining a backupID while recovering using a DataSource',
      spec: recovery({
        recoveryTarget: { backupID: '20220616T031500' },
        volumeSnapshots: { storage: { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'pgdata' } },
      }),
      expect: [
        'spec.bootstrap.recovery.recoveryTarget.backupID: Invalid value: "20220616T031500": ' +
          'Cannot specify a backupID when recovering using a DataSource',
      ],
    },
    {
      name: 'should produce an error when asking to recovery WALs from a snapshot without having storage for it',
      spec: recovery({ volumeSnapshots: { storage: snapshot('pgdata'), walStorage: snapshot('pgwal') } }),
      expect: [
        'spec.bootstrap.recovery.dataSource.walStorage: Invalid value: ' +
          '{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"pgwal"}: ' +
          'A WAL storage configuration is required when recovering using a DataSource for WALs',
      ],
    },
    {
      name: 'should not produce an error when the configuration is sound',
      spec: fromRecovery({ volumeSnapshots: { storage: snapshot('pgdata'), walStorage: snapshot('pgwal') } }),
      expect: 0,
    },
    {
      name: 'accepts recovery from a VolumeSnapshot, while restoring WALs from an object store',
      spec: fromRecovery({ volumeSnapshots: { storage: snapshot('pgdata') }, source: 'pg-cluster' }),
      expect: 0,
    },
    {
      name: 'accepts recovery from a PersistentVolumeClaim with a nil apiGroup',
      spec: fromRecovery({ volumeSnapshots: { storage: { kind: 'PersistentVolumeClaim', name: 'pgdata' } } }),
      expect: 0,
    },
    {
      name: 'accepts recovery from a PersistentVolumeClaim with an empty apiGroup',
      spec: fromRecovery({ volumeSnapshots: { storage: { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'd' } } }),
      expect: 0,
    },
    {
      name: 'prevent recovery from other Objects',
      spec: fromRecovery({
        volumeSnapshots: {
          storage: { apiGroup: '', kind: 'Secret', name: 'pgdata' },
          walStorage: { apiGroup: '', kind: 'ConfigMap', name: 'pgwal' },
        },
      }),
      expect: [
        'spec.bootstrap.recovery.storage: Invalid value: {"apiGroup":"","kind":"Secret","name":"pgdata"}: ' +
          'Only VolumeSnapshots and PersistentVolumeClaims are supported',
        'spec.bootstrap.recovery.dataSource.walStorage: Invalid value: {"apiGroup":"","kind":"ConfigMap","name":"pgwal"}: ' +
          'Only VolumeSnapshots and PersistentVolumeClaims are supported',
      ],
    },
    {
      name: 'reports a bad WAL source twice when WAL storage is missing too (as upstream)',
      spec: recovery({
        volumeSnapshots: { storage: snapshot('pgdata'), walStorage: { apiGroup: '', kind: 'Secret', name: 'w' } },
      }),
      expect: 3,
    },
  ]);
});

describe('upstream samples', () => {
  const validators: Validator[] = [
    validateInitDB,
    validateRecoveryApplicationDatabase,
    validatePgBaseBackupApplicationDatabase,
    validateImport,
    validateSuperuserSecret,
    validateBootstrapMethod,
    validateRecoveryTarget,
    validateBootstrapPgBaseBackupSource,
    validateBootstrapRecoverySource,
    validateBootstrapRecoveryDataSource,
  ];
  for (const { file, cluster: c } of upstreamSampleClusters()) {
    it(`accepts ${file}`, () => assert.deepEqual(validators.flatMap((v) => v(c)).map(String), []));
  }
});
