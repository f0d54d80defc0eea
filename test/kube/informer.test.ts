// The informer against the real local API server: cache, selectors, event-to-key mapping through
// owner references, resync, and restart after the server went away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { kubeClients } from '../../src/kube/client.ts';
import { controllerKey, Informer, type InformerEvent, objectKey, ownKey, splitKey } from '../../src/kube/informer.ts';
import { WorkQueue } from '../../src/kube/work-queue.ts';
import { eventually, startTestApiServer, type TestApiServer } from './support.ts';

const CONFIGMAPS = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' };
const SECRETS = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' };

describe('informer keys', () => {
  it('maps objects to namespace/name keys and back', () => {
    assert.equal(objectKey({ metadata: { name: 'a', namespace: 'ns' } }), 'ns/a');
    assert.equal(objectKey({ metadata: { name: 'node-1' } }), 'node-1');
    assert.deepEqual(splitKey('ns/a'), { namespace: 'ns', name: 'a' });
    assert.deepEqual(splitKey('node-1'), { namespace: undefined, name: 'node-1' });
    const owned = {
      metadata: {
        name: 'pg-1',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg', uid: 'u', controller: true },
        ],
      },
    };
    assert.deepEqual(controllerKey('Cluster', 'postgresql.cnpg.io')(owned), ['ns/pg']);
    assert.deepEqual(controllerKey('Pooler', 'postgresql.cnpg.io')(owned), []);
    assert.deepEqual(controllerKey('Cluster', 'other.io')(owned), []);
  });
});

describe('Informer', () => {
  let server: TestApiServer;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    server = await startTestApiServer();
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await server?.stop();
  });

  it('caches objects, answers selectors and reports add/update/delete', async () => {
    const core = kubeClients(server.kc).core;
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'before', labels: { app: 'x', tier: 'a' } } },
    });
    const informer = new Informer<V1ConfigMap>({ kubeConfig: server.kc, resource: CONFIGMAPS, namespace: 'default' });
    const events: [InformerEvent, string][] = [];
    informer.on((event, obj) => events.push([event, obj.metadata?.name ?? '']));
    stops.push(() => informer.stop());
    await informer.start();
    assert.equal(informer.hasSynced, true);
    assert.equal(informer.get('default', 'before')?.metadata?.labels?.tier, 'a');

    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'later', labels: { app: 'x', tier: 'b' } } },
    });
    await eventually('the new object in the cache', () => informer.get('default', 'later'));
    assert.deepEqual(
      informer
        .list({ selector: { app: 'x' } })
        .map((c) => c.metadata?.name)
        .sort(),
      ['before', 'later'],
    );
    assert.deepEqual(
      informer
        .list({ selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['b'] }] } })
        .map((c) => c.metadata?.name),
      ['later'],
    );
    const later = await core.readNamespacedConfigMap({ name: 'later', namespace: 'default' });
    await core.replaceNamespacedConfigMap({
      name: 'later',
      namespace: 'default',
      body: { ...later, data: { k: 'v' } },
    });
    await eventually('the update in the cache', () => informer.get('default', 'later')?.data?.k);
    await core.deleteNamespacedConfigMap({ name: 'before', namespace: 'default' });
    await eventually('the deletion', () => (informer.get('default', 'before') === undefined ? true : undefined));
    assert.deepEqual(
      events.filter(([, n]) => n === 'before').map(([e]) => e),
      ['add', 'delete'],
    );
    assert.deepEqual(
      events.filter(([, n]) => n === 'later').map(([e]) => e),
      ['add', 'update'],
    );
  });

  it('enqueues own keys and owner keys, and replays the cache on resync', async () => {
    const core = kubeClients(server.kc).core;
    await core.createNamespace({ body: { metadata: { name: 'owners' } } });
    const owner = await core.createNamespacedConfigMap({ namespace: 'owners', body: { metadata: { name: 'owner' } } });
    const handled: string[] = [];
    const queue = new WorkQueue({
      name: 'test',
      handler: async (key) => {
        handled.push(key);
      },
    });
    stops.push(() => queue.shutDown());
    const secrets = new Informer<V1Secret>({
      kubeConfig: server.kc,
      resource: SECRETS,
      namespace: 'owners',
      resyncMs: 300,
    });
    secrets.enqueueTo(queue, controllerKey('ConfigMap', ''));
    const configMaps = new Informer<V1ConfigMap>({ kubeConfig: server.kc, resource: CONFIGMAPS, namespace: 'owners' });
    configMaps.enqueueTo(queue, ownKey);
    stops.push(
      () => secrets.stop(),
      () => configMaps.stop(),
    );
    await Promise.all([secrets.start(), configMaps.start()]);
    await eventually('the owner key from its own informer', () =>
      handled.includes('owners/owner') ? true : undefined,
    );

    handled.length = 0;
    await core.createNamespacedSecret({
      namespace: 'owners',
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '', controller: true },
          ],
        },
        stringData: { a: 'b' },
      },
    });
    await core.createNamespacedSecret({ namespace: 'owners', body: { metadata: { name: 'orphan' } } });
    await eventually('the owned secret mapped to its owner', () =>
      handled.includes('owners/owner') ? true : undefined,
    );
    assert.ok(!handled.includes('owners/orphan'), 'a secret without controller maps to nothing');

    handled.length = 0;
    await eventually('a resync', () => (handled.includes('owners/owner') ? true : undefined), 3000);
  });

  it('restarts after the API server went away, resuming its watch', async () => {
    const informer = new Informer<V1ConfigMap>({
      kubeConfig: server.kc,
      resource: CONFIGMAPS,
      namespace: 'default',
      restartBackoff: { baseMs: 50, maxMs: 200 },
    });
    const events: string[] = [];
    informer.on((event, obj) => events.push(`${event}:${obj.metadata?.name}`));
    stops.push(() => informer.stop());
    await informer.start();
    const core = kubeClients(server.kc).core;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'r1' } } });
    await eventually('r1 in the cache', () => informer.get('default', 'r1'));

    await server.pause();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few failed restarts
    await server.resume();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'r2' } } });
    await eventually('r2 in the cache after the restart', () => informer.get('default', 'r2'), 15_000);
    assert.equal(events.filter((e) => e === 'add:r1').length, 1, 'r1 is not reported twice');
  });
});
