// createOrPatch and the status subresource against the real local API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject, V1ConfigMap, V1Service } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { buildCrd } from '../../src/api/v1/crd.ts';
import { KINDS } from '../../src/api/v1/kinds.ts';
import { kubeClients } from '../../src/kube/client.ts';
import {
  createOrPatch,
  isConflict,
  isNotFound,
  KubeObjectApi,
  mergePatchFor,
  type NamedObject,
  updateStatus,
} from '../../src/kube/patch.ts';
import { eventually, startTestApiServer, type TestApiServer } from './support.ts';

describe('mergePatchFor', () => {
  const cases: [string, unknown, unknown, unknown][] = [
    ['equal objects', { a: 1, b: { c: 2 } }, { a: 1, b: { c: 2 } }, undefined],
    ['fields only current has are left alone', { a: 1, x: 9 }, { a: 1 }, undefined],
    ['a changed leaf', { a: 1, b: { c: 2, d: 3 } }, { b: { c: 5 } }, { b: { c: 5 } }],
    ['a new key', { a: 1 }, { b: 'x' }, { b: 'x' }],
    ['lists are replaced whole', { l: [1, 2] }, { l: [1, 3] }, { l: [1, 3] }],
    ['server defaults inside lists do not count', { l: [{ p: 1, nodePort: 30000 }] }, { l: [{ p: 1 }] }, undefined],
    ['a shorter list differs', { l: [1, 2] }, { l: [1] }, { l: [1] }],
  ];
  for (const [name, current, desired, expected] of cases) {
    it(name, () => assert.deepEqual(mergePatchFor(current, desired), expected));
  }
});

describe('writing objects to the API server', () => {
  let server: TestApiServer;
  let objects: KubeObjectApi;

  before(async () => {
    server = await startTestApiServer();
    objects = KubeObjectApi.forConfig(server.kc);
  });
  after(async () => {
    await server?.stop();
  });

  it('creates, leaves alone, then patches only what it manages', async () => {
    const desired: V1ConfigMap & NamedObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'default', labels: { mine: 'a' } },
      data: { k: 'v1' },
    };
    const first = await createOrPatch(objects, desired);
    assert.equal(first.outcome, 'created');
    assert.equal((await createOrPatch(objects, desired)).outcome, 'unchanged');

    // Another writer adds a label and a key: a controller patch must keep them.
    await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: 'default', labels: { theirs: 'b' } },
        data: { other: 'x' },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
    const second = await createOrPatch(objects, { ...desired, data: { k: 'v2' } });
    assert.equal(second.outcome, 'patched');
    const stored = await objects.read<V1ConfigMap & NamedObject>(desired);
    assert.deepEqual(stored.data, { k: 'v2', other: 'x' });
    assert.deepEqual(stored.metadata.labels, { mine: 'a', theirs: 'b' });
  });

  it('keeps other owners and server defaults of a Service', async () => {
    const core = kubeClients(server.kc).core;
    const owner = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'other-owner' } },
    });
    const svc: V1Service & NamedObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'default' },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'x' },
        ports: [{ name: 'postgres', port: 5432, targetPort: 5432, protocol: 'TCP' }],
      },
    };
    assert.equal((await createOrPatch(objects, svc)).outcome, 'created');
    assert.equal((await createOrPatch(objects, svc)).outcome, 'unchanged', 'server-filled fields are not a diff');
    await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'svc',
          namespace: 'default',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'other-owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
    const result = await createOrPatch(objects, {
      ...svc,
      metadata: {
        ...svc.metadata,
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'uid-cm', controller: true }],
      },
      spec: { ...svc.spec, selector: { app: 'y' } },
    });
    assert.equal(result.outcome, 'patched');
    const stored = await objects.read<V1Service & NamedObject>(svc);
    assert.deepEqual(stored.spec?.selector, { app: 'y' });
    assert.deepEqual(
      stored.metadata.ownerReferences?.map((r) => r.name),
      ['other-owner', 'cm'],
    );
  });

  it('updates status through the subresource, retrying on conflicts', async () => {
    const def = KINDS.find((k) => k.kind === 'Cluster');
    assert.ok(def);
    const ext = kubeClients(server.kc).apiextensions;
    await ext.createCustomResourceDefinition({ body: buildCrd(def) as never });
    const cluster: Cluster & NamedObject = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg', namespace: 'default' },
      spec: { instances: 1, storage: { size: '1Gi' } },
    };
    await eventually('the Cluster CRD to be served', async () => {
      try {
        return await objects.create(cluster);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });

    // A writer that slips in between our read and our write: the first write conflicts for real.
    class Intruding extends KubeObjectApi {
      intrusions = 1;
      override async replaceStatus<T extends KubernetesObject>(obj: T): Promise<T> {
        if (this.intrusions-- > 0) {
          const fresh = await this.read(obj as T & NamedObject);
          await super.replaceStatus({ ...fresh, status: { phase: 'intruder' } });
        }
        return super.replaceStatus(obj);
      }
    }
    const intruding = server.kc.makeApiClient(Intruding);
    let calls = 0;
    const updated = await updateStatus<Cluster & NamedObject>(intruding, cluster, (current) => {
      calls++;
      return { ...current.status, phase: 'Setting up primary', instances: 1 };
    });
    assert.equal(calls, 2, 'read again and retried after the conflict');
    assert.equal(updated.status?.phase, 'Setting up primary');

    const fresh = await objects.read<Cluster & NamedObject>(cluster);
    const stale = { ...fresh, status: { phase: 'stale write' } };
    await objects.replaceStatus({ ...fresh, status: { phase: 'newer write' } });
    await assert.rejects(objects.replaceStatus(stale), (err: unknown) => isConflict(err));

    let attempts = 0;
    const result = await updateStatus<Cluster & NamedObject>(objects, cluster, (current) => {
      attempts++;
      return { ...current.status, phase: 'Cluster in healthy state', readyInstances: 1 };
    });
    assert.equal(attempts, 1);
    assert.equal(result.status?.phase, 'Cluster in healthy state');
    const stored = await objects.read<Cluster & NamedObject>(cluster);
    assert.equal(stored.status?.phase, 'Cluster in healthy state');
    assert.deepEqual(stored.spec.instances, 1);
    assert.equal(
      (await updateStatus<Cluster & NamedObject>(objects, cluster, (c) => c.status)).metadata.resourceVersion,
      stored.metadata.resourceVersion,
      'an unchanged status is not written',
    );
  });
});
