import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultScheduledBackup } from './scheduled-backup-defaults.ts';
import { type ScheduledBackup, ScheduledBackupSchema } from './scheduled-backup-types.ts';
import { SCHEDULE_FIELD_COUNT_WARNING, validateScheduledBackup } from './scheduled-backup-validation.ts';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';

const scheduled = (spec: Partial<ScheduledBackup['spec']> = {}): ScheduledBackup => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'ScheduledBackup',
  metadata: { name: 'sb', namespace: 'default' },
  spec: { schedule: '0 0 0 * * *', cluster: { name: 'cluster-example' }, ...spec },
});

const schema = ScheduledBackupSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);

describe('validateScheduledBackup', () => {
  const cases: {
    name: string;
    spec: Partial<ScheduledBackup['spec']>;
    snapshots?: boolean;
    errors: string[];
    warnings?: string[];
  }[] = [
    { name: 'a six-field schedule', spec: { schedule: '0 0 0 * * *' }, errors: [] },
    {
      name: 'a five-field schedule (valid, but warned)',
      spec: { schedule: '1 2 3 4 5' },
      errors: [],
      warnings: [SCHEDULE_FIELD_COUNT_WARNING],
    },
    {
      name: 'a descriptor (valid, but warned)',
      spec: { schedule: '@daily' },
      errors: [],
      warnings: [SCHEDULE_FIELD_COUNT_WARNING],
    },
    {
      name: 'a seven-field schedule',
      spec: { schedule: '0 0 0 * * * 1996' },
      errors: ['spec.schedule: Invalid value: "0 0 0 * * * 1996": Expected 5 to 6 fields, found 7: 0 0 0 * * * 1996'],
    },
    {
      name: 'an empty schedule',
      spec: { schedule: '' },
      errors: ['spec.schedule: Invalid value: "": Empty spec string'],
    },
    { name: 'volumeSnapshot with the CRD present', spec: { method: 'volumeSnapshot' }, errors: [] },
    {
      name: 'volumeSnapshot without the CRD',
      spec: { method: 'volumeSnapshot' },
      snapshots: false,
      errors: [
        'spec.method: Invalid value: "volumeSnapshot": Cannot use volumeSnapshot backup method due to missing ' +
          'VolumeSnapshot CRD. If you installed the CRD after having started the operator, please restart it ' +
          'to enable VolumeSnapshot support',
      ],
    },
    {
      name: 'online on a barman backup',
      spec: { method: 'barmanObjectStore', online: true, schedule: '* * * * * *' },
      errors: [
        'spec.online: Invalid value: true: Online parameter can be specified only if the method is volumeSnapshot',
      ],
    },
    {
      name: 'onlineConfiguration on a barman backup',
      spec: { method: 'barmanObjectStore', onlineConfiguration: {}, schedule: '* * * * * *' },
      errors: [
        'spec.onlineConfiguration: Invalid value: {}: OnlineConfiguration parameter can be specified only if the ' +
          'method is volumeSnapshot',
      ],
    },
    {
      name: 'online settings on a volumeSnapshot backup',
      spec: { method: 'volumeSnapshot', online: false, onlineConfiguration: { waitForArchive: false } },
      errors: [],
    },
    {
      name: 'online on a barman backup by default method',
      spec: { online: true },
      errors: [
        'spec.online: Invalid value: true: Online parameter can be specified only if the method is volumeSnapshot',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateScheduledBackup(defaultScheduledBackup(scheduled(c.spec)), {
        volumeSnapshotAvailable: c.snapshots ?? true,
      });
      assert.deepEqual(result.errors.map(String), c.errors);
      assert.deepEqual(result.warnings, c.warnings ?? []);
    });
  }
});

describe('defaultScheduledBackup', () => {
  it('fills method and backupOwnerReference, leaving the input alone', () => {
    const input = scheduled();
    const out = defaultScheduledBackup(input);
    assert.equal(out.spec.method, 'barmanObjectStore');
    assert.equal(out.spec.backupOwnerReference, 'none');
    assert.equal(input.spec.method, undefined);
  });
});

describe('ScheduledBackup schema', () => {
  it('requires schedule and cluster', () => {
    assert.deepEqual(schemaErrors({ ...scheduled(), spec: {} }), [
      'spec.schedule: Required value',
      'spec.cluster: Required value',
    ]);
  });
  it('defaults backupOwnerReference and method', () => {
    const stored = applySchemaDefaults(schema, scheduled()) as ScheduledBackup;
    assert.equal(stored.spec.backupOwnerReference, 'none');
    assert.equal(stored.spec.method, 'barmanObjectStore');
  });
  it('rejects an unknown backupOwnerReference', () => {
    assert.deepEqual(schemaErrors(scheduled({ backupOwnerReference: 'me' as never })), [
      'spec.backupOwnerReference: Unsupported value: "me": supported values: "none", "self", "cluster"',
    ]);
  });
  it('keeps the cluster reference (CEL)', () => {
    assert.deepEqual(schemaErrors(scheduled({ suspend: true }), scheduled()), []);
    assert.deepEqual(schemaErrors(scheduled({ cluster: { name: 'other' } }), scheduled()), [
      'spec.cluster: Invalid value: "object": cluster reference is immutable after creation',
    ]);
  });
  it('accepts a status', () => {
    const status = { lastCheckTime: '2026-01-01T00:00:00Z', nextScheduleTime: '2026-01-02T00:00:00Z', error: 'x' };
    assert.deepEqual(schemaErrors({ ...scheduled(), status }), []);
  });
});
