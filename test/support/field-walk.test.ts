// The field walker on a made-up schema and made-up sources: a field nobody reads is reported by
// path, and each way of reading, writing, refusing or allowing a field accounts for it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { V1Toleration } from '@kubernetes/client-node';
import { coreType } from '../../src/api/v1/core-types.ts';
import { arr, bool, map, obj, opt, str } from '../../src/api/v1/schema-kit.ts';
import type { SchemaNode } from '../../src/api/v1/schema-validate.ts';
import { namesUsed, schemaFields, sourceFiles, walkFields, type WalkRules } from './field-walk.ts';

const SPEC = obj({
  size: opt(str()),
  tls: opt(obj({ enabled: opt(bool()) })),
  volumes: opt(arr(obj({ claimName: str() }))),
  byName: opt(map(obj({ weight: opt(str()) }))),
  tolerations: opt(arr(coreType<V1Toleration>('V1Toleration'))),
  newField: opt(str()),
}) as unknown as SchemaNode;

const FIELDS = schemaFields(SPEC, 'spec');

const rules = (sources: string[], more: Partial<WalkRules> = {}): WalkRules => ({
  sources: sources.map((text, i) => namesUsed(`f${i}.ts`, text)),
  unsupported: [],
  allowed: new Map(),
  writeCounts: false,
  ...more,
});

const unaccounted = (r: WalkRules) =>
  walkFields(FIELDS, r)
    .filter((v) => v.accountedBy === undefined)
    .map((v) => v.path);

const READS_ALL_BUT_NEW = `
  const s = cluster.spec.size;
  if (cluster.spec.tls?.enabled) use(s);
  for (const v of spec.volumes ?? []) use(v['claimName']);
  const { byName, tolerations } = spec;
  for (const b of Object.values(byName ?? {})) use(b.weight);
  pod.tolerations = tolerations;
`;

describe('the API field walk', () => {
  it('lists every field path, a Kubernetes model as one field', () => {
    assert.deepEqual(
      FIELDS.map((f) => f.path),
      [
        'spec.size',
        'spec.tls',
        'spec.tls.enabled',
        'spec.volumes',
        'spec.volumes[].claimName',
        'spec.byName',
        'spec.byName.*.weight',
        'spec.tolerations',
        'spec.newField',
      ],
    );
  });

  it('reports a new field that nothing reads, by path', () => {
    assert.deepEqual(unaccounted(rules([READS_ALL_BUT_NEW])), ['spec.newField']);
  });

  it('accounts for a field once a source reads it', () => {
    assert.deepEqual(unaccounted(rules([READS_ALL_BUT_NEW, 'use(spec.newField);'])), []);
  });

  it('does not take a mention in a comment, a string, a type or an object literal for a read', () => {
    const mentions = [
      '// spec.newField is read somewhere',
      "log('newField');",
      'interface Spec { newField?: string }',
      "const out = { newField: 'x' };",
    ];
    assert.deepEqual(unaccounted(rules([READS_ALL_BUT_NEW, ...mentions])), ['spec.newField']);
  });

  it('counts a name listed as a key, and a write for status only', () => {
    assert.deepEqual(
      unaccounted(rules([READS_ALL_BUT_NEW, "for (const k of ['newField', 'size']) use(spec[k]);"])),
      [],
    );
    assert.deepEqual(unaccounted(rules([READS_ALL_BUT_NEW, "if ('newField' in spec) use(spec);"])), []);
    const write = 'patch({ newField: 1 });';
    assert.deepEqual(unaccounted(rules([READS_ALL_BUT_NEW, write])), ['spec.newField']);
    assert.deepEqual(unaccounted(rules([READS_ALL_BUT_NEW, write], { writeCounts: true })), []);
  });

  it('wants the holding object named in the same file as a nested field', () => {
    const split = [READS_ALL_BUT_NEW.replace('cluster.spec.tls?.enabled', 'other.enabled'), 'use(x.tls);'];
    assert.deepEqual(unaccounted(rules(split)), ['spec.tls.enabled', 'spec.newField']);
    const parameter = 'function f(tls: Tls) { return tls.enabled; }';
    assert.deepEqual(unaccounted(rules([...split, parameter])), ['spec.newField']);
    const literalType = "type Part = 'tls' | 'size'; const f = (p: Part) => spec[p]?.enabled;";
    assert.deepEqual(unaccounted(rules([...split, literalType])), ['spec.newField']);
  });

  it('accounts for a refused or allowed field and everything under it', () => {
    const noReads = rules(['use(spec.size);']);
    assert.deepEqual(unaccounted({ ...noReads, unsupported: ['spec.tls', 'spec.volumes'] }), [
      'spec.byName',
      'spec.byName.*.weight',
      'spec.tolerations',
      'spec.newField',
    ]);
    const allowed = new Map([
      ['spec.byName', 'a reason'],
      ['spec.newField', 'another'],
    ]);
    const verdicts = walkFields(FIELDS, { ...noReads, unsupported: ['spec.tls', 'spec.volumes'], allowed });
    assert.equal(
      verdicts.find((v) => v.path === 'spec.byName.*.weight')?.accountedBy,
      'allowed as spec.byName: a reason',
    );
    assert.deepEqual(
      verdicts.filter((v) => v.accountedBy === undefined).map((v) => v.path),
      ['spec.tolerations'],
    );
  });

  it('reads the sources, not the tests, test kits or skipped paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'field-walk-'));
    try {
      mkdirSync(join(dir, 'api'));
      for (const f of ['a.ts', 'a.test.ts', 'kit.testkit.ts', 'api/b.ts', 'notes.md']) writeFileSync(join(dir, f), '');
      assert.deepEqual(
        sourceFiles(dir, (p) => p.startsWith('api/')),
        [join(dir, 'a.ts')],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
