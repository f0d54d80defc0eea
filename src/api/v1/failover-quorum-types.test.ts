import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailoverQuorumSchema } from './failover-quorum-types.ts';
import { type SchemaNode, validateWithDefaults } from './schema-validate.ts';

const schema = FailoverQuorumSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown) => validateWithDefaults(schema, obj).map(String);
const quorum = (rest: Record<string, unknown>) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'FailoverQuorum',
  metadata: { name: 'cluster-example', namespace: 'default' },
  ...rest,
});

describe('FailoverQuorum schema', () => {
  it('accepts an object without status (reset by the operator)', () => {
    assert.deepEqual(schemaErrors(quorum({})), []);
  });
  it('accepts the status the primary writes', () => {
    const status = {
      method: 'any',
      standbyNames: ['cluster-example-2', 'cluster-example-3'],
      standbyNumber: 1,
      primary: 'cluster-example-1',
    };
    assert.deepEqual(schemaErrors(quorum({ status })), []);
  });
  it('has no spec', () => {
    assert.deepEqual(schemaErrors(quorum({ spec: {} })), ['unknown field "spec"']);
  });
  it('types standbyNumber as an integer', () => {
    assert.deepEqual(schemaErrors(quorum({ status: { standbyNumber: 'one' } })), [
      'status.standbyNumber: Invalid value: "string": status.standbyNumber in body must be of type integer: "string"',
    ]);
  });
});
