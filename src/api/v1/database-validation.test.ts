import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDatabase } from './database-defaults.ts';
import { type Database, DatabaseSchema } from './database-types.ts';
import { validateDatabase } from './database-validation.ts';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';

type Spec = Database['spec'];

const database = (spec: Partial<Spec> = {}): Database => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Database',
  metadata: { name: 'db', namespace: 'default' },
  spec: { cluster: { name: 'cluster-example' }, name: 'app', owner: 'app', ...spec },
});

const named = (...names: string[]) => names.map((name) => ({ name, ensure: 'present' as const }));
const options = (...names: string[]) => names.map((name) => ({ name, value: 'v' }));
const usages = (...names: string[]) => names.map((name) => ({ name }));
const dup = (field: string, value: string) => `${field}: Duplicate value: ${JSON.stringify(value)}`;

const schema = DatabaseSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);

describe('validateDatabase', () => {
  const cases: { name: string; spec: Partial<Spec>; errors: string[] }[] = [
    { name: 'no extensions nor schemas', spec: {}, errors: [] },
    {
      name: 'distinct extensions and schemas',
      spec: { extensions: named('postgis'), schemas: named('test_schema') },
      errors: [],
    },
    {
      name: 'duplicate extensions',
      spec: { extensions: named('postgis', 'postgis', 'cube') },
      errors: [dup('spec.extensions[1].name', 'postgis')],
    },
    {
      name: 'duplicate schemas',
      spec: { schemas: named('test_one', 'test_two', 'test_two') },
      errors: [dup('spec.schemas[2].name', 'test_two')],
    },
    {
      name: 'distinct FDWs, options and usages',
      spec: {
        fdws: [
          { name: 'fdw1', usage: usages('usage1', 'usage2'), options: options('option1', 'option2') },
          { name: 'fdw2', usage: usages('usage3', 'usage4'), options: options('option3', 'option4') },
        ],
      },
      errors: [],
    },
    {
      name: 'duplicate FDWs',
      spec: { fdws: named('postgres_fdw', 'mysql_fdw', 'postgres_fdw') },
      errors: [dup('spec.fdws[2].name', 'postgres_fdw')],
    },
    {
      name: 'duplicate usages in an FDW',
      spec: { fdws: [{ name: 'postgre_fdw', usage: usages('usage1', 'usage2', 'usage1') }] },
      errors: [dup('spec.fdws[0].usages[2].name', 'usage1')],
    },
    {
      name: 'duplicate FDW, usage and option names',
      spec: {
        fdws: [
          {
            name: 'duplicate_fdw',
            usage: usages('dup_usage', 'dup_usage'),
            options: options('dup_option', 'dup_option'),
          },
          { name: 'duplicate_fdw' },
        ],
      },
      errors: [
        dup('spec.fdws[0].options[1].name', 'dup_option'),
        dup('spec.fdws[0].usages[1].name', 'dup_usage'),
        dup('spec.fdws[1].name', 'duplicate_fdw'),
      ],
    },
    {
      name: 'distinct foreign servers',
      spec: {
        fdws: named('fdw1', 'fdw2'),
        servers: [
          { name: 'server1', fdw: 'fdw1' },
          { name: 'server2', fdw: 'fdw2' },
        ],
      },
      errors: [],
    },
    {
      name: 'duplicate foreign servers',
      spec: {
        fdws: named('fdw1'),
        servers: [
          { name: 'dup_server', fdw: 'fdw1' },
          { name: 'dup_server', fdw: 'fdw1' },
        ],
      },
      errors: [dup('spec.servers[1].name', 'dup_server')],
    },
    {
      name: 'duplicate options in a server',
      spec: { fdws: named('fdw1'), servers: [{ name: 'server1', fdw: 'fdw1', options: options('o', 'o') }] },
      errors: [dup('spec.servers[0].options[1].name', 'o')],
    },
    {
      name: 'duplicate usages in a server',
      spec: { fdws: named('fdw1'), servers: [{ name: 'server1', fdw: 'fdw1', usage: usages('u', 'u') }] },
      errors: [dup('spec.servers[0].usages[1].name', 'u')],
    },
    {
      name: 'duplicate servers, options and usages',
      spec: {
        fdws: named('fdw1'),
        servers: [
          {
            name: 'server1',
            fdw: 'fdw1',
            options: options('dup_option', 'dup_option'),
            usage: usages('dup_usage', 'dup_usage'),
          },
          { name: 'server1', fdw: 'fdw1' },
        ],
      },
      errors: [
        dup('spec.servers[0].options[1].name', 'dup_option'),
        dup('spec.servers[0].usages[1].name', 'dup_usage'),
        dup('spec.servers[1].name', 'server1'),
      ],
    },
    {
      name: 'a server of an undeclared FDW',
      spec: { fdws: named('fdw1'), servers: [{ name: 'server1', fdw: 'postgres_fdw' }] },
      errors: ['spec.servers[0].fdw: Invalid value: "postgres_fdw": referenced fdw not defined in spec.fdws'],
    },
    {
      name: 'an absent server of an undeclared FDW',
      spec: { servers: [{ name: 'server1', fdw: 'postgres_fdw', ensure: 'absent' }] },
      errors: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateDatabase(defaultDatabase(database(c.spec)));
      assert.deepEqual(result.errors.map(String), c.errors);
      assert.deepEqual(result.warnings, []);
    });
  }
});

describe('defaultDatabase', () => {
  it('fills the schema defaults of every level without touching the input', () => {
    const input = database({
      schemas: [{ name: 's' }],
      extensions: [{ name: 'e', ensure: 'absent' }],
      fdws: [{ name: 'f', options: [{ name: 'o', value: 'v' }], usage: [{ name: 'u' }] }],
      servers: [{ name: 'srv', fdw: 'f', usage: [{ name: 'u', type: 'revoke' }] }],
    });
    const out = defaultDatabase(input);
    assert.equal(out.spec.ensure, 'present');
    assert.equal(out.spec.databaseReclaimPolicy, 'retain');
    assert.equal(out.spec.schemas?.[0]?.ensure, 'present');
    assert.equal(out.spec.extensions?.[0]?.ensure, 'absent');
    assert.equal(out.spec.fdws?.[0]?.options?.[0]?.ensure, 'present');
    assert.equal(out.spec.fdws?.[0]?.usage?.[0]?.type, 'grant');
    assert.equal(out.spec.servers?.[0]?.usage?.[0]?.type, 'revoke');
    assert.equal(input.spec.ensure, undefined);
    assert.equal(input.spec.schemas?.[0]?.ensure, undefined);
  });
  it('agrees with the schema defaults', () => {
    const input = database({ fdws: [{ name: 'f', usage: [{ name: 'u' }] }], servers: [{ name: 's', fdw: 'f' }] });
    assert.deepEqual(defaultDatabase(input), applySchemaDefaults(schema, input));
  });
});

describe('Database schema', () => {
  it('requires cluster, name and owner', () => {
    assert.deepEqual(schemaErrors({ ...database(), spec: {} }), [
      'spec.cluster: Required value',
      'spec.name: Required value',
      'spec.owner: Required value',
    ]);
  });
  for (const reserved of ['postgres', 'template0', 'template1']) {
    it(`reserves the name ${reserved} (CEL)`, () => {
      assert.deepEqual(schemaErrors(database({ name: reserved })), [
        `spec.name: Invalid value: "${reserved}": the name ${reserved} is reserved`,
      ]);
    });
  }
  it('keeps the name (CEL)', () => {
    assert.deepEqual(schemaErrors(database({ name: 'other' }), database()), [
      'spec.name: Invalid value: "other": name is immutable',
    ]);
  });
  it('keeps the cluster reference (CEL)', () => {
    assert.deepEqual(schemaErrors(database({ cluster: { name: 'other' } }), database()), [
      'spec.cluster: Invalid value: "object": cluster reference is immutable after creation',
    ]);
  });
  for (const field of [
    'template',
    'encoding',
    'locale',
    'localeProvider',
    'localeCollate',
    'localeCType',
    'collationVersion',
  ] as const) {
    it(`keeps ${field} (CEL)`, () => {
      assert.deepEqual(schemaErrors(database({ [field]: 'a' }), database({ [field]: 'a' })), []);
      assert.deepEqual(schemaErrors(database({ [field]: 'b' }), database({ [field]: 'a' })), [
        `spec.${field}: Invalid value: "b": ${field} is immutable`,
      ]);
    });
  }
  it('lets mutable settings change', () => {
    assert.deepEqual(
      schemaErrors(database({ owner: 'x', connectionLimit: 5, allowConnections: false }), database()),
      [],
    );
  });
  const providerCases: { spec: Partial<Spec>; errors: string[] }[] = [
    { spec: { localeProvider: 'icu', icuLocale: 'en-US', icuRules: '&a < b' }, errors: [] },
    { spec: { localeProvider: 'builtin', builtinLocale: 'C.UTF-8' }, errors: [] },
    {
      spec: { localeProvider: 'libc', icuLocale: 'en-US' },
      errors: ['spec: Invalid value: "object": icuLocale is only available when localeProvider is set to `icu`'],
    },
    {
      spec: { icuRules: '&a < b' },
      errors: ['spec: Invalid value: "object": icuRules is only available when localeProvider is set to `icu`'],
    },
    {
      spec: { localeProvider: 'icu', builtinLocale: 'C.UTF-8' },
      errors: [
        'spec: Invalid value: "object": builtinLocale is only available when localeProvider is set to `builtin`',
      ],
    },
  ];
  for (const c of providerCases) {
    it(`locale provider rules: ${JSON.stringify(c.spec)}`, () => {
      assert.deepEqual(schemaErrors(database(c.spec)), c.errors);
    });
  }
  it('requires a usage name and a server fdw (CEL)', () => {
    assert.deepEqual(
      schemaErrors(database({ fdws: [{ name: 'f', usage: [{ name: '' }] }], servers: [{ name: 's', fdw: '' }] })),
      [
        'spec.fdws[0].usage[0].name: Invalid value: "": name is required',
        'spec.servers[0].fdw: Invalid value: "": fdw is required',
      ],
    );
  });
  it('rejects an unknown reclaim policy and usage type', () => {
    assert.deepEqual(
      schemaErrors(
        database({
          databaseReclaimPolicy: 'keep' as never,
          fdws: [{ name: 'f', usage: [{ name: 'u', type: 'x' as never }] }],
        }),
      ),
      [
        'spec.databaseReclaimPolicy: Unsupported value: "keep": supported values: "delete", "retain"',
        'spec.fdws[0].usage[0].type: Unsupported value: "x": supported values: "grant", "revoke"',
      ],
    );
  });
  it('accepts a status', () => {
    const status = { observedGeneration: 2, applied: true, extensions: [{ name: 'postgis', applied: true }] };
    assert.deepEqual(schemaErrors({ ...database(), status }), []);
  });
});
