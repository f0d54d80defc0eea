// An invalid Cluster that reaches the operator without admission — stored while no webhook ran,
// as when the webhooks are not installed (upstream's own e2e test disables them) — gets upstream's
// phase and the validation message in its status, and nothing is created for it. The local API
// server always admits our kinds, so the object is edited in its store while it is stopped, then
// the runtime and the operator start on that store; a Warning Event on the Cluster says why. A
// valid Cluster asking for features that are not built is refused the same way, each field named.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { BatchV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { guardCluster } from '../../src/operator/cluster/admission-guard.ts';
import { unsupportedFeatures, unsupportedMessage } from '../../src/operator/cluster/unsupported.ts';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { KubeObjectApi } from '../../src/kube/patch.ts';
import { startApiServer } from '../../src/local/apiserver/server.ts';
import { applyObject, installCrds } from '../../src/local/apply.ts';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime.ts';
import { componentLogger } from '../../src/log/logger.ts';
import { type RunningController, startController } from '../../src/operator/controller.ts';
import { waitFor } from './support.ts';

const NAME = 'invalid-example';
const MESSAGE = 'spec.postgresql.parameters.port: Invalid value: "6000": Can\'t set fixed configuration parameter';
const quiet = () => componentLogger('test', {}, { level: 'error' });

/** After giving the operator time to (wrongly) create something: no object carries the cluster's label. */
async function assertNothingCreated(kc: KubeConfig, cluster: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
  const core = kc.makeApiClient(CoreV1Api);
  const sel = { namespace: 'default', labelSelector: `cnpg.io/cluster=${cluster}` };
  const counts = await Promise.all([
    core.listNamespacedPod(sel),
    core.listNamespacedPersistentVolumeClaim(sel),
    core.listNamespacedService(sel),
    core.listNamespacedSecret(sel),
    kc.makeApiClient(BatchV1Api).listNamespacedJob(sel),
  ]);
  assert.deepEqual(
    counts.map((l) => l.items.length),
    [0, 0, 0, 0, 0],
  );
}

describe('an invalid Cluster that bypassed admission', { timeout: 120_000 }, () => {
  let dir: string;
  let rt: LocalRuntime | undefined;
  let controller: RunningController | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpg-invalid-'));
    chmodSync(dir, 0o755);
    // 1. A valid Cluster, admitted and stored by the API server (no operator running).
    const api = await startApiServer({ dataDir: dir, port: 0, logger: quiet() });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      await installCrds(kc);
      await applyObject(kc, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: NAME, namespace: 'default' },
        spec: { instances: 1, storage: { size: '1Gi' } },
      } as never);
    } finally {
      await api.stop();
    }
    // 2. Made invalid behind the webhook's back: a fixed parameter the schema accepts.
    const db = new DatabaseSync(join(dir, 'apiserver', 'store.db'));
    try {
      const row = db
        .prepare("SELECT resource, body FROM objects WHERE name = ? AND resource LIKE '%clusters'")
        .get(NAME) as { resource: string; body: string } | undefined;
      assert.ok(row, 'the stored Cluster');
      const body = JSON.parse(row.body) as Cluster;
      body.spec.postgresql = { ...body.spec.postgresql, parameters: { port: '6000' } };
      db.prepare('UPDATE objects SET body = ? WHERE resource = ? AND name = ?').run(
        JSON.stringify(body),
        row.resource,
        NAME,
      );
    } finally {
      db.close();
    }
    // 3. The runtime and the operator on that store.
    rt = await startLocalRuntime({ dataDir: dir, port: 0, logger: (c) => componentLogger(c, {}, { level: 'error' }) });
    controller = await startController({ kubeConfig: rt.kubeConfig, pollMs: 300, logger: quiet() });
    await controller.ready;
  });

  after(
    async () => {
      try {
        await controller?.stop();
        await rt?.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { timeout: 120_000 },
  );

  it('is reported with upstream phase and message, and nothing is created', async () => {
    const kc = rt?.kubeConfig as KubeConfig;
    const objects = KubeObjectApi.forConfig(kc);
    const cluster = await waitFor('the invalid phase', async () => {
      const c = (await objects.read({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: NAME, namespace: 'default' },
      })) as unknown as Cluster;
      return c.status?.phase === 'Invalid cluster definition' ? c : undefined;
    });
    assert.equal(cluster.status?.phaseReason, MESSAGE);
    assert.equal((cluster.status?.conditions ?? []).find((c) => c.type === 'Ready')?.status, 'False');
    await assertNothingCreated(kc, NAME);
    const roles = await kc.makeApiClient(RbacAuthorizationV1Api).listNamespacedRole({ namespace: 'default' });
    assert.equal(roles.items.length, 0);
    // One Warning Event says why, recorded once however many passes looked at it.
    const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.kind=Cluster,involvedObject.name=${NAME}`,
    });
    assert.deepEqual(
      events.items.map((e) => [e.type, e.reason, e.message, e.count]),
      [['Warning', 'InvalidDefinition', MESSAGE, 1]],
    );
  });

  it('refuses a Cluster asking for unsupported features, naming each, and creates nothing', async () => {
    const kc = rt?.kubeConfig as KubeConfig;
    const name = 'unsupported-example';
    const asked = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name, namespace: 'default', annotations: { 'cnpg.io/hibernation': 'on' } },
      spec: {
        instances: 1,
        storage: { size: '1Gi', resizeInUseVolumes: false },
        postgresql: { extensions: [{ name: 'postgis', image: { reference: 'ghcr.io/example/postgis:3' } }] },
        backup: { volumeSnapshot: { className: 'csi' } },
        nodeMaintenanceWindow: { inProgress: false, reusePVC: false },
        plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true }],
      },
    } as Cluster;
    await applyObject(kc, asked as never);
    const fields = [
      'metadata.annotations[cnpg.io/hibernation]',
      'spec.postgresql.extensions',
      'spec.storage.resizeInUseVolumes',
      'spec.backup.volumeSnapshot',
      'spec.nodeMaintenanceWindow.reusePVC',
      'spec.plugins',
    ];
    assert.deepEqual(
      unsupportedFeatures(asked).map((f) => f.field),
      fields,
    );
    const objects = KubeObjectApi.forConfig(kc);
    const cluster = await waitFor('the unsupported phase', async () => {
      const c = (await objects.read({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name, namespace: 'default' },
      })) as unknown as Cluster;
      return c.status?.phase === 'Unable to create required cluster objects' ? c : undefined;
    });
    assert.equal(cluster.status?.phaseReason, unsupportedMessage(unsupportedFeatures(asked)));
    for (const field of fields) assert.ok(cluster.status?.phaseReason?.includes(`${field}: `), field);
    await assertNothingCreated(kc, name);
  });

  it('is rejected by the same guard as a unit', () => {
    const outcome = guardCluster({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: NAME, namespace: 'default' },
      spec: { instances: 1, storage: { size: '1Gi' }, postgresql: { parameters: { port: '6000' } } },
    } as Cluster);
    assert.deepEqual(outcome, { valid: false, messages: [MESSAGE] });
    const valid = guardCluster({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: NAME, namespace: 'default' },
      spec: { instances: 1, storage: { size: '1Gi' } },
    } as Cluster);
    assert.equal(valid.valid, true);
  });
});
