// Resolving podSelectorRefs: which pods' addresses count, and which Clusters a pod event wakes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Cluster, PodSelectorRef } from '../../api/v1/cluster-types.ts';
import { PodSelectorEvents } from './pod-selector-events.ts';
import { podAddresses, selectsPod } from './pod-selector-refs.ts';

const pod = (name: string, labels: Record<string, string>, status: V1Pod['status'] = {}, deleting = false): V1Pod => ({
  metadata: {
    name,
    namespace: 'ns',
    labels,
    ...(deleting ? { deletionTimestamp: new Date() } : {}),
  },
  status,
});

const cluster = (name: string, podSelectorRefs?: PodSelectorRef[], namespace = 'ns'): Cluster =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name, namespace },
    spec: { instances: 1, ...(podSelectorRefs === undefined ? {} : { podSelectorRefs }) },
  }) as Cluster;

const app: PodSelectorRef = { name: 'app-pods', selector: { matchLabels: { app: 'myapp' } } };
const monitoring: PodSelectorRef = {
  name: 'monitoring',
  selector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['monitoring', 'metrics'] }] },
};

describe('podAddresses', () => {
  it('every address of the live pods, sorted and unique', () => {
    const pods = [
      pod('b', {}, { phase: 'Running', podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.9' }, { ip: 'fd00::9' }] }),
      pod('a', {}, { phase: 'Pending', podIP: '10.0.0.10' }),
      pod('dup', {}, { phase: 'Running', podIPs: [{ ip: '10.0.0.9' }] }),
      pod('no-ip', {}, { phase: 'Pending' }),
    ];
    assert.deepEqual(podAddresses(pods), ['10.0.0.10', '10.0.0.9', 'fd00::9']);
  });

  it('pods being deleted or finished count no more', () => {
    const pods = [
      pod('gone', {}, { phase: 'Running', podIP: '10.0.0.1' }, true),
      pod('done', {}, { phase: 'Succeeded', podIP: '10.0.0.2' }),
      pod('failed', {}, { phase: 'Failed', podIP: '10.0.0.3' }),
    ];
    assert.deepEqual(podAddresses(pods), []);
  });
});

describe('selectsPod', () => {
  it('matchLabels and matchExpressions of any ref', () => {
    const c = cluster('c', [app, monitoring]);
    assert.equal(selectsPod(c, { app: 'myapp', tier: 'web' }), true);
    assert.equal(selectsPod(c, { role: 'metrics' }), true);
    assert.equal(selectsPod(c, { app: 'other' }), false);
    assert.equal(selectsPod(cluster('none'), { app: 'myapp' }), false);
  });
});

describe('PodSelectorEvents', () => {
  const setup = (clusters: Cluster[]) =>
    new PodSelectorEvents((ns) => clusters.filter((c) => c.metadata?.namespace === ns) as KubernetesObject[]);
  const running = (ip: string) => ({ phase: 'Running', podIP: ip, podIPs: [{ ip }] });

  it('wakes the Clusters that select the pod, once per change of what they resolve', () => {
    const events = setup([cluster('a', [app]), cluster('b', [monitoring]), cluster('c'), cluster('d', [app], 'other')]);
    assert.deepEqual(events.clustersToWake('add', pod('p', { app: 'myapp' })), ['ns/a']);
    assert.deepEqual(events.clustersToWake('update', pod('p', { app: 'myapp' }, running('10.0.0.5'))), ['ns/a']);
    // A probe or a condition changed: the addresses did not.
    assert.deepEqual(events.clustersToWake('update', pod('p', { app: 'myapp' }, running('10.0.0.5'))), []);
    assert.deepEqual(
      events.clustersToWake('update', pod('p', { app: 'myapp' }, running('10.0.0.5'), true)),
      ['ns/a'],
      'deletion started',
    );
    assert.deepEqual(events.clustersToWake('delete', pod('p', { app: 'myapp' }, running('10.0.0.5'), true)), ['ns/a']);
  });

  it('a pod relabelled out of a selector wakes the Cluster it left, then no one', () => {
    const events = setup([cluster('a', [app])]);
    events.clustersToWake('add', pod('p', { app: 'myapp' }, running('10.0.0.5')));
    assert.deepEqual(events.clustersToWake('update', pod('p', { app: 'other' }, running('10.0.0.5'))), ['ns/a']);
    assert.deepEqual(events.clustersToWake('update', pod('p', { app: 'other' }, running('10.0.0.6'))), []);
    assert.deepEqual(events.clustersToWake('delete', pod('p', { app: 'other' }, running('10.0.0.6'))), []);
  });

  it('without a Cluster using podSelectorRefs, no pod wakes anything', () => {
    const events = setup([cluster('plain'), cluster('other')]);
    for (const event of ['add', 'update', 'delete'] as const) {
      assert.deepEqual(events.clustersToWake(event, pod('p', { app: 'myapp' }, running('10.0.0.5'))), []);
    }
  });
});
