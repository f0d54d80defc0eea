import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { notReconciledReason, refusedObjects } from './apply.ts';

const cluster = (name: string, spec: Record<string, unknown>): KubernetesObject =>
  ({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name }, spec }) as KubernetesObject;

describe('refusedObjects', () => {
  it('refuses unknown fields as strict field validation does, naming every one', () => {
    const refused = refusedObjects([
      {
        file: 'a.yaml',
        object: cluster('a', { instances: 1, storage: { size: '1Gi', bogus: 1 }, nope: true }),
      },
    ]);
    assert.deepEqual(
      refused.map((r) => r.message),
      ['strict decoding error: unknown field "spec.storage.bogus", unknown field "spec.nope"'],
    );
  });

  it('reports webhook errors as the API server words them, and passes valid and foreign documents', () => {
    const refused = refusedObjects([
      { file: 'a.yaml', object: cluster('ok', { instances: 1, storage: { size: '1Gi' } }) },
      { file: 'a.yaml', object: cluster('bad', { instances: 1, storage: { size: '1Gi' }, imageName: 'x:y:z' }) },
      { file: 'a.yaml', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, bogus: 1 } as never },
    ]);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.object.metadata?.name, 'bad');
    assert.match(refused[0]?.message ?? '', /^Cluster\.postgresql\.cnpg\.io "bad" is invalid: spec\.imageName: /);
  });
});

describe('notReconciledReason', () => {
  it('names the kinds of our group that no controller acts on', () => {
    const of = (apiVersion: string, kind: string) => notReconciledReason({ apiVersion, kind, metadata: { name: 'x' } });
    assert.equal(of('postgresql.cnpg.io/v1', 'Pooler'), 'no controller for kind Pooler yet');
    assert.equal(of('postgresql.cnpg.io/v1', 'ScheduledBackup'), 'no controller for kind ScheduledBackup yet');
    assert.equal(of('postgresql.cnpg.io/v1', 'Cluster'), undefined);
    assert.equal(of('postgresql.cnpg.io/v1', 'FailoverQuorum'), undefined);
    assert.equal(of('v1', 'Secret'), undefined);
  });
});
