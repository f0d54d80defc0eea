// `cnpg local up -f cluster.yaml --wait` as a user runs it: the runtime starts in the background,
// the operator is installed from the manifests we ship and runs as a pod, the Cluster is followed
// through its phases until healthy, and the printed psql command line connects. The operator pod,
// with the shipped RBAC, records Events on the Cluster (`kubectl describe`) and serves its metrics
// on :8080.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { PROJECT_ROOT } from '../support/samples.ts';

const CNPG = join(PROJECT_ROOT, 'bin/cnpg');

describe('cnpg local up with a Cluster', { timeout: 240_000 }, () => {
  let dir = '';
  const cnpg = (args: string[], timeoutMs: number) =>
    spawnSync(CNPG, [...args, '--data-dir', join(dir, 'data')], { encoding: 'utf8', timeout: timeoutMs });

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

  it('installs the operator, waits for the Cluster to be healthy and prints a working psql line', () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: postgresql.cnpg.io/v1',
        'kind: Cluster',
        'metadata:',
        '  name: up-example',
        'spec:',
        '  instances: 1',
        '  storage:',
        '    size: 1Gi',
        '',
      ].join('\n'),
    );
    const r = cnpg(['local', 'up', '-f', file, '--wait', '--timeout', '150s'], 180_000);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /operator: deployment\.apps\/cnpg-controller-manager in namespace cnpg-system created/);
    assert.match(r.stdout, /cluster\.postgresql\.cnpg\.io\/up-example: Setting up primary/);
    assert.match(r.stdout, /cluster\.postgresql\.cnpg\.io\/up-example: Cluster in healthy state/);
    const line = r.stdout.split('\n').find((l) => l.includes('psql -h '));
    assert.ok(line, r.stdout);
    const psql = spawnSync('sh', ['-c', `${line.trim()} -XAtc 'SELECT current_user, pg_is_in_recovery()'`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(psql.status, 0, psql.stderr);
    assert.equal(psql.stdout.trim(), 'app|f');
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
