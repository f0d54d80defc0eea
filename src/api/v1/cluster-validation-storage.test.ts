import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from './cluster-types.ts';
import {
  storageWarnings,
  tablespaceVolumeName,
  validateEphemeralVolumeSource,
  validateStorageChange,
  validateStorageSize,
  validateTablespaceBackupSnapshot,
  validateTablespaceNames,
  validateTablespacesChange,
  validateTablespaceStorageSize,
  validateWalStorageChange,
  validateWalStorageSize,
} from './cluster-validation-storage.ts';
import type { FieldError } from './field-error.ts';
import { ruleCases, upstreamSampleClusters } from './rule-cases.testkit.ts';

const cluster = (spec: Record<string, unknown>): Cluster =>
  ({ metadata: { name: 'cluster1' }, spec }) as unknown as Cluster;

interface Case {
  name: string;
  spec: Record<string, unknown>;
  /** Expected errors: a count, or the exact messages. */
  expect: number | string[];
}

function runCases(validate: (c: Cluster) => FieldError[], cases: Case[]): void {
  ruleCases(cases, (c) => validate(cluster(c.spec)));
}

interface ChangeCase {
  name: string;
  old: Record<string, unknown>;
  updated: Record<string, unknown>;
  expect: number | string[];
}

function runChangeCases(validate: (c: Cluster, old: Cluster) => FieldError[], cases: ChangeCase[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const errors = validate(cluster(c.updated), cluster(c.old)).map(String);
      if (typeof c.expect === 'number') assert.equal(errors.length, c.expect, errors.join('\n'));
      else assert.deepEqual(errors, c.expect);
    });
  }
}

const pvc = (storage?: string, extra: Record<string, unknown> = {}) => ({
  ...extra,
  resources: { requests: storage === undefined ? {} : { storage } },
});
const tbs = (name: string, size = '10Gi') => ({ name, storage: { size } });

describe('validateStorageSize', () => {
  runCases(validateStorageSize, [
    {
      name: 'produces one error if storage is not set at all',
      spec: { storage: {} },
      expect: [
        'spec.storage.size: Invalid value: "": Size not configured. Please add it, or a storage request in the pvcTemplate.',
      ],
    },
    { name: 'produces one error if the storage section is missing', spec: {}, expect: 1 },
    { name: 'succeeds if storage size is set', spec: { storage: { size: '1G' } }, expect: 0 },
    {
      name: 'succeeds if storage is not set but a pvc template specifies storage',
      spec: { storage: { pvcTemplate: pvc('1Gi') } },
      expect: 0,
    },
    {
      name: 'fails if the pvc template has no storage request',
      spec: { storage: { pvcTemplate: pvc(undefined, { storageClassName: 'x' }) } },
      expect: 1,
    },
    { name: 'fails if the pvc template requests zero', spec: { storage: { pvcTemplate: pvc('0') } }, expect: 1 },
    {
      name: 'fails if the size does not parse',
      spec: { storage: { size: '10Gibberish' } },
      expect: ['spec.storage.size: Invalid value: "10Gibberish": Size value isn\'t valid'],
    },
  ]);
});

describe('validateWalStorageSize', () => {
  runCases(validateWalStorageSize, [
    { name: 'ignores a cluster without WAL storage', spec: { storage: { size: '1Gi' } }, expect: 0 },
    { name: 'accepts a sized WAL storage', spec: { walStorage: { size: '1Gi' } }, expect: 0 },
    {
      name: 'requires a size for the WAL storage',
      spec: { walStorage: {} },
      expect: [
        'spec.walStorage.size: Invalid value: "": Size not configured. Please add it, or a storage request in the pvcTemplate.',
      ],
    },
  ]);
});

describe('validateTablespaceStorageSize', () => {
  runCases(validateTablespaceStorageSize, [
    { name: 'should succeed if there is no tablespaces section', spec: {}, expect: 0 },
    { name: 'should succeed if the tablespaces are ok', spec: { tablespaces: [tbs('my_tablespace')] }, expect: 0 },
    {
      name: 'should produce an error if the storage configured for the tablespace is invalid',
      spec: { tablespaces: [tbs('my_tablespace1', '10Gibberish')] },
      expect: ['spec.tablespaces[0].size: Invalid value: "10Gibberish": Size value isn\'t valid'],
    },
    {
      name: 'requires a size for every tablespace',
      spec: { tablespaces: [tbs('a'), { name: 'b', storage: {} }] },
      expect: [
        'spec.tablespaces[1].size: Invalid value: "": Size not configured. Please add it, or a storage request in the pvcTemplate.',
      ],
    },
  ]);
});

describe('validateEphemeralVolumeSource', () => {
  runCases(validateEphemeralVolumeSource, [
    { name: 'succeeds if no ephemeral configuration is present', spec: {}, expect: 0 },
    { name: 'succeeds if ephemeralVolumeSource is set', spec: { ephemeralVolumeSource: {} }, expect: 0 },
    {
      name: 'succeeds if ephemeralVolumesSizeLimit.temporaryData is set',
      spec: { ephemeralVolumesSizeLimit: { temporaryData: '1Gi' } },
      expect: 0,
    },
    {
      name: 'succeeds if ephemeralVolumeSource and ephemeralVolumesSizeLimit.shm are set',
      spec: { ephemeralVolumeSource: {}, ephemeralVolumesSizeLimit: { shm: '1Gi' } },
      expect: 0,
    },
    {
      name: 'produces one error if conflicting ephemeral storage options are set',
      spec: { ephemeralVolumeSource: {}, ephemeralVolumesSizeLimit: { temporaryData: '1Gi' } },
      expect: [
        'spec.ephemeralVolumeSource: Duplicate value: "Conflicting settings: provide either ' +
          'ephemeralVolumeSource or ephemeralVolumesSizeLimit.TemporaryData, not both."',
      ],
    },
  ]);
});

describe('validateTablespaceNames', () => {
  runCases(validateTablespaceNames, [
    { name: 'should succeed if there is no tablespaces section', spec: {}, expect: 0 },
    {
      name: 'should succeed if the tablespaces are ok',
      spec: { tablespaces: [tbs('my_tablespace'), tbs('_other$1')] },
      expect: 0,
    },
    {
      name: 'should produce an error if the tablespace name is too long',
      spec: { tablespaces: [tbs('my_tablespace1my_tablespace2my_tablespace3my_tablespace4my_tablespace5')] },
      expect: [
        'spec.tablespaces[0]: Invalid value: "my_tablespace1my_tablespace2my_tablespace3my_tablespace4my_tablespace5": ' +
          'the maximum length of an identifier is 63 characters',
      ],
    },
    {
      name: 'should produce an error if the tablespace name is reserved by Postgres',
      spec: { tablespaces: [tbs('pg_foo')] },
      expect: [
        'spec.tablespaces[0]: Invalid value: "pg_foo": tablespace names beginning \'pg_\' are reserved for Postgres',
      ],
    },
    {
      name: 'should produce an error if the tablespace name is not valid',
      spec: { tablespaces: [tbs('my-^&sdf;')] },
      expect: [
        'spec.tablespaces[0]: Invalid value: "my-^&sdf;": tablespace names must be valid Postgres identifiers: ' +
          "alphanumeric characters, '_', '$', and must start with a letter or an underscore",
      ],
    },
    {
      name: 'should produce an error if there are duplicate tablespaces',
      spec: { tablespaces: [tbs('my_tablespace'), tbs('my_TAblespace'), tbs('another')] },
      expect: ['spec.tablespaces[1]: Invalid value: "my_TAblespace": duplicate tablespace name'],
    },
    {
      name: 'should produce an error if two names share a volume name',
      spec: { tablespaces: [tbs('my_tbs'), tbs('my$tbs')] },
      expect: [
        'spec.tablespaces[1]: Invalid value: "my$tbs": ' +
          'tablespace name results in duplicate volume name "tbs-my-tbs" after sanitization',
      ],
    },
  ]);

  it('derives volume names as the pod specs do', () => {
    assert.equal(tablespaceVolumeName('My_Tbs$1'), 'tbs-my-tbs-1');
    assert.equal(tablespaceVolumeName('_x'), 'tbs-1x');
  });
});

describe('validateTablespaceBackupSnapshot', () => {
  const withBackup = (className: Record<string, string>) => ({
    tablespaces: [tbs('my-tablespace1', '9Gi')],
    backup: { volumeSnapshot: { tablespaceClassName: className } },
  });
  runCases(validateTablespaceBackupSnapshot, [
    {
      name: 'should not complain when the backup section refers to a tbs that is defined',
      spec: withBackup({ 'my-tablespace1': 'random' }),
      expect: 0,
    },
    {
      name: 'should complain when the backup section refers to a tbs that is not defined',
      spec: withBackup({ 'not-present': 'random' }),
      expect: [
        'spec.backup.volumeSnapshot.tablespaceClassName: Invalid value: "not-present": ' +
          'specified the VolumeSnapshot backup configuration for the tablespace: not-present, ' +
          "but it can't be found in the '.spec.tablespaces' stanza",
      ],
    },
    {
      name: 'ignores a backup section without tablespace classes',
      spec: { backup: { volumeSnapshot: {} } },
      expect: 0,
    },
  ]);
});

describe('validateStorageChange', () => {
  runChangeCases(validateStorageChange, [
    {
      name: 'complains if the size is being reduced',
      old: { storage: { size: '1G' } },
      updated: { storage: { size: '512M' } },
      expect: ['spec.storage: Invalid value: "512M": can\'t shrink existing storage from 1G to 512M'],
    },
    {
      name: 'does not complain if nothing has been changed',
      old: { storage: { size: '1G', storageClass: 'one' } },
      updated: { storage: { size: '1G', storageClass: 'one' } },
      expect: 0,
    },
    {
      name: 'works fine is the size is being enlarged',
      old: { storage: { size: '8G' } },
      updated: { storage: { size: '10G' } },
      expect: 0,
    },
    {
      name: 'compares across units',
      old: { storage: { size: '1Gi' } },
      updated: { storage: { size: '1024Mi' } },
      expect: 0,
    },
    {
      name: 'complains if the pvc template request shrinks',
      old: { storage: { pvcTemplate: pvc('2Gi') } },
      updated: { storage: { pvcTemplate: pvc('1536Mi') } },
      expect: ['spec.storage: Invalid value: "1536Mi": can\'t shrink existing storage from 2Gi to 1536Mi'],
    },
    {
      name: 'ignores sizes that cannot be read',
      old: { storage: { size: 'big' } },
      updated: { storage: { size: '1Gi' } },
      expect: 0,
    },
  ]);
});

describe('validateWalStorageChange', () => {
  runChangeCases(validateWalStorageChange, [
    { name: 'allows adding WAL storage', old: {}, updated: { walStorage: { size: '1Gi' } }, expect: 0 },
    {
      name: 'refuses removing WAL storage',
      old: { walStorage: { size: '1Gi' } },
      updated: {},
      expect: ['spec.walStorage: Invalid value: null: walStorage cannot be disabled once configured'],
    },
    {
      name: 'refuses shrinking WAL storage',
      old: { walStorage: { size: '2Gi' } },
      updated: { walStorage: { size: '1Gi' } },
      expect: ['spec.walStorage: Invalid value: "1Gi": can\'t shrink existing storage from 2Gi to 1Gi'],
    },
    {
      name: 'allows growing WAL storage',
      old: { walStorage: { size: '1Gi' } },
      updated: { walStorage: { size: '2Gi' } },
      expect: 0,
    },
  ]);
});

describe('validateTablespacesChange', () => {
  runChangeCases(validateTablespacesChange, [
    { name: 'allows adding tablespaces', old: {}, updated: { tablespaces: [tbs('a')] }, expect: 0 },
    {
      name: 'should produce an error if the tablespaces section is deleted',
      old: { tablespaces: [tbs('my-tablespace1')] },
      updated: {},
      expect: ['spec.tablespaces: Invalid value: null: tablespaces section cannot be deleted once created'],
    },
    {
      name: 'should produce an error if a tablespace is deleted',
      old: { tablespaces: [tbs('my-tablespace1'), tbs('my-tablespace2')] },
      updated: { tablespaces: [tbs('my-tablespace1')] },
      expect: [
        'spec.tablespaces[1]: Invalid value: [{"name":"my-tablespace1","storage":{"size":"10Gi"}}]: ' +
          'no tablespace can be deleted once created',
      ],
    },
    {
      name: 'should produce an error if a tablespace is reduced in size',
      old: { tablespaces: [tbs('my-tablespace1')] },
      updated: { tablespaces: [tbs('my-tablespace1', '9Gi')] },
      expect: ['spec.tablespaces[0]: Invalid value: "9Gi": can\'t shrink existing storage from 10Gi to 9Gi'],
    },
    {
      name: 'allows reordering and growing tablespaces',
      old: { tablespaces: [tbs('a'), tbs('b')] },
      updated: { tablespaces: [tbs('b', '20Gi'), tbs('a')] },
      expect: 0,
    },
  ]);
});

describe('storageWarnings', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['returns no warnings when storage is properly configured', { storage: { size: '1Gi' } }, []],
    ['returns no warnings when PVC template has storage configured', { storage: { pvcTemplate: pvc('1Gi') } }, []],
    [
      'returns a warning when both storageClass and storageClassName are specified',
      { storage: { storageClass: 'fast-ssd', pvcTemplate: { storageClassName: 'fast-ssd' } } },
      [
        'spec.storage.storageClass and spec.storage.pvcTemplate.storageClassName are both specified, ' +
          'spec.storage.storageClass value will be used.',
      ],
    ],
    [
      'returns a warning when both size and storage requests are specified',
      { storage: { size: '1Gi', pvcTemplate: pvc('2Gi') } },
      [
        'spec.storage.size and spec.storage.pvcTemplate.resources.requests.storage are both specified, ' +
          'spec.storage.size value will be used.',
      ],
    ],
    [
      'returns multiple warnings when both storage conflicts exist',
      { storage: { size: '1Gi', storageClass: 'fast-ssd', pvcTemplate: pvc('2Gi', { storageClassName: 'fast-ssd' }) } },
      [
        'spec.storage.storageClass and spec.storage.pvcTemplate.storageClassName are both specified, ' +
          'spec.storage.storageClass value will be used.',
        'spec.storage.size and spec.storage.pvcTemplate.resources.requests.storage are both specified, ' +
          'spec.storage.size value will be used.',
      ],
    ],
    [
      'returns warnings for WAL storage configuration conflicts',
      {
        walStorage: {
          size: '500Mi',
          storageClass: 'fast-ssd',
          pvcTemplate: pvc('1Gi', { storageClassName: 'fast-ssd' }),
        },
      },
      [
        'spec.walStorage.storageClass and spec.walStorage.pvcTemplate.storageClassName are both specified, ' +
          'spec.walStorage.storageClass value will be used.',
        'spec.walStorage.size and spec.walStorage.pvcTemplate.resources.requests.storage are both specified, ' +
          'spec.walStorage.size value will be used.',
      ],
    ],
    [
      'returns warnings for both storage and WAL storage conflicts',
      {
        storage: { size: '1Gi', storageClass: 'fast-ssd', pvcTemplate: { storageClassName: 'fast-ssd' } },
        walStorage: { size: '500Mi', pvcTemplate: pvc('1Gi') },
      },
      [
        'spec.storage.storageClass and spec.storage.pvcTemplate.storageClassName are both specified, ' +
          'spec.storage.storageClass value will be used.',
        'spec.walStorage.size and spec.walStorage.pvcTemplate.resources.requests.storage are both specified, ' +
          'spec.walStorage.size value will be used.',
      ],
    ],
    ['returns no warnings when WAL storage is nil', { storage: { size: '1Gi' } }, []],
    ['returns no warnings when PVC template is nil', { storage: { size: '1Gi' } }, []],
    ['returns no warnings when storage requests are zero', { storage: { size: '1Gi', pvcTemplate: pvc() } }, []],
  ];
  for (const [name, spec, expected] of cases) {
    it(name, () => assert.deepEqual(storageWarnings(cluster(spec)), expected));
  }
});

describe('upstream samples', () => {
  const validators = [
    validateStorageSize,
    validateWalStorageSize,
    validateEphemeralVolumeSource,
    validateTablespaceStorageSize,
    validateTablespaceNames,
    validateTablespaceBackupSnapshot,
  ];
  for (const { file, cluster: c } of upstreamSampleClusters()) {
    it(`accepts ${file}`, () => {
      assert.deepEqual(validators.flatMap((v) => v(c)).map(String), []);
      assert.deepEqual(
        [validateStorageChange(c, c), validateWalStorageChange(c, c), validateTablespacesChange(c, c)].flat(),
        [],
      );
    });
  }
});
