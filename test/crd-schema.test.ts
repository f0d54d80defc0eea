// The CRDs we ship are what the API server enforces; a generic JSON Schema validator (ajv) reading
// them must agree with `cnpg validate` on every schema-level verdict, and the committed copies under
// config/crd/ must match what the code generates.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { buildCrd, crdFileName, crdYaml } from '../src/api/v1/crd.ts';
import { KINDS } from '../src/api/v1/kinds.ts';
import { applySchemaDefaults, type SchemaNode, validateSchema } from '../src/api/v1/schema-validate.ts';
import { breakDocument, seeded } from './support/mutations.ts';
import { PROJECT_ROOT, sampleDocuments } from './support/samples.ts';

type Json = Record<string, unknown>;

/** Kubernetes' strict field validation, stated in JSON Schema terms for a generic validator. */
function strictCopy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictCopy);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-validations')) continue; // CEL: not JSON Schema
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strictCopy(s)]))
        : strictCopy(v);
  }
  if (
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();
for (const def of KINDS) {
  const crd = buildCrd(def);
  const version = (crd.spec.versions as { schema: { openAPIV3Schema: unknown } }[])[0];
  assert.ok(version);
  validators.set(def.kind, ajv.compile(strictCopy(version.schema.openAPIV3Schema) as Json));
}

/** Our verdict on the OpenAPI part alone (CEL excluded, as ajv cannot run it). */
function ourSchemaErrors(kind: string, doc: unknown): string[] {
  const def = KINDS.find((k) => k.kind === kind);
  assert.ok(def);
  const schema = def.schema as SchemaNode;
  return validateSchema(schema, applySchemaDefaults(schema, doc), { cel: false }).map(String);
}

const ours = sampleDocuments().filter(({ doc }) => doc.apiVersion === 'postgresql.cnpg.io/v1');

describe('generated CRD schemas', () => {
  it('are structural: a type on every node, no $ref', () => {
    for (const def of KINDS) {
      const text = JSON.stringify(buildCrd(def));
      assert.doesNotMatch(text, /"\$ref"/, def.kind);
      const check = (node: Json, at: string) => {
        const typed =
          node.type !== undefined ||
          node['x-kubernetes-int-or-string'] === true ||
          node['x-kubernetes-preserve-unknown-fields'] === true;
        assert.ok(typed, `${def.kind}: no type at ${at}`);
        for (const [k, v] of Object.entries((node.properties as Json | undefined) ?? {}))
          check(v as Json, `${at}.${k}`);
        if (typeof node.additionalProperties === 'object') check(node.additionalProperties as Json, `${at}.*`);
        if (node.items !== undefined) check(node.items as Json, `${at}[]`);
      };
      const version = (buildCrd(def).spec.versions as { schema: { openAPIV3Schema: Json } }[])[0];
      assert.ok(version);
      check(version.schema.openAPIV3Schema, def.kind);
    }
  });

  it('cover all eleven kinds with status subresources and the Cluster scale subresource', () => {
    assert.deepEqual(KINDS.map((k) => k.kind).sort(), [
      'Backup',
      'Cluster',
      'ClusterImageCatalog',
      'Database',
      'DatabaseRole',
      'FailoverQuorum',
      'ImageCatalog',
      'Pooler',
      'Publication',
      'ScheduledBackup',
      'Subscription',
    ]);
    const cluster = buildCrd(KINDS.find((k) => k.kind === 'Cluster') as (typeof KINDS)[number]);
    const v = (cluster.spec.versions as Json[])[0] as Json;
    assert.deepEqual((v.subresources as Json).scale, {
      specReplicasPath: '.spec.instances',
      statusReplicasPath: '.status.instances',
      labelSelectorPath: '.status.selector',
    });
  });

  it('are committed under config/crd and up to date (run `npm run crds` after a schema change)', () => {
    const dir = join(PROJECT_ROOT, 'config/crd');
    const expected = KINDS.map(crdFileName).sort();
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
      expected,
    );
    for (const def of KINDS) {
      assert.equal(readFileSync(join(dir, crdFileName(def)), 'utf8'), crdYaml(def), `${crdFileName(def)} is stale`);
    }
  });

  it('give ajv the same verdict as cnpg validate on every sample', () => {
    for (const { file, doc } of ours) {
      const validate = validators.get(doc.kind as string);
      assert.ok(validate, `${file}: no validator for ${String(doc.kind)}`);
      const ajvOk = validate(doc) as boolean;
      const mine = ourSchemaErrors(doc.kind as string, doc);
      assert.equal(
        ajvOk,
        mine.length === 0,
        `${file} ${String(doc.kind)}: ajv ${JSON.stringify(validate.errors)} / ours ${mine}`,
      );
    }
  });

  it('give ajv the same verdict as cnpg validate on 500 broken samples', () => {
    const rnd = seeded(20261125);
    for (let i = 0; i < 500; i++) {
      const { file, doc } = ours[Math.floor(rnd() * ours.length)] as (typeof ours)[number];
      const def = KINDS.find((k) => k.kind === doc.kind);
      assert.ok(def);
      const copy = structuredClone(doc);
      const how = breakDocument(copy, def.schema as SchemaNode, rnd);
      const ajvOk = (validators.get(def.kind) as ValidateFunction)(copy) as boolean;
      const mine = ourSchemaErrors(def.kind, copy);
      assert.equal(
        ajvOk,
        mine.length === 0,
        `${file} (${how}): ajv ${JSON.stringify(validators.get(def.kind)?.errors)} / ours ${mine}`,
      );
      assert.equal(ajvOk, false, `${file} (${how}) should be invalid`);
    }
  });
});
