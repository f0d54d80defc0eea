import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Publication, PublicationSchema } from './publication-types.ts';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';

type Target = Publication['spec']['target'];

const publication = (target: Target, spec: Partial<Publication['spec']> = {}): Publication => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Publication',
  metadata: { name: 'p', namespace: 'default' },
  spec: { cluster: { name: 'cluster-example' }, name: 'pub', dbname: 'app', target, ...spec },
});

const schema = PublicationSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);

describe('Publication schema', () => {
  it('requires cluster, name, dbname and target', () => {
    assert.deepEqual(schemaErrors({ ...publication({ allTables: true }), spec: {} }), [
      'spec.cluster: Required value',
      'spec.name: Required value',
      'spec.dbname: Required value',
      'spec.target: Required value',
    ]);
  });
  it('defaults the reclaim policy', () => {
    const stored = applySchemaDefaults(schema, publication({ allTables: true })) as Publication;
    assert.equal(stored.spec.publicationReclaimPolicy, 'retain');
  });

  const cases: { name: string; target: Target; errors: string[] }[] = [
    { name: 'all tables', target: { allTables: true }, errors: [] },
    {
      name: 'tables and schemas',
      target: {
        objects: [{ tablesInSchema: 'another_schema' }, { table: { name: 'numbers', schema: 'public', only: true } }],
      },
      errors: [],
    },
    { name: 'a column list', target: { objects: [{ table: { name: 'numbers', columns: ['i', 'm'] } }] }, errors: [] },
    {
      name: 'allTables and objects',
      target: { allTables: true, objects: [{ tablesInSchema: 's' }] },
      errors: ['spec.target: Invalid value: "object": allTables and objects are mutually exclusive'],
    },
    {
      name: 'neither allTables nor objects',
      target: {},
      errors: ['spec.target: Invalid value: "object": allTables and objects are mutually exclusive'],
    },
    {
      name: 'an object with both tablesInSchema and table',
      target: { objects: [{ tablesInSchema: 's', table: { name: 't' } }] },
      errors: ['spec.target.objects[0]: Invalid value: "object": tablesInSchema and table are mutually exclusive'],
    },
    {
      name: 'an empty object',
      target: { objects: [{}] },
      errors: ['spec.target.objects[0]: Invalid value: "object": tablesInSchema and table are mutually exclusive'],
    },
    {
      name: 'a column list with tablesInSchema',
      target: { objects: [{ table: { name: 't', columns: ['a'] } }, { tablesInSchema: 's' }] },
      errors: [
        'spec.target.objects: Invalid value: "array": specifying a column list when the publication also publishes ' +
          'tablesInSchema is not supported',
      ],
    },
    {
      name: 'a table without a name',
      target: { objects: [{ table: {} as never }] },
      errors: ['spec.target.objects[0].table.name: Required value'],
    },
  ];
  for (const c of cases) {
    it(`target: ${c.name}`, () => assert.deepEqual(schemaErrors(publication(c.target)), c.errors));
  }

  it('has at most 100000 objects', () => {
    const objects = Array.from({ length: 100001 }, (_, i) => ({ tablesInSchema: `s${i}` }));
    assert.deepEqual(schemaErrors(publication({ objects })), [
      'spec.target.objects: Too many: 100001: must have at most 100000 items',
    ]);
  });

  const updates: { name: string; old: Publication; next: Publication; errors: string[] }[] = [
    { name: 'same', old: publication({ allTables: true }), next: publication({ allTables: true }), errors: [] },
    {
      name: 'parameters change',
      old: publication({ allTables: true }),
      next: publication({ allTables: true }, { parameters: { publish: 'insert' } }),
      errors: [],
    },
    {
      name: 'allTables flips',
      old: publication({ allTables: true }),
      next: publication({ allTables: false }),
      errors: ['spec.target.allTables: Invalid value: false: allTables is immutable'],
    },
    {
      name: 'name changes',
      old: publication({ allTables: true }),
      next: publication({ allTables: true }, { name: 'other' }),
      errors: ['spec.name: Invalid value: "other": name is immutable'],
    },
    {
      name: 'dbname changes',
      old: publication({ allTables: true }),
      next: publication({ allTables: true }, { dbname: 'other' }),
      errors: ['spec.dbname: Invalid value: "other": dbname is immutable'],
    },
    {
      name: 'cluster changes',
      old: publication({ allTables: true }),
      next: publication({ allTables: true }, { cluster: { name: 'other' } }),
      errors: ['spec.cluster: Invalid value: "object": cluster reference is immutable after creation'],
    },
  ];
  for (const u of updates) {
    it(`update: ${u.name}`, () => assert.deepEqual(schemaErrors(u.next, u.old), u.errors));
  }

  it('accepts a status', () => {
    assert.deepEqual(
      schemaErrors({ ...publication({ allTables: true }), status: { applied: false, message: 'x' } }),
      [],
    );
  });
});
