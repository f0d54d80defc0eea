// cnpg.io/podPatch, status.topology and monitoring.enablePodMonitor on the local runtime, the operator
// running as its ServiceAccount with the generated ClusterRole (so Nodes and PodMonitors are read
// and written through RBAC): the patch lands on the instance pod and a changed patch rolls it out;
// the topology names the runtime's Node and the exporter reports cnpg_collector_nodes_used; the
// PodMonitor is reported missing until its CRD is installed, then created, updated and deleted; a
// patch that does not apply to the real pod is refused by name; pod failure-domain labels steer
// synchronous_standby_names and the SyncReplicationTopologySatisfied condition.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { applyObject } from '../../src/local/apply.ts';
import { type SecurityEnv, startSecurityEnv } from '../security/support.ts';
import { appUser, HEALTHY, patchCluster, podIP, readCluster, waitFor, waitForPhase } from './support.ts';

const NS = 'default';
const ZONE = 'topology.kubernetes.io/zone';

/** A minimal PodMonitor CRD, as the Prometheus Operator installs it (schema kept open). */
const POD_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'podmonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { kind: 'PodMonitor', listKind: 'PodMonitorList', plural: 'podmonitors', singular: 'podmonitor' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

const addEnv = (value: string) =>
  JSON.stringify([
    { op: 'add', path: '/spec/containers/0/env/-', value: { name: 'PATCHED', value } },
    { op: 'add', path: '/metadata/labels/patched', value: 'yes' },
  ]);

const condition = (c: Cluster, type: string) =>
  (c.status?.conditions ?? []).find((x) => x.type === type) as
    | { status: string; reason: string; message: string }
    | undefined;

function kubectl(env: SecurityEnv, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', env.runtime.rt.apiServer.kubeconfigPath, ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`kubectl: ${stderr || err.message}`)) : resolve(stdout)),
    );
    child.stdin?.end(stdin ?? '');
  });
}

describe('podPatch, topology and PodMonitor', { timeout: 600_000 }, () => {
  let env: SecurityEnv;
  const pod = (name: string) => env.core.readNamespacedPod({ name, namespace: NS });
  const envOf = (p: V1Pod, name: string) => p.spec?.containers[0]?.env?.find((e) => e.name === name)?.value;
  const podMonitor = (name: string) =>
    env.objects
      .read({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name, namespace: NS } })
      .catch(() => undefined) as Promise<
      { metadata: { ownerReferences?: { kind: string; name: string }[] }; spec: Record<string, unknown> } | undefined
    >;

  before(async () => {
    env = await startSecurityEnv();
  });
  after(
    async () => {
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  const NAME = 'patched';
  it('applies the podPatch to the instance pod, writes the topology, and reports a PodMonitor CRD that is missing', async () => {
    await applyObject(env.kc, {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: NAME, namespace: NS, annotations: { 'cnpg.io/podPatch': addEnv('one') } },
      spec: {
        instances: 1,
        storage: { size: '1Gi' },
        monitoring: { enablePodMonitor: true },
        // Node labels in the topology: the Node the local runtime registered is read.
        postgresql: {
          syncReplicaElectionConstraint: { enabled: true, nodeLabelsAntiAffinity: ['kubernetes.io/hostname'] },
        },
      },
    } as never);
    const cluster = await waitForPhase(env, NS, NAME, HEALTHY, 180_000, (c) => c.status?.readyInstances === 1);
    const p = await pod(`${NAME}-1`);
    assert.equal(envOf(p, 'PATCHED'), 'one');
    assert.equal(p.metadata?.labels?.patched, 'yes');
    // The podSpec snapshot is taken after the patch (a changed patch is a changed spec).
    const snapshot = JSON.parse(p.metadata?.annotations?.['cnpg.io/podSpec'] ?? '{}') as V1Pod['spec'];
    assert.ok(snapshot?.containers[0]?.env?.some((e) => e.name === 'PATCHED' && e.value === 'one'));

    const node = p.spec?.nodeName ?? '';
    assert.notEqual(node, '');
    const nodeObject = await env.core.readNode({ name: node });
    assert.deepEqual(cluster.status?.topology, {
      instances: {
        [`${NAME}-1`]: { 'kubernetes.io/hostname': nodeObject.metadata?.labels?.['kubernetes.io/hostname'] },
      },
      nodesUsed: 1,
      successfullyExtracted: true,
    });

    // The exporter reports what the operator wrote.
    const ip = await podIP(env, NS, `${NAME}-1`);
    await waitFor(
      'cnpg_collector_nodes_used 1',
      async () => {
        const res = await fetch(`http://${ip}:9187/metrics`, { signal: AbortSignal.timeout(10_000) }).catch(
          () => undefined,
        );
        const text = res?.ok ? await res.text() : '';
        return /^cnpg_collector_nodes_used 1$/m.test(text) || undefined;
      },
      60_000,
    );

    // No PodMonitor CRD: the cluster stays healthy, and says why there is no PodMonitor.
    const missing = await waitForPhase(
      env,
      NS,
      NAME,
      HEALTHY,
      30_000,
      (c) => condition(c, 'PodMonitorCreated') !== undefined,
    );
    const reported = condition(missing, 'PodMonitorCreated');
    assert.equal(reported?.status, 'False');
    assert.equal(reported?.reason, 'PodMonitorCRDNotServed');
    assert.match(
      reported?.message ?? '',
      /spec\.monitoring\.enablePodMonitor is true, but the API server does not serve podmonitors\.monitoring\.coreos\.com/,
    );
  });

  it('rolls the pod out when the patch changes', async () => {
    const before = await pod(`${NAME}-1`);
    await patchCluster(env, NS, NAME, {
      metadata: { name: NAME, namespace: NS, annotations: { 'cnpg.io/podPatch': addEnv('two') } },
    });
    const after = await waitFor(
      'the pod recreated with the new patch',
      async () => {
        const p = await pod(`${NAME}-1`).catch(() => undefined);
        return p !== undefined && p.metadata?.uid !== before.metadata?.uid && envOf(p, 'PATCHED') === 'two'
          ? p
          : undefined;
      },
      180_000,
    );
    assert.equal(after.metadata?.labels?.patched, 'yes');
    await waitForPhase(env, NS, NAME, HEALTHY, 180_000, (c) => c.status?.readyInstances === 1);
  });

  it('creates, updates and deletes the PodMonitor once its CRD is served', async () => {
    // As a user installs it (kubectl keeps the schema's x-kubernetes-* keys as written).
    await kubectl(env, ['apply', '-f', '-'], JSON.stringify(POD_MONITOR_CRD));
    const created = await waitFor('the PodMonitor', () => podMonitor(NAME), 60_000);
    assert.deepEqual(
      created.metadata.ownerReferences?.map((r) => [r.kind, r.name]),
      [['Cluster', NAME]],
    );
    assert.deepEqual(created.spec, {
      selector: { matchLabels: { 'cnpg.io/cluster': NAME, 'cnpg.io/podRole': 'instance' } },
      podMetricsEndpoints: [{ port: 'metrics' }],
    });
    await waitFor(
      'PodMonitorCreated=True',
      async () => condition(await readCluster(env, NS, NAME), 'PodMonitorCreated')?.status === 'True' || undefined,
      30_000,
    );
    // kubectl sees it as any PodMonitor.
    assert.match(
      await kubectl(env, ['get', 'podmonitors', '-n', NS, '-o', 'name']),
      new RegExp(`podmonitor.monitoring.coreos.com/${NAME}`),
    );

    const relabel = [{ action: 'replace', targetLabel: 'team', replacement: 'db' }];
    await patchCluster(env, NS, NAME, { spec: { monitoring: { podMonitorRelabelings: relabel } } });
    await waitFor(
      'the PodMonitor updated with the relabelings',
      async () => {
        const pm = await podMonitor(NAME);
        const endpoints = pm?.spec.podMetricsEndpoints as { relabelings?: unknown }[] | undefined;
        return JSON.stringify(endpoints?.[0]?.relabelings) === JSON.stringify(relabel) || undefined;
      },
      30_000,
    );

    await patchCluster(env, NS, NAME, { spec: { monitoring: { enablePodMonitor: false } } });
    await waitFor(
      'the PodMonitor deleted',
      async () => ((await podMonitor(NAME)) === undefined ? true : undefined),
      30_000,
    );
    await waitFor(
      'the PodMonitorCreated condition removed',
      async () => condition(await readCluster(env, NS, NAME), 'PodMonitorCreated') === undefined || undefined,
      30_000,
    );
  });

  it('refuses a podPatch that does not apply to the real pod, naming it, and creates nothing', async () => {
    const bad = 'bad-patch';
    // Admitted (the webhook's stand-in pod has a nodeSelector), refused by the operator as upstream's
    // webhook refuses it: the instance pod has none.
    await applyObject(env.kc, {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: {
        name: bad,
        namespace: NS,
        annotations: { 'cnpg.io/podPatch': '[{"op":"add","path":"/spec/nodeSelector/zone","value":"a"}]' },
      },
      spec: { instances: 1, storage: { size: '1Gi' } },
    } as never);
    const refused = await waitForPhase(env, NS, bad, 'Invalid cluster definition', 60_000);
    assert.match(
      refused.status?.phaseReason ?? '',
      /^metadata\.annotations\.cnpg\.io\/podPatch: Invalid value: ".*": jsonpatch doesn't apply cleanly to the pod: add operation does not apply: doc is missing path: \/spec\/nodeSelector\/zone/,
    );
    const pvcs = await env.core.listNamespacedPersistentVolumeClaim({
      namespace: NS,
      labelSelector: `cnpg.io/cluster=${bad}`,
    });
    assert.equal(pvcs.items.length, 0);
  });

  it('follows pod failure-domain labels: synchronous standbys in another zone, and the condition', async () => {
    const zoned = 'zoned';
    await applyObject(env.kc, {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: {
        name: zoned,
        namespace: NS,
        // Every pod starts in zone a.
        annotations: {
          'cnpg.io/podPatch': JSON.stringify([
            { op: 'add', path: `/metadata/labels/${ZONE.replace('/', '~1')}`, value: 'a' },
          ]),
        },
      },
      spec: {
        instances: 3,
        storage: { size: '1Gi' },
        postgresql: {
          synchronous: { method: 'any', number: 1, dataDurability: 'required', podFailureDomainKeys: [ZONE] },
        },
      },
    } as never);
    await waitForPhase(env, NS, zoned, HEALTHY, 300_000, (c) => c.status?.readyInstances === 3);
    const insufficient = await waitFor(
      'SyncReplicationTopologySatisfied=False',
      async () => {
        const c = condition(await readCluster(env, NS, zoned), 'SyncReplicationTopologySatisfied');
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
    );
    assert.equal(insufficient.reason, 'InsufficientCrossDomainReplicas');

    const cluster = await readCluster(env, NS, zoned);
    const primary = cluster.status?.currentPrimary ?? '';
    const standbys = (cluster.status?.instanceNames ?? []).filter((n) => n !== primary).sort();
    const [sameZone, otherZone] = standbys;
    assert.ok(sameZone && otherZone);
    await kubectl(env, ['label', 'pod', otherZone, '-n', NS, `${ZONE}=b`, '--overwrite']);

    const satisfied = await waitFor(
      'SyncReplicationTopologySatisfied=True',
      async () => {
        const c = await readCluster(env, NS, zoned);
        return condition(c, 'SyncReplicationTopologySatisfied')?.status === 'True' ? c : undefined;
      },
      60_000,
    );
    assert.equal(satisfied.status?.topology?.instances?.[otherZone]?.[ZONE], 'b');
    assert.equal(satisfied.status?.topology?.instances?.[sameZone]?.[ZONE], 'a');
    const app = await appUser(env, NS, zoned);
    const ip = await podIP(env, NS, primary);
    let seen = '';
    await waitFor(
      'synchronous_standby_names naming only the standby in the other zone',
      async () => {
        seen = await app.sql(ip, 'SHOW synchronous_standby_names').catch(() => '');
        return seen === `ANY 1 ("${otherZone}")` || undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last seen: ${seen})`);
    });
  });
});
