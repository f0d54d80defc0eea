import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  BarmanObjectStoreConfigurationSchema,
  DataBackupConfigurationSchema,
  WalBackupConfigurationSchema,
} from './barman-types.ts';
import {
  BootstrapInitDBSchema,
  ClusterSchema,
  ClusterSpecSchema,
  PostgresConfigurationSchema,
  SynchronousReplicaConfigurationSchema,
} from './cluster-types.ts';
import { ExtensionConfigurationSchema, ImageCatalogRefSchema } from './common-types.ts';
import { celChecks } from './schema-kit.ts';
import { applySchemaDefaults, type SchemaNode, validateSchema } from './schema-validate.ts';

const SAMPLES = new URL('../../../../shared/cnpg-samples/', import.meta.url).pathname;
const INVALID_SAMPLES = new Set(['cluster-example-bis.yaml', 'cluster-restore-with-tablespaces.yaml']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return name.endsWith('.yaml') ? [path] : [];
  });
}

function clusterDocuments(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Json => isObject(d) && d.kind === 'Cluster' && d.apiVersion === 'postgresql.cnpg.io/v1');
}

const SAMPLE_CLUSTERS = yamlFiles(SAMPLES).flatMap((file) =>
  clusterDocuments(file).map((doc) => ({ name: relative(SAMPLES, file), doc })),
);

/** Fields the schema does not declare, or whose JSON shape (object/array/scalar) differs from it. */
function undeclared(schema: SchemaNode, value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema.properties === undefined) return [];
  if (isObject(value)) {
    if (schema.type !== 'object') return [`${path}: object where ${schema.type ?? 'scalar'} expected`];
    return Object.entries(value).flatMap(([key, v]) => {
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub !== undefined) return undeclared(sub, v, `${path}.${key}`);
      // An object with no declared properties (metadata at the root) takes anything.
      return schema.properties === undefined ? [] : [`${path}.${key}: unknown field`];
    });
  }
  if (Array.isArray(value)) {
    if (schema.type !== 'array' || schema.items === undefined) return [`${path}: array where ${schema.type} expected`];
    const items = schema.items;
    return value.flatMap((v, i) => undeclared(items, v, `${path}[${i}]`));
  }
  if (schema.type === 'object' || schema.type === 'array') return [`${path}: scalar where ${schema.type} expected`];
  return [];
}

/** Every schema node reachable through properties, items and additionalProperties. */
function* nodes(schema: SchemaNode, path = '$'): Generator<[string, SchemaNode]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items !== undefined) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties, `${path}{}`);
}

const clusterNode = ClusterSchema as unknown as SchemaNode;

describe('Cluster schema against the upstream samples', () => {
  it('finds the samples', () => {
    assert.ok(SAMPLE_CLUSTERS.length >= 60, `only ${SAMPLE_CLUSTERS.length} Cluster documents`);
  });

  for (const { name, doc } of SAMPLE_CLUSTERS) {
    const base = name.split('/').pop() ?? name;
    if (INVALID_SAMPLES.has(base)) continue;
    it(`${name} declares only known fields and validates`, () => {
      assert.deepEqual(undeclared(clusterNode, doc, '$'), []);
      const defaulted = applySchemaDefaults(clusterNode, doc);
      assert.deepEqual(validateSchema(clusterNode, defaulted).map(String), []);
    });
  }

  it('cluster-example-bis.yaml has the unknown backup.volumeSnapshot.groupSnapshot', () => {
    const sample = SAMPLE_CLUSTERS.find((s) => s.name === 'cluster-example-bis.yaml');
    assert.ok(sample);
    assert.deepEqual(undeclared(clusterNode, sample.doc, '$'), [
      '$.spec.backup.volumeSnapshot.groupSnapshot: unknown field',
    ]);
  });

  it('cluster-restore-with-tablespaces.yaml writes spec.tablespaces as a map', () => {
    const sample = SAMPLE_CLUSTERS.find((s) => s.name === 'cluster-restore-with-tablespaces.yaml');
    assert.ok(sample);
    assert.deepEqual(undeclared(clusterNode, sample.doc, '$'), ['$.spec.tablespaces: object where array expected']);
  });
});

describe('Cluster schema shape', () => {
  const json = JSON.parse(JSON.stringify(ClusterSchema)) as SchemaNode;

  it('has no $ref', () => {
    assert.ok(!JSON.stringify(json).includes('$ref'));
  });

  it('types every node (or marks it int-or-string / preserve-unknown-fields)', () => {
    const untyped = [...nodes(json)]
      .filter(
        ([, n]) =>
          n.type === undefined &&
          n['x-kubernetes-int-or-string'] !== true &&
          n['x-kubernetes-preserve-unknown-fields'] !== true,
      )
      .map(([p]) => p);
    assert.deepEqual(untyped, []);
  });

  it('declares the 55 spec fields of upstream v1.30', () => {
    assert.equal(Object.keys(json.properties?.spec?.properties ?? {}).length, 55);
    assert.deepEqual(json.properties?.spec?.required, ['instances']);
  });

  it('keeps the upstream defaults and bounds of spec.instances', () => {
    const instances = json.properties?.spec?.properties?.instances;
    assert.equal(instances?.type, 'integer');
    assert.equal(instances?.minimum, 1);
    assert.equal(instances?.default, 1);
  });

  it('gives every CEL rule a TypeScript check', () => {
    const missing: string[] = [];
    let rules = 0;
    for (const [path, node] of nodes(clusterNode)) {
      const text = (node as { 'x-kubernetes-validations'?: { rule: string }[] })['x-kubernetes-validations'] ?? [];
      const checks = celChecks(node).map((c) => c.rule);
      rules += text.length;
      for (const { rule } of text) if (!checks.includes(rule)) missing.push(`${path}: ${rule}`);
    }
    assert.deepEqual(missing, []);
    assert.ok(rules >= 12, `only ${rules} CEL rules`);
  });
});

// Each CEL rule of the Cluster schema (and its sub-types), with a value it accepts and one it rejects.
interface CelCase {
  node: unknown;
  rule: string;
  pass: unknown;
  fail: unknown;
  /** For transition rules: the old value paired with `pass` (same) and with `fail` (different). */
  old?: unknown;
}

const specNode = (key: string) => (ClusterSpecSchema as unknown as SchemaNode).properties?.[key];

const CEL_CASES: CelCase[] = [
  {
    node: ClusterSpecSchema,
    rule: '!(has(self.imageCatalogRef) && has(self.imageName))',
    pass: { instances: 1, imageName: 'postgres:18' },
    fail: { instances: 1, imageName: 'postgres:18', imageCatalogRef: { kind: 'ImageCatalog', name: 'c', major: 18 } },
  },
  {
    node: ImageCatalogRefSchema,
    rule: "self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
    pass: { apiGroup: 'postgresql.cnpg.io', kind: 'ClusterImageCatalog', name: 'c', major: 18 },
    fail: { apiGroup: 'postgresql.cnpg.io', kind: 'ConfigMap', name: 'c', major: 18 },
  },
  {
    node: ImageCatalogRefSchema,
    rule: "self.apiGroup == 'postgresql.cnpg.io'",
    pass: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'c', major: 18 },
    fail: { kind: 'ImageCatalog', name: 'c', major: 18 },
  },
  {
    node: specNode('serviceAccountName'),
    rule: 'self == oldSelf',
    pass: 'shared-sa',
    fail: 'other-sa',
    old: 'shared-sa',
  },
  {
    node: (SynchronousReplicaConfigurationSchema as unknown as SchemaNode).properties?.number,
    rule: 'self > 0',
    pass: 1,
    fail: 0,
  },
  {
    node: SynchronousReplicaConfigurationSchema,
    rule:
      "self.dataDurability!='preferred' || ((!has(self.standbyNamesPre) || self.standbyNamesPre.size()==0) && " +
      '(!has(self.standbyNamesPost) || self.standbyNamesPost.size()==0))',
    pass: { method: 'any', number: 1, dataDurability: 'preferred', standbyNamesPre: [] },
    fail: { method: 'any', number: 1, dataDurability: 'preferred', standbyNamesPost: ['ext'] },
  },
  {
    node: SynchronousReplicaConfigurationSchema,
    rule: '!(has(self.podFailureDomainKeys) && has(self.nodeFailureDomainKeys))',
    pass: { method: 'any', number: 1, podFailureDomainKeys: ['zone'] },
    fail: { method: 'any', number: 1, podFailureDomainKeys: ['zone'], nodeFailureDomainKeys: ['zone'] },
  },
  {
    node: PostgresConfigurationSchema,
    rule: (PostgresConfigurationSchema as unknown as { 'x-kubernetes-validations': { rule: string }[] })[
      'x-kubernetes-validations'
    ][0]?.rule as string,
    pass: {
      syncReplicaElectionConstraint: { enabled: false, nodeLabelsAntiAffinity: ['az'] },
      synchronous: { method: 'any', number: 1, nodeFailureDomainKeys: ['zone'] },
    },
    fail: {
      syncReplicaElectionConstraint: { enabled: true, nodeLabelsAntiAffinity: ['az'] },
      synchronous: { method: 'any', number: 1, nodeFailureDomainKeys: ['zone'] },
    },
  },
  {
    node: BootstrapInitDBSchema,
    rule: "!has(self.builtinLocale) || self.localeProvider == 'builtin'",
    pass: { builtinLocale: 'C.UTF-8', localeProvider: 'builtin' },
    fail: { builtinLocale: 'C.UTF-8' },
  },
  {
    node: BootstrapInitDBSchema,
    rule: "!has(self.icuLocale) || self.localeProvider == 'icu'",
    pass: { icuLocale: 'en-US', localeProvider: 'icu' },
    fail: { icuLocale: 'en-US', localeProvider: 'libc' },
  },
  {
    node: BootstrapInitDBSchema,
    rule: "!has(self.icuRules) || self.localeProvider == 'icu'",
    pass: { localeProvider: 'libc' },
    fail: { icuRules: '&V << w <<< W', localeProvider: 'builtin' },
  },
  {
    node: (ExtensionConfigurationSchema as unknown as SchemaNode).properties?.image,
    rule: 'has(self.reference)',
    pass: { reference: 'ghcr.io/cloudnative-pg/postgis-extension:3.6' },
    fail: { pullPolicy: 'IfNotPresent' },
  },
];

describe('Cluster CEL checks', () => {
  for (const c of CEL_CASES) {
    it(c.rule, () => {
      const check = celChecks(c.node).find((k) => k.rule === c.rule);
      assert.ok(check, `no check for ${c.rule}`);
      assert.equal(check.check(c.pass, c.old === undefined ? undefined : c.old), true, 'accepted value rejected');
      assert.equal(check.check(c.fail, c.old), false, 'rejected value accepted');
    });
  }

  it('covers every CEL rule of the schema', () => {
    const tested = new Set(CEL_CASES.map((c) => c.rule));
    const all = [...nodes(clusterNode)].flatMap(([, n]) => celChecks(n).map((k) => k.rule));
    assert.deepEqual(
      all.filter((r) => !tested.has(r)),
      [],
    );
  });

  it('runs through validateSchema with upstream messages', () => {
    const errors = validateSchema(clusterNode, {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'c' },
      spec: {
        instances: 1,
        imageName: 'x',
        imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'c', major: 18 },
      },
    }).map(String);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /imageName and imageCatalogRef are mutually exclusive/);
  });
});

describe('Barman object store schema', () => {
  const node = BarmanObjectStoreConfigurationSchema as unknown as SchemaNode;
  const cases: [string, unknown, boolean][] = [
    ['minimal', { destinationPath: 's3://b/p' }, true],
    ['empty destinationPath', { destinationPath: '' }, false],
    ['missing destinationPath', { s3Credentials: { inheritFromIAMRole: true } }, false],
    ['wal zstd', { destinationPath: 's3://b', wal: { compression: 'zstd', maxParallel: 8 } }, true],
    ['wal maxParallel 0', { destinationPath: 's3://b', wal: { maxParallel: 0 } }, false],
    ['data snappy', { destinationPath: 's3://b', data: { compression: 'snappy', jobs: 2 } }, true],
    ['data encryption aws:kms', { destinationPath: 's3://b', data: { encryption: 'aws:kms' } }, true],
    ['data encryption bogus', { destinationPath: 's3://b', data: { encryption: 'rot13' } }, false],
    ['secret ref without key', { destinationPath: 's3://b', s3Credentials: { accessKeyId: { name: 's' } } }, false],
  ];
  for (const [name, value, ok] of cases) {
    it(`${ok ? 'accepts' : 'rejects'} ${name}`, () => {
      assert.equal(validateSchema(node, value).length === 0, ok);
    });
  }

  it('lists the upstream compression enums', () => {
    const wal = (WalBackupConfigurationSchema as unknown as SchemaNode).properties?.compression?.enum;
    const data = (DataBackupConfigurationSchema as unknown as SchemaNode).properties?.compression?.enum;
    assert.deepEqual(wal, ['bzip2', 'gzip', 'lz4', 'snappy', 'xz', 'zstd']);
    assert.deepEqual(data, ['bzip2', 'gzip', 'lz4', 'snappy']);
  });
});
