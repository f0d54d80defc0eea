// Conformance of the local API server to the Kubernetes API semantics the operator, the node agent
// and kubectl rely on: metadata and resourceVersions, optimistic concurrency, subresources, the
// three patch types, selectors, watches (resume, 410, bookmarks), finalizers, garbage collection,
// namespaces, admission of custom resources, RBAC, tokens and pod logs.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCrd } from '../../src/api/v1/crd.ts';
import { kindDefinition } from '../../src/api/v1/kinds.ts';
import { containerLogPath } from '../../src/local/apiserver/server.ts';
import { type Json, call, meta, ok, startTestServer, type TestServer, watch } from './apiserver-support.ts';

let server: TestServer;
let nsCounter = 0;

before(async () => {
  server = await startTestServer({ bookmarkIntervalMs: 200 });
});
after(async () => {
  await server?.dispose();
});

async function namespace(): Promise<string> {
  const name = `t${++nsCounter}`;
  await ok(server, 'POST', '/api/v1/namespaces', { metadata: { name } });
  // The namespace's defaults (kube-root-ca.crt, the default ServiceAccount) come right after it.
  await eventually(
    async () => (await call(server, 'GET', `/api/v1/namespaces/${name}/configmaps/kube-root-ca.crt`)).status === 200,
  );
  return name;
}

const cm = (name: string, extra: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data: { a: '1' },
});
const pod = (name: string, extra: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...extra },
  spec: {
    containers: [
      { name: 'main', image: 'busybox:1', env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'busybox:1' },
    ],
  },
});
const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
  },
});
const ownerRef = (o: Json) => ({
  apiVersion: String(o.apiVersion),
  kind: String(o.kind),
  name: meta(o).name,
  uid: meta(o).uid,
});

describe('object metadata and concurrency', () => {
  it('assigns uid, creationTimestamp, generation and increasing resourceVersions; generateName makes names', async () => {
    const ns = await namespace();
    const a = await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('a'));
    const b = await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { generateName: 'gen-' },
      data: {},
    });
    assert.match(meta(a).uid, /^[0-9a-f-]{36}$/);
    assert.match(String(meta(a).creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(meta(a).generation, 1);
    assert.ok(Number(meta(b).resourceVersion) > Number(meta(a).resourceVersion));
    assert.match(meta(b).name, /^gen-[a-z0-9]{5}$/);
    const dup = await call(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('a'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "a" already exists');
  });

  it('rejects an update carrying a stale resourceVersion with 409 Conflict', async () => {
    const ns = await namespace();
    const created = await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('c'));
    const first = await ok(server, 'PUT', `/api/v1/namespaces/${ns}/configmaps/c`, { ...created, data: { a: '2' } });
    assert.notEqual(meta(first).resourceVersion, meta(created).resourceVersion);
    const stale = await call(server, 'PUT', `/api/v1/namespaces/${ns}/configmaps/c`, { ...created, data: { a: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal(
      stale.body.message,
      'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again',
    );
    const missing = await call(server, 'GET', `/api/v1/namespaces/${ns}/configmaps/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'configmaps "nope" not found');
  });

  it('bumps generation on spec changes only, and keeps status and spec apart through the status subresource', async () => {
    const ns = await namespace();
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/d`;
    await ok(server, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('d'));
    const labelled = await ok(
      server,
      'PATCH',
      path,
      { metadata: { labels: { x: 'y' } } },
      { contentType: 'application/merge-patch+json' },
    );
    assert.equal(meta(labelled).generation, 1);
    const scaled = await ok(
      server,
      'PATCH',
      path,
      { spec: { replicas: 3 }, status: { replicas: 9 } },
      { contentType: 'application/merge-patch+json' },
    );
    assert.equal(meta(scaled).generation, 2);
    assert.equal(scaled.status, undefined, 'status is not written through the main resource');
    const status = await ok(
      server,
      'PATCH',
      `${path}/status`,
      { spec: { replicas: 7 }, status: { replicas: 3 } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.deepEqual(status.status, { replicas: 3 });
    assert.equal((status.spec as Json).replicas, 3, 'spec is not written through the status subresource');
    assert.equal(meta(status).generation, 2);
    const noop = await ok(
      server,
      'PATCH',
      path,
      { spec: { replicas: 3 } },
      { contentType: 'application/merge-patch+json' },
    );
    assert.equal(
      meta(noop).resourceVersion,
      meta(status).resourceVersion,
      'a no-op write does not bump the resourceVersion',
    );
  });

  it('serves the scale subresource of Deployments', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('s'));
    const scale = await ok(server, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/s/scale`);
    assert.equal(scale.kind, 'Scale');
    assert.deepEqual(scale.spec, { replicas: 1 });
    assert.equal((scale.status as Json).selector, 'app=s');
    await ok(
      server,
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/s/scale`,
      { spec: { replicas: 4 } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    const d = await ok(server, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/s`);
    assert.equal((d.spec as Json).replicas, 4);
    const bad = await call(server, 'PUT', `/apis/apps/v1/namespaces/${ns}/deployments/s/scale`, {
      spec: { replicas: -1 },
    });
    assert.equal(bad.status, 422);
  });

  it('allocates distinct loopback cluster IPs to Services and keeps them on update', async () => {
    const ns = await namespace();
    const svc = (name: string) => ({ metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 5432 }] } });
    const a = await ok(server, 'POST', `/api/v1/namespaces/${ns}/services`, svc('a'));
    const b = await ok(server, 'POST', `/api/v1/namespaces/${ns}/services`, svc('b'));
    const ipA = (a.spec as Json).clusterIP as string;
    assert.match(ipA, /^127\.1\.\d+\.\d+$/);
    assert.notEqual(ipA, (b.spec as Json).clusterIP);
    assert.deepEqual((a.spec as Json).ports, [{ port: 5432, protocol: 'TCP', targetPort: 5432 }]);
    const updated = await ok(server, 'PUT', `/api/v1/namespaces/${ns}/services/a`, {
      ...svc('a'),
      metadata: { name: 'a' },
    });
    assert.equal((updated.spec as Json).clusterIP, ipA);
    const badName = await call(server, 'POST', `/api/v1/namespaces/${ns}/services`, svc('1abc'));
    assert.equal(badName.status, 422);
    const pending = await ok(server, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('p'));
    assert.equal((pending.status as Json).phase, 'Pending');
  });
});

describe('patches', () => {
  it('applies JSON merge patches, removing fields set to null', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: 'm' },
      data: { a: '1', b: '2' },
    });
    const r = await ok(
      server,
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/m`,
      { data: { a: null, c: '3' } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.deepEqual(r.data, { b: '2', c: '3' });
  });

  it('applies JSON patches and fails a failed test operation', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'j' }, data: { a: '1' } });
    const path = `/api/v1/namespaces/${ns}/configmaps/j`;
    const ops = [
      { op: 'test', path: '/data/a', value: '1' },
      { op: 'add', path: '/data/b', value: '2' },
      { op: 'replace', path: '/data/a', value: '9' },
      { op: 'add', path: '/metadata/labels', value: { k: 'v' } },
    ];
    const r = await ok(server, 'PATCH', path, ops, { contentType: 'application/json-patch+json' });
    assert.deepEqual(r.data, { a: '9', b: '2' });
    assert.deepEqual(meta(r).labels, { k: 'v' });
    const failed = await call(server, 'PATCH', path, [{ op: 'test', path: '/data/a', value: '1' }], {
      contentType: 'application/json-patch+json',
    });
    assert.equal(failed.status, 422);
  });

  it('applies strategic merge patches: lists merged by key, $patch delete, $setElementOrder, primitive lists', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('s', { finalizers: ['a/x', 'a/y'] }));
    const path = `/api/v1/namespaces/${ns}/pods/s`;
    const smp = { contentType: 'application/strategic-merge-patch+json' };
    const r = await ok(
      server,
      'PATCH',
      path,
      {
        metadata: { $deleteFromPrimitiveList: undefined, '$deleteFromPrimitiveList/finalizers': ['a/x'] },
        spec: {
          '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }],
          containers: [{ name: 'main', image: 'busybox:2', env: [{ name: 'B', value: '2' }] }],
        },
      },
      smp,
    );
    const containers = (r.spec as Json).containers as Json[];
    assert.deepEqual(
      containers.map((c) => c.name),
      ['side', 'main'],
    );
    assert.equal(containers[1]?.image, 'busybox:2');
    assert.deepEqual(containers[1]?.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    assert.deepEqual(meta(r).finalizers, ['a/y']);
    const r2 = await ok(server, 'PATCH', path, { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }, smp);
    assert.deepEqual(
      ((r2.spec as Json).containers as Json[]).map((c) => c.name),
      ['main'],
    );
    const r3 = await ok(server, 'PATCH', path, { metadata: { finalizers: null } }, smp);
    assert.equal(meta(r3).finalizers, undefined);
  });
});

describe('selectors', () => {
  it('filters lists by equality- and set-based label selectors and by name/namespace field selectors', async () => {
    const ns = await namespace();
    const labels: [string, Json][] = [
      ['a', { tier: 'db', env: 'prod' }],
      ['b', { tier: 'db', env: 'dev' }],
      ['c', { tier: 'web' }],
    ];
    // Secrets: a namespace starts with none (it starts with one ConfigMap, kube-root-ca.crt).
    for (const [name, l] of labels) {
      await ok(server, 'POST', `/api/v1/namespaces/${ns}/secrets`, { metadata: { name, labels: l } });
    }
    const names = async (query: string) => {
      const r = await ok(server, 'GET', `/api/v1/namespaces/${ns}/secrets?${query}`);
      return (r.items as Json[]).map((i) => meta(i).name);
    };
    const cases: [string, string[]][] = [
      ['labelSelector=tier%3Ddb', ['a', 'b']],
      ['labelSelector=tier%3D%3Ddb,env!%3Ddev', ['a']],
      ['labelSelector=env%20in%20(dev,qa)', ['b']],
      ['labelSelector=env%20notin%20(dev)', ['a', 'c']],
      ['labelSelector=env', ['a', 'b']],
      ['labelSelector=!env', ['c']],
      ['fieldSelector=metadata.name%3Db', ['b']],
      ['fieldSelector=metadata.name!%3Db', ['a', 'c']],
      [`fieldSelector=metadata.namespace%3D${ns}`, ['a', 'b', 'c']],
    ];
    for (const [query, expected] of cases) assert.deepEqual(await names(query), expected, query);
    const all = await ok(server, 'GET', `/api/v1/secrets?fieldSelector=metadata.namespace%3D${ns}`);
    assert.equal((all.items as Json[]).length, 3);
    const bad = await call(server, 'GET', `/api/v1/namespaces/${ns}/secrets?labelSelector=a%20in%20b`);
    assert.equal(bad.status, 400);
  });
});

describe('watch', () => {
  it('resumes from a resourceVersion with every later event, in order', async () => {
    const ns = await namespace();
    const list = await ok(server, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
    const rv = meta(list).resourceVersion;
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('w1'));
    await ok(
      server,
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/w1`,
      { data: { a: '2' } },
      { contentType: 'application/merge-patch+json' },
    );
    await ok(server, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/w1`);
    const w = await watch(server, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}`);
    try {
      const events = [await w.next(), await w.next(), await w.next()];
      assert.deepEqual(
        events.map((e) => e.type),
        ['ADDED', 'MODIFIED', 'DELETED'],
      );
      const rvs = events.map((e) => Number(meta(e.object).resourceVersion));
      assert.deepEqual(
        [...rvs].sort((a, b) => a - b),
        rvs,
      );
      await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('w2'));
      const live = await w.next();
      assert.equal(live.type, 'ADDED');
      assert.equal(meta(live.object).name, 'w2');
    } finally {
      w.close();
    }
  });

  it('starts a watch without resourceVersion with the current objects, and follows label selector transitions', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('x', { labels: { on: 'yes' } }));
    const w = await watch(server, `/api/v1/namespaces/${ns}/configmaps?watch=1&labelSelector=on%3Dyes`);
    try {
      assert.equal((await w.next()).type, 'ADDED');
      await ok(
        server,
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/x`,
        { metadata: { labels: { on: 'no' } } },
        {
          contentType: 'application/merge-patch+json',
        },
      );
      assert.equal((await w.next()).type, 'DELETED');
      await ok(
        server,
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/x`,
        { metadata: { labels: { on: 'yes' } } },
        {
          contentType: 'application/merge-patch+json',
        },
      );
      assert.equal((await w.next()).type, 'ADDED');
    } finally {
      w.close();
    }
  });

  it('sends bookmarks when allowed', async () => {
    const ns = await namespace();
    const w = await watch(
      server,
      `/api/v1/namespaces/${ns}/secrets?watch=true&resourceVersion=${await currentRv(ns)}&allowWatchBookmarks=true`,
    );
    try {
      const e = await w.next(3000);
      assert.equal(e.type, 'BOOKMARK');
      assert.match(meta(e.object).resourceVersion, /^\d+$/);
    } finally {
      w.close();
    }
  });

  it('answers a watch from a resourceVersion older than the history with 410 Gone', async () => {
    const small = await startTestServer({ watchHistory: 5 });
    try {
      const list = await ok(small, 'GET', '/api/v1/namespaces/default/configmaps');
      const rv = meta(list).resourceVersion;
      for (let i = 0; i < 10; i++) await ok(small, 'POST', '/api/v1/namespaces/default/configmaps', cm(`g${i}`));
      const w = await watch(small, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
      const e = await w.next();
      await w.ended;
      assert.equal(e.type, 'ERROR');
      assert.equal(e.object.code, 410);
      assert.equal(e.object.reason, 'Expired');
    } finally {
      await small.dispose();
    }
  });
});

async function currentRv(ns: string): Promise<string> {
  return meta(await ok(server, 'GET', `/api/v1/namespaces/${ns}/configmaps`)).resourceVersion;
}

describe('deletion', () => {
  it('holds an object with finalizers until the last one is removed', async () => {
    const ns = await namespace();
    const path = `/api/v1/namespaces/${ns}/configmaps/f`;
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('f', { finalizers: ['example.com/hold'] }));
    const deleting = await ok(server, 'DELETE', path);
    assert.ok(meta(deleting).deletionTimestamp, 'deletionTimestamp is set');
    assert.equal(meta(await ok(server, 'GET', path)).name, 'f');
    const added = await call(
      server,
      'PATCH',
      path,
      { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.equal(added.status, 422);
    assert.match(String(added.body.message), /no new finalizers can be added if the object is being deleted/);
    await ok(
      server,
      'PATCH',
      path,
      { metadata: { finalizers: null } },
      { contentType: 'application/merge-patch+json' },
    );
    assert.equal((await call(server, 'GET', path)).status, 404);
  });

  it('collects dependents in the background once their owner is gone, and keeps those with other owners', async () => {
    const ns = await namespace();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const owner = await ok(server, 'POST', base, cm('owner'));
    const other = await ok(server, 'POST', base, cm('other'));
    await ok(server, 'POST', base, cm('dep', { ownerReferences: [ownerRef(owner)] }));
    await ok(server, 'POST', base, cm('shared', { ownerReferences: [ownerRef(owner), ownerRef(other)] }));
    await ok(server, 'DELETE', `${base}/owner`);
    await eventually(async () => (await call(server, 'GET', `${base}/dep`)).status === 404);
    const shared = await ok(server, 'GET', `${base}/shared`);
    await eventually(
      async () => ((meta(await ok(server, 'GET', `${base}/shared`)).ownerReferences as Json[]) ?? []).length === 1,
    );
    assert.equal(meta(shared).name, 'shared');
    // An object created with an owner that does not exist is collected too.
    await ok(
      server,
      'POST',
      base,
      cm('dangling', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid' }] }),
    );
    await eventually(async () => (await call(server, 'GET', `${base}/dangling`)).status === 404);
  });

  it('deletes in the foreground: the owner waits for its dependents', async () => {
    const ns = await namespace();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const owner = await ok(server, 'POST', base, cm('owner'));
    await ok(server, 'POST', base, cm('dep', { ownerReferences: [ownerRef(owner)], finalizers: ['example.com/hold'] }));
    const r = await ok(server, 'DELETE', `${base}/owner`, { propagationPolicy: 'Foreground' });
    assert.ok((meta(r).finalizers as string[]).includes('foregroundDeletion'));
    await eventually(async () => meta(await ok(server, 'GET', `${base}/dep`)).deletionTimestamp !== undefined);
    assert.equal((await call(server, 'GET', `${base}/owner`)).status, 200, 'the owner waits');
    await ok(
      server,
      'PATCH',
      `${base}/dep`,
      { metadata: { finalizers: null } },
      { contentType: 'application/merge-patch+json' },
    );
    await eventually(async () => (await call(server, 'GET', `${base}/owner`)).status === 404);
  });

  it('orphans dependents on request', async () => {
    const ns = await namespace();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const owner = await ok(server, 'POST', base, cm('owner'));
    await ok(server, 'POST', base, cm('dep', { ownerReferences: [ownerRef(owner)] }));
    await ok(server, 'DELETE', `${base}/owner?propagationPolicy=Orphan`);
    await new Promise((r) => setTimeout(r, 100));
    const dep = await ok(server, 'GET', `${base}/dep`);
    assert.equal(meta(dep).ownerReferences, undefined);
  });

  it('gives pods on a node their grace period, and deletes unscheduled pods at once', async () => {
    const ns = await namespace();
    const base = `/api/v1/namespaces/${ns}/pods`;
    await ok(server, 'POST', base, pod('loose'));
    const gone = await call(server, 'DELETE', `${base}/loose`);
    assert.equal(gone.status, 200);
    assert.equal((await call(server, 'GET', `${base}/loose`)).status, 404);
    await ok(server, 'POST', base, pod('bound'));
    await ok(server, 'POST', `${base}/bound/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'bound' },
      target: { name: 'local' },
    });
    const terminating = await ok(server, 'DELETE', `${base}/bound`);
    assert.equal(meta(terminating).deletionGracePeriodSeconds, 30);
    assert.equal((await call(server, 'GET', `${base}/bound`)).status, 200);
    await ok(server, 'DELETE', `${base}/bound`, { gracePeriodSeconds: 0 });
    assert.equal((await call(server, 'GET', `${base}/bound`)).status, 404);
  });

  it('terminates a namespace: no new content, then everything in it goes, then the namespace', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('held', { finalizers: ['example.com/hold'] }));
    await ok(server, 'DELETE', `/api/v1/namespaces/${ns}`);
    const nsObj = await ok(server, 'GET', `/api/v1/namespaces/${ns}`);
    assert.equal((nsObj.status as Json).phase, 'Terminating');
    const refused = await call(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('late'));
    assert.equal(refused.status, 403);
    assert.equal(
      refused.body.message,
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
    await ok(
      server,
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/held`,
      { metadata: { finalizers: null } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    await eventually(async () => (await call(server, 'GET', `/api/v1/namespaces/${ns}`)).status === 404);
    const missing = await call(server, 'POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'namespaces "nowhere" not found');
  });
});

describe('custom resources', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' } },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['color'],
                  properties: {
                    color: { type: 'string', enum: ['red', 'blue'] },
                    size: { type: 'integer', minimum: 1, default: 1 },
                  },
                },
                status: { type: 'object', properties: { size: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };

  before(async () => {
    await ok(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  });

  it('serves the CRD in discovery and marks it Established', async () => {
    const list = await ok(server, 'GET', '/apis/example.com/v1');
    const names = (list.resources as Json[]).map((r) => r.name);
    assert.deepEqual(names, ['widgets', 'widgets/status', 'widgets/scale']);
    const got = await ok(server, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    const conditions = (got.status as Json).conditions as Json[];
    assert.ok(conditions.some((c) => c.type === 'Established' && c.status === 'True'));
  });

  it('applies schema defaults, validates with upstream wording, and honours fieldValidation', async () => {
    const ns = await namespace();
    const base = `/apis/example.com/v1/namespaces/${ns}/widgets`;
    const w = await ok(server, 'POST', base, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { color: 'red' },
    });
    assert.deepEqual(w.spec, { color: 'red', size: 1 });
    const bad = await call(server, 'POST', base, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'b' },
      spec: { color: 'green', size: 0 },
    });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.body.message,
      'Widget.example.com "b" is invalid: [spec.color: Unsupported value: "green": supported values: "red", "blue", spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1]',
    );
    const strict = await call(server, 'POST', `${base}?fieldValidation=Strict`, {
      metadata: { name: 's' },
      spec: { color: 'red', shade: 1 },
    });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'strict decoding error: unknown field "spec.shade"');
    const warned = await call(server, 'POST', `${base}?fieldValidation=Warn`, {
      metadata: { name: 'v' },
      spec: { color: 'red', shade: 1 },
    });
    assert.equal(warned.status, 201);
    assert.deepEqual(warned.headers.warning, '299 - "unknown field \\"spec.shade\\""');
    assert.deepEqual(warned.body.spec, { color: 'red', size: 1 });
    const smp = await call(
      server,
      'PATCH',
      `${base}/w`,
      { spec: { size: 2 } },
      { contentType: 'application/strategic-merge-patch+json' },
    );
    assert.equal(smp.status, 415);
    const scaled = await ok(
      server,
      'PATCH',
      `${base}/w/scale`,
      { spec: { replicas: 3 } },
      { contentType: 'application/merge-patch+json' },
    );
    assert.deepEqual(scaled.spec, { replicas: 3 });
    const status = await ok(server, 'PUT', `${base}/w/status`, {
      ...(await ok(server, 'GET', `${base}/w`)),
      status: { size: 3 },
    });
    assert.deepEqual(status.status, { size: 3 });
    assert.equal(meta(status).generation, 2);
  });

  it('deletes the custom resources of a deleted CRD, then the CRD', async () => {
    const ns = await namespace();
    const gadgets = {
      ...crd,
      metadata: { name: 'gadgets.example.com' },
      spec: { ...crd.spec, names: { kind: 'Gadget', plural: 'gadgets' } },
    };
    await ok(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', gadgets);
    const base = `/apis/example.com/v1/namespaces/${ns}/gadgets`;
    await ok(server, 'POST', base, { metadata: { name: 'g' }, spec: { color: 'blue' } });
    await ok(server, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com');
    await eventually(
      async () =>
        (await call(server, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com'))
          .status === 404,
    );
    assert.equal((await call(server, 'GET', base)).status, 404, 'the resource is no longer served');
  });

  it('runs the full admission of postgresql.cnpg.io kinds with upstream messages and warnings', async () => {
    const ns = await namespace();
    const def = kindDefinition('Cluster');
    assert.ok(def);
    const cr = await call(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', buildCrd(def));
    assert.ok(cr.status === 201 || cr.status === 409);
    const base = `/apis/postgresql.cnpg.io/v1/namespaces/${ns}/clusters`;
    const good = await ok(server, 'POST', base, {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg' },
      spec: { instances: 3, storage: { size: '1Gi' } },
    });
    assert.equal(
      ((good.spec as Json).bootstrap as Json | undefined)?.initdb !== undefined,
      true,
      'the mutating webhook ran',
    );
    const bad = await call(server, 'POST', base, {
      metadata: { name: 'bad' },
      spec: { instances: 0, storage: { size: '1Gi' } },
    });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.body.message,
      'Cluster.postgresql.cnpg.io "bad" is invalid: spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1',
    );
    const disabled = await call(server, 'POST', base, {
      metadata: { name: 'unchecked', annotations: { 'cnpg.io/validation': 'disabled' } },
      spec: { instances: 1, storage: { size: '1Gi' } },
    });
    assert.equal(disabled.status, 201);
    assert.match(String(disabled.headers.warning), /^299 - "validation webhook is disabled/);
    const scale = await ok(server, 'GET', `${base}/pg/scale`);
    assert.deepEqual(scale.spec, { replicas: 3 });
  });
});

describe('authentication and RBAC', () => {
  it('denies a ServiceAccount what its Role lacks, naming verb and resource, and allows the rest', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'reader' } });
    await ok(server, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'read-pods' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await ok(server, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-pods' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    });
    const tr = await ok(server, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/reader/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    const token = (tr.status as Json).token as string;
    assert.equal((await call(server, 'GET', `/api/v1/namespaces/${ns}/pods`, undefined, { token })).status, 200);
    assert.equal((await call(server, 'GET', '/apis', undefined, { token })).status, 200, 'discovery is open');
    const denied = await call(server, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('x'), { token });
    assert.equal(denied.status, 403);
    assert.equal(
      denied.body.message,
      `pods is forbidden: User "system:serviceaccount:${ns}:reader" cannot create resource "pods" in API group "" in the namespace "${ns}"`,
    );
    const sub = await call(
      server,
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/x/status`,
      {},
      { token, contentType: 'application/merge-patch+json' },
    );
    assert.equal(sub.status, 403);
    assert.match(String(sub.body.message), /cannot patch resource "pods\/status"/);
    const elsewhere = await call(server, 'GET', '/api/v1/namespaces/default/pods', undefined, { token });
    assert.equal(elsewhere.status, 403);
    const cluster = await call(server, 'GET', '/api/v1/nodes-nope', undefined, { token });
    assert.equal(cluster.status, 404);
    assert.equal((await call(server, 'GET', '/api/v1/namespaces', undefined, { token: 'wrong' })).status, 401);
  });

  it('lets a resourceNames rule list and watch its one object through a name field selector', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'one' } });
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'mine' } });
    await ok(server, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'only-mine' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['mine'], verbs: ['get', 'list', 'watch'] }],
    });
    await ok(server, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'one' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'only-mine' },
      subjects: [{ kind: 'ServiceAccount', name: 'one', namespace: ns }],
    });
    const tr = await ok(server, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/one/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {},
    });
    const token = (tr.status as Json).token as string;
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    assert.equal(
      (await call(server, 'GET', `${base}?fieldSelector=metadata.name%3Dmine`, undefined, { token })).status,
      200,
    );
    assert.equal(
      (await call(server, 'GET', `${base}?fieldSelector=metadata.name%3Dother`, undefined, { token })).status,
      403,
    );
    assert.equal((await call(server, 'GET', base, undefined, { token })).status, 403);
  });

  it('populates service-account-token Secrets with a working token, bound to the Secret', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'admin' } });
    await ok(server, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: `${ns}-admin` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'admin', namespace: ns }],
    });
    const secret = await ok(server, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
      metadata: { name: 'admin-token', annotations: { 'kubernetes.io/service-account.name': 'admin' } },
      type: 'kubernetes.io/service-account-token',
    });
    const data = secret.data as Record<string, string>;
    const token = Buffer.from(data.token ?? '', 'base64').toString();
    assert.equal(Buffer.from(data['ca.crt'] ?? '', 'base64').toString(), server.caCertPem);
    assert.equal(Buffer.from(data.namespace ?? '', 'base64').toString(), ns);
    assert.equal((await call(server, 'GET', '/api/v1/namespaces/default/pods', undefined, { token })).status, 200);
    await ok(server, 'DELETE', `/api/v1/namespaces/${ns}/secrets/admin-token`);
    assert.equal((await call(server, 'GET', '/api/v1/namespaces/default/pods', undefined, { token })).status, 401);
  });
});

describe('pod logs', () => {
  it('serves a container log whole, as a tail, and followed', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('logger'));
    const file = containerLogPath(server.dataDir, ns, 'logger', 'main');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'one\ntwo\nthree\n');
    const base = `/api/v1/namespaces/${ns}/pods/logger/log`;
    assert.equal((await call(server, 'GET', `${base}?container=main`)).text, 'one\ntwo\nthree\n');
    assert.equal((await call(server, 'GET', `${base}?container=main&tailLines=2`)).text, 'two\nthree\n');
    const ambiguous = await call(server, 'GET', base);
    assert.equal(ambiguous.status, 400);
    assert.equal(
      ambiguous.body.message,
      'a container name must be specified for pod logger, choose one of: [main side]',
    );
    const followed = call(server, 'GET', `${base}?container=main&follow=true`);
    setTimeout(() => appendFileSync(file, 'four\n'), 300);
    setTimeout(() => {
      void ok(
        server,
        'PATCH',
        `/api/v1/namespaces/${ns}/pods/logger/status`,
        { status: { phase: 'Succeeded' } },
        {
          contentType: 'application/merge-patch+json',
        },
      );
    }, 700);
    assert.equal((await followed).text, 'one\ntwo\nthree\nfour\n');
  });
});

describe('tables', () => {
  it('answers kubectl-style Table requests with the kind columns', async () => {
    const ns = await namespace();
    await ok(server, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('t'));
    const t = await ok(server, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    assert.equal(t.kind, 'Table');
    assert.deepEqual(
      (t.columnDefinitions as Json[]).map((c) => c.name),
      ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'],
    );
    const row = (t.rows as Json[])[0] as Json;
    assert.deepEqual((row.cells as unknown[]).slice(0, 4), ['t', '0/1', 0, 0]);
    assert.equal(meta(row.object as Json).namespace, ns);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('condition not met in time');
}
