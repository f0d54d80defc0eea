import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBackup } from './backup-defaults.ts';
import { type Backup, BackupSchema } from './backup-types.ts';
import { isGoInt, validateBackup } from './backup-validation.ts';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';

const backup = (spec: Partial<Backup['spec']> = {}, annotations?: Record<string, string>): Backup => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Backup',
  metadata: { name: 'b', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { cluster: { name: 'cluster-example' }, ...spec },
});

const schema = BackupSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);

describe('validateBackup', () => {
  const cases: { name: string; obj: Backup; snapshots?: boolean; errors: string[] }[] = [
    { name: 'volumeSnapshot with the CRD present', obj: backup({ method: 'volumeSnapshot' }), errors: [] },
    {
      name: 'volumeSnapshot without the CRD',
      obj: backup({ method: 'volumeSnapshot' }),
      snapshots: false,
      errors: [
        'spec.method: Invalid value: "volumeSnapshot": Cannot use volumeSnapshot backup method due to missing ' +
          'VolumeSnapshot CRD. If you installed the CRD after having started the operator, please restart it ' +
          'to enable VolumeSnapshot support',
      ],
    },
    {
      name: 'barmanObjectStore without the CRD',
      obj: backup({ method: 'barmanObjectStore' }),
      snapshots: false,
      errors: [],
    },
    {
      name: 'online on a barman backup',
      obj: backup({ method: 'barmanObjectStore', online: true }),
      errors: [
        'spec.online: Invalid value: true: Online parameter can be specified only if the backup method is volumeSnapshot',
      ],
    },
    { name: 'online on a volumeSnapshot backup', obj: backup({ method: 'volumeSnapshot', online: false }), errors: [] },
    {
      name: 'onlineConfiguration on a barman backup',
      obj: backup({ method: 'barmanObjectStore', onlineConfiguration: {} }),
      errors: [
        'spec.onlineConfiguration: Invalid value: {}: OnlineConfiguration parameter can be specified only if the ' +
          'backup method is volumeSnapshot',
      ],
    },
    {
      name: 'onlineConfiguration on a volumeSnapshot backup',
      obj: backup({ method: 'volumeSnapshot', onlineConfiguration: { immediateCheckpoint: true } }),
      errors: [],
    },
    {
      name: 'plugin method without pluginConfiguration',
      obj: backup({ method: 'plugin' }),
      errors: ['spec.pluginConfiguration: Invalid value: null: cannot be empty when the backup method is plugin'],
    },
    {
      name: 'plugin method with an empty plugin name',
      obj: backup({ method: 'plugin', pluginConfiguration: { name: '' } }),
      errors: ['spec.pluginConfiguration: Invalid value: null: cannot be empty when the backup method is plugin'],
    },
    {
      name: 'plugin method with a plugin',
      obj: backup({ method: 'plugin', pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' } }),
      errors: [],
    },
    {
      name: 'volumeSnapshotDeadline that is not an integer',
      obj: backup({}, { 'cnpg.io/volumeSnapshotDeadline': 'not-an-integer' }),
      errors: [
        'metadata.annotations.cnpg.io/volumeSnapshotDeadline: Invalid value: "not-an-integer": must be an integer',
      ],
    },
    {
      name: 'volumeSnapshotDeadline that is an integer',
      obj: backup({}, { 'cnpg.io/volumeSnapshotDeadline': '123' }),
      errors: [],
    },
    { name: 'no annotations', obj: backup({}, {}), errors: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateBackup(defaultBackup(c.obj), { volumeSnapshotAvailable: c.snapshots ?? true });
      assert.deepEqual(result.errors.map(String), c.errors);
      assert.deepEqual(result.warnings, []);
    });
  }

  it('accepts every volumeSnapshot backup when no context is given', () => {
    assert.deepEqual(validateBackup(backup({ method: 'volumeSnapshot' })).errors, []);
  });
});

describe('isGoInt (strconv.Atoi)', () => {
  for (const [text, ok] of [
    ['0', true],
    ['-5', true],
    ['+7', true],
    ['9223372036854775807', true],
    ['9223372036854775808', false],
    ['1.5', false],
    [' 1', false],
    ['', false],
    ['1e3', false],
    ['0x10', false],
  ] as const) {
    it(`${JSON.stringify(text)} → ${ok}`, () => assert.equal(isGoInt(text), ok));
  }
});

describe('defaultBackup', () => {
  it('defaults the method to barmanObjectStore without touching the input', () => {
    const input = backup();
    const out = defaultBackup(input);
    assert.equal(out.spec.method, 'barmanObjectStore');
    assert.equal(input.spec.method, undefined);
  });
  it('keeps an explicit method', () => {
    assert.equal(defaultBackup(backup({ method: 'plugin' })).spec.method, 'plugin');
  });
});

describe('Backup schema', () => {
  it('defaults the method', () => {
    const stored = applySchemaDefaults(schema, backup()) as Backup;
    assert.equal(stored.spec.method, 'barmanObjectStore');
  });
  it('requires the cluster name', () => {
    assert.deepEqual(schemaErrors({ ...backup(), spec: { cluster: {} } }), ['spec.cluster.name: Required value']);
  });
  it('rejects an unknown method and target', () => {
    assert.deepEqual(schemaErrors(backup({ method: 'tar' as never, target: 'any' as never })), [
      'spec.method: Unsupported value: "tar": supported values: "barmanObjectStore", "volumeSnapshot", "plugin"',
      'spec.target: Unsupported value: "any": supported values: "primary", "prefer-standby"',
    ]);
  });
  it('keeps the spec immutable (CEL)', () => {
    assert.deepEqual(schemaErrors(backup(), backup()), []);
    assert.deepEqual(schemaErrors(backup({ target: 'primary' }), backup()), [
      'spec: Invalid value: "object": BackupSpec is immutable once set',
    ]);
  });
  it('lets the status change', () => {
    const done = { ...backup(), status: { phase: 'completed', beginLSN: '0/5000028', majorVersion: 17 } };
    assert.deepEqual(schemaErrors(done, backup()), []);
  });
  it('accepts a full status', () => {
    const status = {
      phase: 'completed',
      method: 'volumeSnapshot',
      online: true,
      majorVersion: 18,
      backupId: '20260101T000000',
      startedAt: '2026-01-01T00:00:00Z',
      stoppedAt: '2026-01-01T00:01:00Z',
      reconciliationStartedAt: '2026-01-01T00:00:00Z',
      reconciliationTerminatedAt: '2026-01-01T00:01:00Z',
      instanceID: { podName: 'c-1', ContainerID: 'containerd://x', sessionID: 'abc' },
      snapshotBackupStatus: {
        elements: [
          { name: 'c-1', type: 'PG_DATA' },
          { name: 'c-1-tbs', type: 'PG_TABLESPACE', tablespaceName: 'tbs' },
        ],
      },
      backupLabelFile: 'U1RBUlQgV0FM',
      s3Credentials: { inheritFromIAMRole: true },
      endpointCA: { name: 'ca', key: 'ca.crt' },
      pluginMetadata: { timeline: '1' },
    };
    assert.deepEqual(schemaErrors({ ...backup(), status }), []);
  });
});
