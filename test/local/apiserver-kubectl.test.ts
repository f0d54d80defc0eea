// The real kubectl (1.32) against the local API server's kubeconfig, as a user drives it: namespaces,
// apply of a Deployment and a Service (create, then a strategic-merge re-apply), get in every output
// format, describe, scale, wait, logs, get -w, delete; custom resources of our CRDs and their schema
// errors; and RBAC denials as kubectl prints them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, it } from 'node:test';
import { allCrdsYaml } from '../../src/cli/crds.ts';
import { containerLogPath, kubeconfigYaml } from '../../src/local/apiserver/server.ts';
import { kubectl, ok, startTestServer, type TestServer } from './apiserver-support.ts';
import { SAMPLES_DIR as SAMPLES } from '../support/samples.ts';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.dispose();
});

/** kubectl's stdout, trimmed; the command must succeed. */
async function k(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(server, args, stdin);
  assert.equal(r.status, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** kubectl's stderr, trimmed; the command must fail. */
async function kFails(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(server, args, stdin);
  assert.notEqual(r.status, 0, `kubectl ${args.join(' ')} should have failed`);
  return r.stderr.trim();
}

const app = (image: string, value: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: "${value}"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;

it('creates a namespace, applies a Deployment and a Service, re-applies a change, and reads them back', async () => {
  assert.equal(await k(['create', 'namespace', 'demo']), 'namespace/demo created');
  assert.equal(
    await k(['apply', '-f', '-'], app('nginx:1.27', 'a')),
    'deployment.apps/web created\nservice/web created',
  );
  assert.equal(
    await k(['apply', '-f', '-'], app('nginx:1.28', 'b')),
    'deployment.apps/web configured\nservice/web unchanged',
  );
  const d = JSON.parse(await k(['get', 'deployment', 'web', '-n', 'demo', '-o', 'json'])) as {
    metadata: { generation: number };
    spec: { template: { spec: { containers: { image: string; env: unknown[] }[] } } };
  };
  assert.equal(d.metadata.generation, 2);
  assert.equal(d.spec.template.spec.containers[0]?.image, 'nginx:1.28');
  assert.deepEqual(d.spec.template.spec.containers[0]?.env, [{ name: 'MODE', value: 'b' }]);
  assert.equal(await k(['get', 'svc', 'web', '-n', 'demo', '-o', 'jsonpath={.spec.ports[0].targetPort}']), '8080');
  assert.match(await k(['get', 'svc', 'web', '-n', 'demo', '-o', 'yaml']), /clusterIP: 127\.1\.\d+\.\d+/);
  const table = await k(['get', 'deploy,svc', '-n', 'demo']);
  assert.match(table, /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s+0\/2\s+0\s+0\s+\d+s/);
  assert.match(table, /service\/web\s+ClusterIP\s+127\.1\.\d+\.\d+\s+<none>\s+80\/TCP/);
  assert.match(await k(['get', 'all', '-n', 'demo']), /deployment\.apps\/web/);
  assert.match(await k(['get', 'ns']), /^demo\s+Active/m);
});

it('scales and describes the Deployment', async () => {
  assert.equal(await k(['scale', 'deployment', 'web', '-n', 'demo', '--replicas=3']), 'deployment.apps/web scaled');
  assert.equal(await k(['get', 'deploy', 'web', '-n', 'demo', '-o', 'jsonpath={.spec.replicas}']), '3');
  const described = await k(['describe', 'deployment', 'web', '-n', 'demo']);
  assert.match(described, /Replicas:\s+3 desired/);
  assert.match(described, /Image:\s+nginx:1\.28/);
  assert.match(await k(['describe', 'service', 'web', '-n', 'demo']), /TargetPort:\s+8080\/TCP/);
});

it('streams changes with get -w', async () => {
  const watcher = spawnKubectl(['get', 'configmaps', '-n', 'demo', '-w', '--output-watch-events']);
  try {
    // The namespace's kube-root-ca.crt is listed first: the watch is then in place.
    await until(() => watcher.stdout().includes('kube-root-ca.crt'), 10_000);
    await k(['create', 'configmap', 'settings', '-n', 'demo', '--from-literal=a=1']);
    await k(['label', 'configmap', 'settings', '-n', 'demo', 'tier=db']);
    await k(['delete', 'configmap', 'settings', '-n', 'demo']);
    await until(() => /DELETED\s+settings/.test(watcher.stdout()), 10_000);
    const events = watcher.stdout().match(/^(ADDED|MODIFIED|DELETED)\s+settings/gm) ?? [];
    assert.deepEqual(
      events.map((e) => e.split(/\s+/)[0]),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
  } finally {
    watcher.kill();
  }
});

it('waits for conditions and deletion, and shows container logs', async () => {
  await k(
    ['apply', '-f', '-'],
    'apiVersion: v1\nkind: Pod\nmetadata: {name: runner, namespace: demo}\nspec:\n  containers: [{name: main, image: busybox:1}]\n',
  );
  const waiting = spawnKubectl(['wait', '--for=condition=Ready', 'pod/runner', '-n', 'demo', '--timeout=20s']);
  await new Promise((r) => setTimeout(r, 500));
  const ready = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
  await ok(server, 'PATCH', '/api/v1/namespaces/demo/pods/runner/status', ready, {
    contentType: 'application/merge-patch+json',
  });
  const waited = await waiting.done;
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(waited.stdout.trim(), 'pod/runner condition met');

  const log = containerLogPath(server.dataDir, 'demo', 'runner', 'main');
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, 'hello\nworld\n');
  assert.equal(await k(['logs', 'runner', '-n', 'demo']), 'hello\nworld');
  assert.equal(await k(['logs', 'runner', '-n', 'demo', '--tail=1']), 'world');

  const deletion = spawnKubectl(['wait', '--for=delete', 'pod/runner', '-n', 'demo', '--timeout=20s']);
  await new Promise((r) => setTimeout(r, 500));
  await k(['delete', 'pod', 'runner', '-n', 'demo', '--wait=false']);
  assert.equal((await deletion.done).code, 0);
  assert.equal(await k(['delete', 'deployment', 'web', '-n', 'demo']), 'deployment.apps "web" deleted');
  assert.equal(
    await kFails(['get', 'deployment', 'web', '-n', 'demo']),
    'Error from server (NotFound): deployments.apps "web" not found',
  );
});

it('applies custom resources of the installed CRDs and shows their schema errors', async () => {
  await k(['apply', '-f', '-'], allCrdsYaml());
  assert.match(
    await k(['wait', '--for=condition=Established', 'crd/clusters.postgresql.cnpg.io', '--timeout=10s']),
    /condition met/,
  );
  assert.equal(
    await k(['apply', '-n', 'demo', '-f', `${SAMPLES}/cluster-example.yaml`]),
    'cluster.postgresql.cnpg.io/cluster-example created',
  );
  assert.match(
    await k(['get', 'clusters', '-n', 'demo']),
    /^NAME\s+AGE\s+INSTANCES\s+READY\s+STATUS\s+PRIMARY\ncluster-example\s+\d+s/,
  );
  assert.equal(
    await k(['scale', 'cluster', 'cluster-example', '-n', 'demo', '--replicas=2']),
    'cluster.postgresql.cnpg.io/cluster-example scaled',
  );
  assert.equal(await k(['get', 'cluster', 'cluster-example', '-n', 'demo', '-o', 'jsonpath={.spec.instances}']), '2');
  const bad =
    'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: bad, namespace: demo}\nspec:\n  instances: 0\n  storage: {size: 1Gi}\n';
  assert.equal(
    await kFails(['apply', '-f', '-'], bad),
    'The Cluster "bad" is invalid: spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1',
  );
  const unknown =
    'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: odd, namespace: demo}\nspec:\n  instances: 1\n  foo: 1\n  storage: {size: 1Gi}\n';
  assert.equal(
    await kFails(['apply', '-f', '-'], unknown),
    'Error from server (BadRequest): error when creating "STDIN": strict decoding error: unknown field "spec.foo"',
  );
});

it('accepts the protobuf bodies of kubectl create generators, storing what kubectl renders as JSON', async () => {
  const generators: [string[], string][] = [
    [
      ['secret', 'generic', 'creds', '-n', 'demo', '--from-literal=username=app', '--from-literal=password=s3cret'],
      'secret/creds',
    ],
    [['configmap', 'conf', '-n', 'demo', '--from-literal=a=1'], 'configmap/conf'],
    [['deployment', 'gen', '-n', 'demo', '--image=busybox:1', '--replicas=0', '--port=80'], 'deployment/gen'],
    [['job', 'once', '-n', 'demo', '--image=busybox:1', '--', 'echo', 'hi'], 'job/once'],
    [['service', 'clusterip', 'gen', '-n', 'demo', '--tcp=80:8080'], 'service/gen'],
    [['poddisruptionbudget', 'gen', '-n', 'demo', '--selector=app=gen', '--max-unavailable=50%'], 'pdb/gen'],
    [['clusterrole', 'gen', '--verb=get,list', '--resource=pods', '--resource-name=x'], 'clusterrole/gen'],
  ];
  for (const [args, ref] of generators) {
    const rendered = JSON.parse(await k(['create', '--dry-run=client', '-o', 'json', ...args])) as Record<
      string,
      unknown
    >;
    await k(['create', ...args]);
    const stored = JSON.parse(await k(['get', ref, '-n', 'demo', '-o', 'json'])) as Record<string, unknown>;
    for (const field of ['data', 'rules', 'type']) {
      if (rendered[field] !== undefined) assert.deepEqual(stored[field], rendered[field], `${ref} ${field}`);
    }
    // What kubectl set must be stored as is; what it left empty the server defaults.
    const spec = (rendered.spec ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(spec)) {
      if (key === 'template' || JSON.stringify(value) === '{}') continue;
      assert.deepEqual((stored.spec as Record<string, unknown>)[key], value, `${ref} spec.${key}`);
    }
  }
  const containers = JSON.parse(
    await k(['get', 'deployment', 'gen', '-n', 'demo', '-o', 'jsonpath={.spec.template.spec.containers}']),
  );
  assert.deepEqual(containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
});

it('shows RBAC denials for a ServiceAccount kubeconfig', async () => {
  await k(['create', 'serviceaccount', 'viewer', '-n', 'demo']);
  await k(['create', 'role', 'see-pods', '-n', 'demo', '--verb=get,list', '--resource=pods']);
  await k(['create', 'rolebinding', 'viewer', '-n', 'demo', '--role=see-pods', '--serviceaccount=demo:viewer']);
  const token = await k(['create', 'token', 'viewer', '-n', 'demo']);
  const kubeconfigPath = join(server.dataDir, 'viewer.kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(server.url, server.caCertPem, token, 'demo'));
  const viewer = { kubeconfigPath, dataDir: server.dataDir };
  assert.equal((await kubectl(viewer, ['get', 'pods'])).status, 0);
  const denied = await kubectl(viewer, ['get', 'secrets']);
  assert.notEqual(denied.status, 0);
  assert.equal(
    denied.stderr.trim(),
    'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:demo:viewer" cannot list resource "secrets" in API group "" in the namespace "demo"',
  );
});

interface Spawned {
  stdout: () => string;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  kill: () => void;
}

function spawnKubectl(args: string[]): Spawned {
  const child = spawn('kubectl', [
    '--kubeconfig',
    server.kubeconfigPath,
    '--cache-dir',
    join(server.dataDir, 'kubectl-cache'),
    ...args,
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { stdout: () => stdout, done, kill: () => child.kill('SIGKILL') };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
