// `cnpg local up -f cluster.yaml --wait` as a user runs it: the runtime starts in the background,
// the operator is installed from the manifests we ship and runs as a pod, the Cluster is followed
// through its phases until healthy, and the printed psql command line connects. Objects of kinds no
// controller acts on are reported as such, and a Cluster whose bootstrap fails for good ends the
// wait at once with the cause. The operator pod, with the shipped RBAC, records Events on the
// Cluster (`kubectl describe`) and serves its metrics on :8080.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { PROJECT_ROOT } from '../support/samples.ts';

const CNPG = join(PROJECT_ROOT, 'bin/cnpg');

describe('cnpg local up with a Cluster', { timeout: 480_000 }, () => {
  let dir = '';
  const dataDir = () => join(dir, 'data');
  const cnpg = (args: string[], timeoutMs: number) =>
    spawnSync(CNPG, [...args, '--data-dir', dataDir()], { encoding: 'utf8', timeout: timeoutMs });
  const kubectl = (args: string[]) =>
    spawnSync('kubectl', ['--kubeconfig', join(dataDir(), 'kubeconfig'), ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnpg-up-'));
    // Pods run as the unprivileged pod user when we are root: it must reach the data directory.
    chmodSync(dir, 0o755);
  });
  after(() => {
    if (dir === '') return;
    cnpg(['local', 'down', '--purge', '--timeout', '60s'], 90_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the Cluster, prints a working psql line, and reports the Pooler as not reconciled', () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      [
        // The user's own application secret, as upstream's cluster-example-secret.yaml: no dbname.
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: up-example-app-user',
        'type: kubernetes.io/basic-auth',
        'stringData:',
        '  username: app',
        '  password: app-password',
        '---',
        'apiVersion: postgresql.cnpg.io/v1',
        'kind: Cluster',
        'metadata:',
        '  name: up-example',
        'spec:',
        '  instances: 1',
        '  bootstrap:',
        '    initdb:',
        '      database: appdb',
        '      owner: app',
        '      secret:',
        '        name: up-example-app-user',
        '  storage:',
        '    size: 1Gi',
        '---',
        'apiVersion: postgresql.cnpg.io/v1',
        'kind: Pooler',
        'metadata:',
        '  name: up-example-pooler',
        'spec:',
        '  cluster:',
        '    name: up-example',
        '  instances: 1',
        '  type: rw',
        '  pgbouncer:',
        '    poolMode: session',
        '',
      ].join('\n'),
    );
    const r = cnpg(['local', 'up', '-f', file, '--wait', '--timeout', '150s'], 180_000);
    // The Cluster is healthy, but nothing will ever run the Pooler: the wait does not succeed.
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /operator: deployment\.apps\/cnpg-controller-manager in namespace cnpg-system created/);
    assert.match(r.stdout, /^pooler\.postgresql\.cnpg\.io\/up-example-pooler created$/m);
    assert.match(r.stdout, /cluster\.postgresql\.cnpg\.io\/up-example: Setting up primary/);
    assert.match(r.stdout, /cluster\.postgresql\.cnpg\.io\/up-example: Cluster in healthy state/);
    assert.match(
      r.stdout,
      /^pooler\.postgresql\.cnpg\.io\/up-example-pooler: not reconciled: no controller for kind Pooler yet$/m,
    );
    assert.match(
      r.stderr,
      /^error: not reconciled \(no controller for their kind yet\): pooler\.postgresql\.cnpg\.io\/up-example-pooler$/m,
    );
    // The database comes from the Cluster when the user's secret has no dbname.
    assert.match(r.stdout, /^ {2}user app, database appdb; the password: /m);
    const line = r.stdout.split('\n').find((l) => l.includes('psql -h '));
    assert.ok(line, r.stdout);
    const psql = spawnSync('sh', ['-c', `${line.trim()} -XAtc 'SELECT current_user, current_database()'`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(psql.status, 0, psql.stderr);
    assert.equal(psql.stdout.trim(), 'app|appdb');

    const status = spawnSync(CNPG, ['status', 'up-example', '--kubeconfig', join(dataDir(), 'kubeconfig')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^Not reconciled$/m);
    assert.match(status.stdout, /^Pooler\s+up-example-pooler\s+no controller for kind Pooler yet$/m);
  });

  it('stops at once with the cause when the bootstrap Job fails for good, keeping only its logs', () => {
    const file = join(dir, 'bad-initdb.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: postgresql.cnpg.io/v1',
        'kind: Cluster',
        'metadata:',
        '  name: bad-initdb',
        'spec:',
        '  instances: 1',
        '  bootstrap:',
        '    initdb:',
        '      options: ["--no-such-initdb-option"]',
        '  storage:',
        '    size: 1Gi',
        '',
      ].join('\n'),
    );
    const r = cnpg(['local', 'up', '-f', file, '--wait', '--timeout', '240s'], 270_000);
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /timed out/);
    assert.match(
      r.stderr,
      /^error: cluster\.postgresql\.cnpg\.io\/bad-initdb: Cluster is unrecoverable and needs manual intervention: job bad-initdb-1-initdb failed: .*initdb/m,
    );
    // As on Kubernetes, the Job ran backoffLimit + 1 = 7 pods and keeps them failed, with their logs.
    const pods = kubectl(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=bad-initdb-1-initdb', '-o', 'json']);
    assert.equal(pods.status, 0, pods.stderr);
    const items = (JSON.parse(pods.stdout) as { items: { metadata: { name: string }; status: { phase: string } }[] })
      .items;
    assert.equal(items.length, 7);
    for (const pod of items) {
      assert.equal(pod.status.phase, 'Failed');
      const files = readdirSync(join(dataDir(), 'pods', 'default', pod.metadata.name));
      assert.ok(
        files.every((f) => f.endsWith('.log')),
        `${pod.metadata.name}: ${files.join(', ')}`,
      );
    }
  });

  it("shows the operator pod's Events in kubectl describe cluster, and serves its metrics on :8080", async () => {
    const kubeconfig = join(dir, 'data', 'kubeconfig');
    const described = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'describe', 'cluster', 'up-example'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(described.status, 0, described.stderr);
    const events = described.stdout.slice(described.stdout.indexOf('Events:'));
    assert.match(events, /Normal\s+CreatingInstance\s+.*cloudnative-pg\s+Primary instance \(initdb\)/);

    const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({
      namespace: 'cnpg-system',
      labelSelector: 'app.kubernetes.io/name=cloudnative-pg',
    });
    const ip = pods.items[0]?.status?.podIP;
    assert.ok(ip, 'the operator pod has an address');
    const res = await fetch(`http://${ip}:8080/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const successes =
      /^controller_runtime_reconcile_total\{controller="cluster",result="(?:success|requeue_after)"\} (\d+)$/gm;
    const passes = [...text.matchAll(successes)].reduce((n, m) => n + Number(m[1]), 0);
    assert.ok(passes > 0, 'the Cluster was reconciled');
    assert.match(text, /^controller_runtime_reconcile_time_seconds_count\{controller="cluster"\} [1-9]/m);
    assert.match(text, /^workqueue_adds_total\{name="cluster",controller="cluster"\} [1-9]/m);
    assert.match(text, /^process_resident_memory_bytes \d/m);
  });
});
