import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import {
  ANNOTATIONS,
  appLabels,
  instanceRoleLabels,
  instanceRoleOf,
  LABELS,
  matchesAnyPattern,
  setInheritedData,
  setInheritedDataAndOwnership,
} from './labels.ts';

describe('label and annotation keys', () => {
  it('uses upstream keys', () => {
    assert.equal(LABELS.cluster, 'cnpg.io/cluster');
    assert.equal(LABELS.instanceName, 'cnpg.io/instanceName');
    assert.equal(LABELS.podRole, 'cnpg.io/podRole');
    assert.equal(LABELS.instanceRole, 'cnpg.io/instanceRole');
    assert.equal(LABELS.pvcRole, 'cnpg.io/pvcRole');
    assert.equal(ANNOTATIONS.pvcStatus, 'cnpg.io/pvcStatus');
    assert.equal(ANNOTATIONS.operatorVersion, 'cnpg.io/operatorVersion');
  });

  it('builds role and app labels', () => {
    assert.deepEqual(instanceRoleLabels('primary'), { 'cnpg.io/instanceRole': 'primary', role: 'primary' });
    assert.equal(instanceRoleOf({ role: 'replica' }), 'replica');
    assert.equal(instanceRoleOf({ 'cnpg.io/instanceRole': 'primary' }), 'primary');
    assert.equal(instanceRoleOf({}), undefined);
    assert.deepEqual(appLabels('c', 16), {
      'app.kubernetes.io/name': 'postgresql',
      'app.kubernetes.io/instance': 'c',
      'app.kubernetes.io/version': '16',
      'app.kubernetes.io/component': 'database',
      'app.kubernetes.io/managed-by': 'cloudnative-pg',
    });
  });
});

describe('matchesAnyPattern (Go path.Match)', () => {
  const cases: [string, string[], boolean][] = [
    ['app', ['app'], true],
    ['app', ['ap'], false],
    ['example.com/team', ['example.com/*'], true],
    ['example.com/a/b', ['example.com/*'], false],
    ['environment', ['env*'], true],
    ['envX', ['env?'], true],
    ['env', ['env?'], false],
    ['tier-b', ['tier-[ab]'], true],
    ['tier-c', ['tier-[ab]'], false],
    ['x', ['[broken'], false],
    ['a.b', ['a?b', 'zzz'], true],
    ['anything', [], false],
  ];
  for (const [name, patterns, expected] of cases) {
    it(`${name} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(patterns)}`, () =>
      assert.equal(matchesAnyPattern(name, patterns), expected));
  }
});

describe('inherited metadata', () => {
  const cluster = defaultedCluster(
    { inheritedMetadata: { labels: { team: 'db' }, annotations: { note: 'x' } } },
    { uid: 'uid-1', labels: { env: 'prod', other: 'no' }, annotations: { 'example.com/cost': '1', skip: 'no' } },
  );
  const opts = { operatorVersion: '1.30.0', inheritedLabels: ['env'], inheritedAnnotations: ['example.com/*'] };

  it('copies inheritedMetadata, selected cluster metadata, the cluster label and the version', () => {
    const meta = setInheritedData({ labels: { mine: 'kept' } }, cluster, opts);
    assert.deepEqual(meta.labels, { mine: 'kept', team: 'db', env: 'prod', 'cnpg.io/cluster': 'cluster-example' });
    assert.deepEqual(meta.annotations, { 'cnpg.io/operatorVersion': '1.30.0', note: 'x', 'example.com/cost': '1' });
    assert.equal(meta.ownerReferences, undefined);
  });

  it('makes the cluster the controller owner', () => {
    const meta = setInheritedDataAndOwnership(
      { ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'o', uid: 'x', controller: true }] },
      cluster,
      opts,
    );
    assert.deepEqual(meta.ownerReferences, [
      { apiVersion: 'v1', kind: 'Other', name: 'o', uid: 'x', controller: false },
      {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        name: 'cluster-example',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('refuses to own objects for a cluster without uid', () => {
    assert.throws(() => setInheritedDataAndOwnership({}, defaultedCluster(), opts), /has no name or uid yet/);
  });
});
