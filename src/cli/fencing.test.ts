import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextFencedList } from './fencing.ts';
import { instanceName } from './kube-target.ts';

describe('fencing list', () => {
  it('adds and removes names, keeps the list sorted and unique', () => {
    assert.deepEqual(nextFencedList(undefined, 'c-2', true), ['c-2']);
    assert.deepEqual(nextFencedList('["c-3"]', 'c-2', true), ['c-2', 'c-3']);
    assert.deepEqual(nextFencedList('["c-2","c-3"]', 'c-2', true), ['c-2', 'c-3']);
    assert.deepEqual(nextFencedList('["c-2","c-3"]', 'c-2', false), ['c-3']);
  });

  it('fences everything with * and lifts every fence with * off', () => {
    assert.deepEqual(nextFencedList('["c-2"]', '*', true), ['*', 'c-2']);
    assert.deepEqual(nextFencedList('["*","c-2"]', '*', false), []);
  });

  it('refuses an annotation that is not a JSON list', () => {
    assert.throws(() => nextFencedList('c-2', 'c-3', true), /not a JSON list/);
    assert.throws(() => nextFencedList('{"a":1}', 'c-3', true), /not a JSON list/);
  });

  it('takes an instance by serial or by name', () => {
    assert.equal(instanceName('cluster-example', '2'), 'cluster-example-2');
    assert.equal(instanceName('cluster-example', 'cluster-example-3'), 'cluster-example-3');
  });
});
