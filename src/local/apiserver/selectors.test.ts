import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './errors.ts';
import {
  fromLabelSelectorObject,
  labelSelectorString,
  matchLabels,
  parseLabelSelector,
} from '../../kube/label-selector.ts';
import { labelSelectorParam, matchFields, parseFieldSelector } from './selectors.ts';
import type { KubeObject } from './storage.ts';

const labels = { app: 'pg', role: 'primary', tier: '2' };

describe('label selectors', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=pg', true],
    ['app==pg', true],
    ['app=web', false],
    ['app!=web', true],
    ['app!=pg', false],
    ['missing!=x', true],
    ['role in (primary,replica)', true],
    ['role in (replica)', false],
    ['role notin (replica)', true],
    ['role notin (primary)', false],
    ['role', true],
    ['missing', false],
    ['!missing', true],
    ['!role', false],
    ['tier>1', true],
    ['tier<2', false],
    ['app=pg,role in (primary),!missing', true],
    ['app=pg,role=replica', false],
  ];
  for (const [text, expected] of cases)
    it(`"${text}" ${expected ? 'matches' : 'does not match'}`, () =>
      assert.equal(matchLabels(parseLabelSelector(text), labels), expected));

  for (const bad of ['app in pg', 'a b', '=x', 'a=(b']) {
    it(`rejects "${bad}"`, () =>
      assert.throws(
        () => labelSelectorParam(bad),
        (e: unknown) => e instanceof ApiError && e.code === 400,
      ));
  }

  it('reads a metav1.LabelSelector and prints it as a string', () => {
    const sel = fromLabelSelectorObject({
      matchLabels: { app: 'pg' },
      matchExpressions: [
        { key: 'role', operator: 'In', values: ['primary', 'replica'] },
        { key: 'gone', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(matchLabels(sel, labels), true);
    assert.equal(labelSelectorString(sel), 'app=pg,role in (primary,replica),!gone');
    assert.equal(
      matchLabels(
        fromLabelSelectorObject({ matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['primary'] }] }),
        labels,
      ),
      false,
    );
  });
});

describe('field selectors', () => {
  const obj = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: 'ns', uid: 'u', resourceVersion: '1' },
    involvedObject: { name: 'p', uid: 'x' },
    type: 'Normal',
  } as KubeObject;
  const cases: [string, boolean][] = [
    ['metadata.name=e', true],
    ['metadata.name==e', true],
    ['metadata.name!=e', false],
    ['metadata.namespace=ns,involvedObject.name=p', true],
    ['involvedObject.uid=y', false],
    ['spec.nodeName=', true],
    ['type!=Warning', true],
  ];
  for (const [text, expected] of cases)
    it(`"${text}" ${expected ? 'matches' : 'does not match'}`, () =>
      assert.equal(matchFields(parseFieldSelector(text), obj), expected));
  it('rejects a term without an operator', () =>
    assert.throws(
      () => parseFieldSelector('metadata.name'),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    ));
});
