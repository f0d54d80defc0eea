import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replacingMergePatch } from './patch.ts';

describe('replacingMergePatch', () => {
  it('is undefined when nothing differs', () => {
    assert.equal(
      replacingMergePatch({ a: [1, { b: 2 }], c: { d: 'x' } }, { a: [1, { b: 2 }], c: { d: 'x' } }),
      undefined,
    );
  });
  it('removes what only the current object has, sets what differs, lists whole', () => {
    assert.deepEqual(
      replacingMergePatch({ a: { keep: 1, drop: 2 }, gone: true, list: [1, 2] }, { a: { keep: 1, add: 3 }, list: [1] }),
      { a: { drop: null, add: 3 }, gone: null, list: [1] },
    );
  });
});
