// @kubernetes/client-node informers (list + watch) against the local API server under churn:
// concurrent writers create, update and delete ConfigMaps for CNPG_APISERVER_CHURN_SECONDS
// (default 25; e.g. 600 for a ten-minute soak) while the server ends every watch after a few
// seconds, so the informers resume from their resourceVersion many times. Every informer must see
// every change exactly once, in order, and report no error.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type CoreV1Api, type KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.ts';
import { startTestServer, type TestServer } from './apiserver-support.ts';

const SECONDS = Number(process.env.CNPG_APISERVER_CHURN_SECONDS ?? '25');
const WRITERS = 8;
const NAMES_PER_WRITER = 12;
const NAMESPACE = 'churn';

interface Change {
  type: 'add' | 'update' | 'delete';
  /** Known for adds and updates (the write's answer); a delete's is only known to watchers. */
  rv?: string;
}

let server: TestServer;
let kc: KubeConfig;
let core: CoreV1Api;

before(async () => {
  server = await startTestServer({ watchTimeoutSeconds: 3, bookmarkIntervalMs: 1000 });
  kc = loadKubeConfig(server.kubeconfigPath);
  core = kubeClients(kc).core;
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
});
after(async () => {
  await server?.dispose();
});

function recorder() {
  const seen = new Map<string, Change[]>();
  const order: number[] = [];
  const errors: unknown[] = [];
  const record = (type: Change['type']) => (o: V1ConfigMap) => {
    if (o.metadata?.namespace !== NAMESPACE) return;
    const name = o.metadata.name ?? '';
    const rv = o.metadata.resourceVersion ?? '';
    const list = seen.get(name) ?? [];
    list.push({ type, rv });
    seen.set(name, list);
    order.push(Number(rv));
  };
  return { seen, order, errors, record };
}

it(`informers see every change of ${SECONDS} s of churn exactly once, in order`, {
  timeout: (SECONDS + 120) * 1000,
}, async (t) => {
  const namespaced = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${NAMESPACE}/configmaps`, () =>
    core.listNamespacedConfigMap({ namespace: NAMESPACE }),
  );
  const clusterWide = makeInformer<V1ConfigMap>(kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces());
  const recorders = [recorder(), recorder()];
  for (const [i, informer] of [namespaced, clusterWide].entries()) {
    const r = recorders[i];
    assert.ok(r);
    informer.on('add', r.record('add'));
    informer.on('update', r.record('update'));
    informer.on('delete', r.record('delete'));
    informer.on('error', (err) => r.errors.push(err));
    await informer.start();
  }

  const written = new Map<string, Change[]>();
  let lastRv = 0;
  let writes = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const writer = async (w: number) => {
    const live = new Map<string, V1ConfigMap>();
    let step = 0;
    while (Date.now() < deadline) {
      const name = `w${w}-${step % NAMES_PER_WRITER}`;
      step++;
      const current = live.get(name);
      const log = written.get(name) ?? [];
      written.set(name, log);
      if (current === undefined) {
        const created = await core.createNamespacedConfigMap({
          namespace: NAMESPACE,
          body: { metadata: { name }, data: { n: '0' } },
        });
        live.set(name, created);
        log.push({ type: 'add', rv: created.metadata?.resourceVersion });
      } else if (step % 5 === 0) {
        await core.deleteNamespacedConfigMap({ namespace: NAMESPACE, name });
        live.delete(name);
        log.push({ type: 'delete' });
      } else {
        const body = { ...current, data: { n: String(step) } };
        const updated = await core.replaceNamespacedConfigMap({ namespace: NAMESPACE, name, body });
        live.set(name, updated);
        log.push({ type: 'update', rv: updated.metadata?.resourceVersion });
      }
      writes++;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  const probe = await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: 'probe' } } });
  lastRv = Number(probe.metadata?.resourceVersion);
  written.set('probe', [{ type: 'add', rv: String(lastRv) }]);

  const settle = Date.now() + 30_000;
  while (Date.now() < settle && recorders.some((r) => (r.seen.get('probe') ?? []).length === 0)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await namespaced.stop();
  await clusterWide.stop();
  t.diagnostic(`${writes} writes in ${SECONDS} s; events seen: ${recorders.map((r) => r.order.length).join(', ')}`);
  assert.ok(writes > 1000, `only ${writes} writes happened`);
  for (const [i, r] of recorders.entries()) {
    assert.deepEqual(r.errors, [], `informer ${i} reported errors`);
    const sorted = [...r.order].sort((a, b) => a - b);
    assert.deepEqual(r.order, sorted, `informer ${i} saw events out of resourceVersion order`);
    assert.equal(new Set(r.order).size, r.order.length, `informer ${i} saw an event twice`);
    for (const [name, changes] of written) {
      const seen = r.seen.get(name) ?? [];
      assert.deepEqual(
        seen.map((c) => c.type),
        changes.map((c) => c.type),
        `informer ${i}: the changes of ${name} (${changes.length} writes)`,
      );
      changes.forEach((c, k) => {
        if (c.rv !== undefined) assert.equal(seen[k]?.rv, c.rv, `informer ${i}: change ${k} of ${name}`);
      });
    }
  }
});
