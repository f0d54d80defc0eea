import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './errors.ts';
import { jsonPatch, mergePatch, type PatchMeta, strategicMergePatch } from './patch.ts';

describe('mergePatch (RFC 7386)', () => {
  const cases: [string, unknown, unknown, unknown][] = [
    ['sets and removes keys', { a: 1, b: 2 }, { a: null, c: 3 }, { b: 2, c: 3 }],
    ['merges nested objects', { a: { x: 1, y: 2 } }, { a: { y: null, z: 3 } }, { a: { x: 1, z: 3 } }],
    ['replaces arrays whole', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['replaces a non-object target', { a: 'x' }, { a: { b: 1 } }, { a: { b: 1 } }],
  ];
  for (const [name, target, patch, expected] of cases)
    it(name, () => assert.deepEqual(mergePatch(target, patch), expected));
});

// The operations themselves are tested with the shared implementation (src/api/json-patch.test.ts).
describe('jsonPatch: failures as API errors', () => {
  const doc = { a: { b: [1, 2] }, c: 'x' };
  it('applies a patch', () => assert.deepEqual(jsonPatch(doc, [{ op: 'remove', path: '/c' }]), { a: { b: [1, 2] } }));
  const failures: [string, unknown, number][] = [
    ['a failing test', [{ op: 'test', path: '/c', value: 'y' }], 422],
    ['replacing a missing path', [{ op: 'replace', path: '/nope', value: 1 }], 400],
    ['removing a missing key', [{ op: 'remove', path: '/nope' }], 400],
    ['an index out of range', [{ op: 'add', path: '/a/b/7', value: 1 }], 400],
    ['an unknown operation', [{ op: 'frobnicate', path: '/c' }], 400],
    ['a body that is not a list', { op: 'add' }, 400],
  ];
  for (const [name, ops, code] of failures) {
    it(`rejects ${name} with ${code}`, () =>
      assert.throws(
        () => jsonPatch(doc, ops),
        (e: unknown) => e instanceof ApiError && e.code === code,
      ));
  }
});

describe('strategicMergePatch', () => {
  const meta: PatchMeta = {
    metadata: { meta: { finalizers: { mergeScalars: true } } },
    spec: {
      meta: {
        containers: { mergeKey: 'name', meta: { env: { mergeKey: 'name' } } },
        volumes: { mergeKey: 'name', retainKeys: true },
      },
    },
  };
  const pod = {
    metadata: { finalizers: ['a', 'b'], labels: { x: '1' } },
    spec: {
      containers: [
        { name: 'one', image: 'i:1', env: [{ name: 'A', value: '1' }] },
        { name: 'two', image: 'i:1' },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 'k' }],
    },
  };
  const cases: [string, unknown, unknown][] = [
    [
      'merges list items by their key and appends new ones',
      {
        spec: {
          containers: [
            { name: 'two', image: 'i:2' },
            { name: 'three', image: 'i:3' },
          ],
        },
      },
      [
        { name: 'one', image: 'i:1', env: [{ name: 'A', value: '1' }] },
        { name: 'two', image: 'i:2' },
        { name: 'three', image: 'i:3' },
      ],
    ],
    [
      'merges nested keyed lists',
      { spec: { containers: [{ name: 'one', env: [{ name: 'B', value: '2' }] }] } },
      [
        {
          name: 'one',
          image: 'i:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'two', image: 'i:1' },
      ],
    ],
    [
      'deletes an item with $patch: delete',
      { spec: { containers: [{ name: 'one', $patch: 'delete' }] } },
      [{ name: 'two', image: 'i:1' }],
    ],
    [
      'orders items with $setElementOrder',
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'two' }, { name: 'one' }],
          containers: [{ name: 'one', image: 'i:9' }],
        },
      },
      [
        { name: 'two', image: 'i:1' },
        { name: 'one', image: 'i:9', env: [{ name: 'A', value: '1' }] },
      ],
    ],
    [
      'replaces the whole list with a $patch: replace item',
      { spec: { containers: [{ $patch: 'replace' }, { name: 'x', image: 'y' }] } },
      [{ name: 'x', image: 'y' }],
    ],
  ];
  for (const [name, patch, containers] of cases) {
    it(name, () => assert.deepEqual((strategicMergePatch(pod, patch, meta) as typeof pod).spec.containers, containers));
  }
  it('replaces lists without a merge key and merges primitive sets', () => {
    const out = strategicMergePatch(
      pod,
      { metadata: { finalizers: ['c'] }, spec: { tolerations: [{ key: 'z' }] } },
      meta,
    ) as typeof pod;
    assert.deepEqual(out.metadata.finalizers, ['a', 'b', 'c']);
    assert.deepEqual(out.spec.tolerations, [{ key: 'z' }]);
  });
  it('removes primitives with $deleteFromPrimitiveList and keys set to null', () => {
    const out = strategicMergePatch(
      pod,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], labels: { x: null } } },
      meta,
    ) as typeof pod;
    assert.deepEqual(out.metadata, { finalizers: ['b'], labels: {} });
  });
  it('clears the keys $retainKeys does not list (union fields)', () => {
    const patch = { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } };
    const out = strategicMergePatch(pod, patch, meta) as { spec: { volumes: unknown[] } };
    assert.deepEqual(out.spec.volumes, [{ name: 'v', hostPath: { path: '/x' } }]);
  });
  it('replaces a map with $patch: replace', () => {
    const out = strategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', y: '2' } } }, meta) as typeof pod;
    assert.deepEqual(out.metadata.labels, { y: '2' });
  });
});
