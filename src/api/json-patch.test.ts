import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyJsonPatch, type JsonPatchFailure, JsonPatchError } from './json-patch.ts';

describe('applyJsonPatch (RFC 6902)', () => {
  const doc = { a: { b: [1, 2] }, c: 'x' };
  const cases: [string, unknown[], unknown][] = [
    ['add to an object', [{ op: 'add', path: '/d', value: 1 }], { ...doc, d: 1 }],
    [
      'add at an array index and at the end',
      [
        { op: 'add', path: '/a/b/0', value: 0 },
        { op: 'add', path: '/a/b/-', value: 3 },
      ],
      { a: { b: [0, 1, 2, 3] }, c: 'x' },
    ],
    ['add at a negative index', [{ op: 'add', path: '/a/b/-1', value: 0 }], { a: { b: [1, 0, 2] }, c: 'x' }],
    ['remove', [{ op: 'remove', path: '/c' }], { a: { b: [1, 2] } }],
    ['replace', [{ op: 'replace', path: '/a/b/1', value: 9 }], { a: { b: [1, 9] }, c: 'x' }],
    ['replace the root', [{ op: 'replace', path: '', value: { z: 1 } }], { z: 1 }],
    ['move', [{ op: 'move', from: '/c', path: '/d' }], { a: { b: [1, 2] }, d: 'x' }],
    ['copy', [{ op: 'copy', from: '/c', path: '/a/c' }], { a: { b: [1, 2], c: 'x' }, c: 'x' }],
    ['escaped pointers', [{ op: 'add', path: '/m~1n~0o', value: 1 }], { ...doc, 'm/n~o': 1 }],
    ['a passing test', [{ op: 'test', path: '/c', value: 'x' }], doc],
  ];
  for (const [name, ops, expected] of cases) it(name, () => assert.deepEqual(applyJsonPatch(doc, ops), expected));

  const failures: [string, unknown, JsonPatchFailure, RegExp][] = [
    ['a failing test', [{ op: 'test', path: '/c', value: 'y' }], 'test', /testing value \/c failed: test failed/],
    ['replacing a missing key', [{ op: 'replace', path: '/nope', value: 1 }], 'apply', /doc is missing key: \/nope/],
    ['removing a missing key', [{ op: 'remove', path: '/nope' }], 'apply', /remove operation does not apply/],
    ['a missing parent', [{ op: 'add', path: '/x/y', value: 1 }], 'apply', /doc is missing path: \/x\/y/],
    ['an index out of range', [{ op: 'add', path: '/a/b/7', value: 1 }], 'apply', /index out of range: 7/],
    ['an unknown operation', [{ op: 'merge', path: '/c' }], 'malformed', /Unexpected kind: merge/],
    ['an add without a value', [{ op: 'add', path: '/c' }], 'malformed', /add operation missing value field/],
    ['a body that is not a list', { op: 'add' }, 'malformed', /must be an array/],
  ];
  for (const [name, ops, failure, message] of failures) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => applyJsonPatch(doc, ops),
        (e: unknown) => e instanceof JsonPatchError && e.failure === failure && message.test(e.message),
      ));
  }

  it('is all or nothing: the target is untouched, also when a later operation fails', () => {
    const target = { a: [1] };
    applyJsonPatch(target, [{ op: 'add', path: '/a/-', value: 2 }]);
    assert.throws(() =>
      applyJsonPatch(target, [
        { op: 'add', path: '/a/-', value: 3 },
        { op: 'remove', path: '/nope' },
      ]),
    );
    assert.deepEqual(target, { a: [1] });
  });

  it('stores "__proto__" as a key, never as the prototype', () => {
    const out = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as object;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__']);
  });
});
