import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';
import { type Subscription, SubscriptionSchema } from './subscription-types.ts';

const subscription = (spec: Partial<Subscription['spec']> = {}): Subscription => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Subscription',
  metadata: { name: 's', namespace: 'default' },
  spec: {
    cluster: { name: 'cluster-example-dest' },
    name: 'sub',
    dbname: 'app',
    publicationName: 'pub',
    externalClusterName: 'cluster-example',
    ...spec,
  },
});

const schema = SubscriptionSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);

describe('Subscription schema', () => {
  it('requires cluster, name, dbname, publicationName and externalClusterName', () => {
    assert.deepEqual(schemaErrors({ ...subscription(), spec: {} }), [
      'spec.cluster: Required value',
      'spec.name: Required value',
      'spec.dbname: Required value',
      'spec.publicationName: Required value',
      'spec.externalClusterName: Required value',
    ]);
  });
  it('defaults the reclaim policy', () => {
    assert.equal(
      (applySchemaDefaults(schema, subscription()) as Subscription).spec.subscriptionReclaimPolicy,
      'retain',
    );
  });
  it('rejects an unknown reclaim policy', () => {
    assert.deepEqual(schemaErrors(subscription({ subscriptionReclaimPolicy: 'drop' as never })), [
      'spec.subscriptionReclaimPolicy: Unsupported value: "drop": supported values: "delete", "retain"',
    ]);
  });

  const updates: { name: string; change: Partial<Subscription['spec']>; errors: string[] }[] = [
    {
      name: 'parameters and publication change',
      change: { parameters: { failover: 'true' }, publicationName: 'p2' },
      errors: [],
    },
    {
      name: 'name changes',
      change: { name: 'other' },
      errors: ['spec.name: Invalid value: "other": name is immutable'],
    },
    {
      name: 'dbname changes',
      change: { dbname: 'other' },
      errors: ['spec.dbname: Invalid value: "other": dbname is immutable'],
    },
    {
      name: 'cluster changes',
      change: { cluster: { name: 'other' } },
      errors: ['spec.cluster: Invalid value: "object": cluster reference is immutable after creation'],
    },
  ];
  for (const u of updates) {
    it(`update: ${u.name}`, () => assert.deepEqual(schemaErrors(subscription(u.change), subscription()), u.errors));
  }

  it('accepts a status', () => {
    assert.deepEqual(schemaErrors({ ...subscription(), status: { observedGeneration: 3, applied: true } }), []);
  });
});
