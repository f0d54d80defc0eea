import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DatabaseRole, DatabaseRoleSchema } from './database-role-types.ts';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';

type Spec = DatabaseRole['spec'];

const role = (spec: Partial<Spec> = {}): DatabaseRole => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'DatabaseRole',
  metadata: { name: 'r', namespace: 'default' },
  spec: { cluster: { name: 'cluster-example' }, name: 'app', ...spec },
});

const schema = DatabaseRoleSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);
const celError = (message: string) => `spec: Invalid value: "object": ${message}`;

describe('DatabaseRole schema', () => {
  it('defaults like a managed role, plus the reclaim policy and certificate switch', () => {
    const stored = applySchemaDefaults(schema, role({ clientCertificate: {}, login: true })) as DatabaseRole;
    assert.equal(stored.spec.ensure, 'present');
    assert.equal(stored.spec.inherit, true);
    assert.equal(stored.spec.connectionLimit, -1);
    assert.equal(stored.spec.databaseRoleReclaimPolicy, 'retain');
    assert.equal(stored.spec.clientCertificate?.enabled, true);
  });
  it('requires cluster and name', () => {
    assert.deepEqual(schemaErrors({ ...role(), spec: {} }), [
      'spec.name: Required value',
      'spec.cluster: Required value',
    ]);
  });

  const cases: { name: string; spec: Partial<Spec>; errors: string[] }[] = [
    { name: 'a login replication role', spec: { login: true, replication: true }, errors: [] },
    {
      name: 'ensure: absent',
      spec: { ensure: 'absent' },
      errors: [
        celError(
          'ensure: absent is not supported for DatabaseRole; ' +
            'delete the resource with databaseRoleReclaimPolicy: delete instead',
        ),
      ],
    },
    { name: 'postgres', spec: { name: 'postgres' }, errors: [celError('the role name postgres is reserved')] },
    {
      name: 'streaming_replica',
      spec: { name: 'streaming_replica' },
      errors: [celError('the role name streaming_replica is reserved')],
    },
    {
      name: 'a pg_ role',
      spec: { name: 'pg_monitor' },
      errors: [celError('role names starting with pg_ are reserved by PostgreSQL')],
    },
    {
      name: 'a cnpg_ role',
      spec: { name: 'cnpg_pooler_pgbouncer' },
      errors: [celError('role names starting with cnpg_ are reserved by the operator')],
    },
    { name: 'an empty name', spec: { name: '' }, errors: [celError('role name must not be empty')] },
    {
      name: 'passwordSecret and disablePassword',
      spec: { passwordSecret: { name: 's' }, disablePassword: true },
      errors: [celError('passwordSecret and disablePassword are mutually exclusive')],
    },
    {
      name: 'passwordSecret and disablePassword: false',
      spec: { passwordSecret: { name: 's' }, disablePassword: false },
      errors: [],
    },
    {
      name: 'a client certificate without login',
      spec: { clientCertificate: {} },
      errors: [celError('clientCertificate requires the role to have login enabled')],
    },
    {
      name: 'a client certificate with login',
      spec: { clientCertificate: { enabled: true }, login: true },
      errors: [],
    },
    {
      name: 'a disabled client certificate without login',
      spec: { clientCertificate: { enabled: false } },
      errors: [],
    },
    {
      name: 'an unknown reclaim policy',
      spec: { databaseRoleReclaimPolicy: 'keep' as never },
      errors: ['spec.databaseRoleReclaimPolicy: Unsupported value: "keep": supported values: "delete", "retain"'],
    },
  ];
  for (const c of cases) {
    it(`create: ${c.name}`, () => assert.deepEqual(schemaErrors(role(c.spec)), c.errors));
  }

  it('keeps the role name (CEL)', () => {
    assert.deepEqual(schemaErrors(role({ login: true }), role()), []);
    assert.deepEqual(schemaErrors(role({ name: 'other' }), role()), [celError('name is immutable')]);
  });
  it('keeps the cluster reference (CEL)', () => {
    assert.deepEqual(schemaErrors(role({ cluster: { name: 'other' } }), role()), [
      'spec.cluster: Invalid value: "object": cluster reference is immutable after creation',
    ]);
  });
  it('accepts a status with conditions', () => {
    const status = {
      observedGeneration: 1,
      applied: true,
      secretResourceVersion: '42',
      clientCertificate: { expiration: '2027-01-01T00:00:00Z' },
      conditions: [
        {
          type: 'PasswordSecretChange',
          status: 'False',
          reason: 'Applied',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    assert.deepEqual(schemaErrors({ ...role(), status }), []);
  });
});
