import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1LabelSelector } from '@kubernetes/client-node';
import { matchesSelector, type Selector, selectorString } from './label-selector.ts';

const labels = { 'cnpg.io/cluster': 'pg', 'cnpg.io/podRole': 'instance', tier: 'a' };

describe('matchesSelector', () => {
  const cases: [string, Selector, boolean][] = [
    ['empty selector', {}, true],
    ['exact labels', { 'cnpg.io/cluster': 'pg', tier: 'a' }, true],
    ['a different value', { 'cnpg.io/cluster': 'other' }, false],
    ['matchLabels', { matchLabels: { tier: 'a' } }, true],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, true],
    ['In, absent key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a'] }] }, false],
    ['NotIn, absent key', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['unknown operator', { matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] }, false],
  ];
  for (const [name, selector, expected] of cases) {
    it(name, () => assert.equal(matchesSelector(labels, selector), expected));
  }
});

describe('selectorString', () => {
  it('renders the query form', () => {
    const sel: V1LabelSelector = {
      matchLabels: { a: 'b' },
      matchExpressions: [
        { key: 'c', operator: 'In', values: ['e', 'd'] },
        { key: 'f', operator: 'NotIn', values: ['g'] },
        { key: 'h', operator: 'Exists' },
        { key: 'i', operator: 'DoesNotExist' },
      ],
    };
    assert.equal(selectorString(sel), 'a=b,c in (d,e),f!=g,h,!i');
    assert.equal(selectorString({ 'cnpg.io/cluster': 'pg' }), 'cnpg.io/cluster=pg');
    assert.throws(() => selectorString({ matchExpressions: [{ key: 'x', operator: 'Gt' }] }), /unsupported/);
  });
});
