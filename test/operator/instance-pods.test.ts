// The operator's instance pod and bootstrap Jobs, run by the local runtime with nothing faked and
// no operator: a Cluster and the objects the reconciler would create (ServiceAccount, Role,
// secrets and certificates, PVCs, services) are created by hand from the spec builders; the initdb
// Job bootstraps the primary, whose pod becomes Ready and serves psql through the `-rw` Service; a join Job
// clones a replica that streams, with the HA slot the primary's manager created from the
// status.instanceNames it watched.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CoordinationV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { createLeaf, createRootCA } from '../../src/certs/key-pair.ts';
import { installCrds } from '../../src/local/apply.ts';
import { InstanceClient } from '../../src/operator/cluster/instance-client.ts';
import { buildCASecret, buildTLSSecret, clusterAltDNSNames } from '../../src/operator/specs/certificates.ts';
import { bootstrapJob } from '../../src/operator/specs/jobs.ts';
import { instancePod } from '../../src/operator/specs/pods.ts';
import { buildInstancePvcs } from '../../src/operator/specs/pvcs.ts';
import { buildPrimaryLease, buildRole, buildRoleBinding, buildServiceAccount } from '../../src/operator/specs/rbac.ts';
import { buildApplicationSecret } from '../../src/operator/specs/secrets.ts';
import { buildDefaultServices } from '../../src/operator/specs/services.ts';
import { isReady, startTestRuntime, type TestRuntime, waitFor } from '../local/node-harness.ts';

const NS = 'default';
const NAME = 'pods-e2e';
const opts = { operatorVersion: '1.30.0' };
const PASSWORD = 'app-password-e2e';

interface PgStatus {
  isPrimary: boolean;
  isWalReceiverActive?: boolean;
  replicationInfo?: { applicationName: string; state: string }[];
  replicationSlotsInfo?: { slotName: string; active: boolean }[];
}

describe('instance pods and bootstrap jobs on the local runtime', { timeout: 150_000 }, () => {
  let t: TestRuntime;
  let custom: CustomObjectsApi;
  let cluster: Cluster;
  let rwIP = '';
  let roIP = '';

  before(async () => {
    t = await startTestRuntime();
    custom = t.rt.kubeConfig.makeApiClient(CustomObjectsApi);
    await installCrds(t.rt.kubeConfig);
  });
  after(async () => {
    await t?.stop();
  });

  const job = async (name: string) => t.batch.readNamespacedJob({ name, namespace: NS });
  const readyPod = (name: string) =>
    waitFor(
      `pod ${name} Ready`,
      async () => {
        const p = await t.core.readNamespacedPod({ name, namespace: NS });
        return isReady(p) ? p : undefined;
      },
      40_000,
    );
  const jobComplete = (name: string) =>
    waitFor(
      `job ${name} Complete`,
      async () => {
        const j = await job(name);
        const failed = j.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
        if (failed) throw new Error(`job ${name} failed: ${failed.message}`);
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
      },
      40_000,
    );
  // Asynchronous: the service proxy runs in this process and must keep forwarding meanwhile.
  const psql = async (host: string, sql: string) => {
    const { stdout } = await promisify(execFile)(
      'psql',
      ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql, `host=${host} port=5432 user=app dbname=app connect_timeout=5`],
      { encoding: 'utf8', env: { PATH: process.env.PATH, PGPASSWORD: PASSWORD }, timeout: 20_000 },
    );
    return stdout.trim();
  };
  // The instances serve HTTPS with certificates of the cluster's CA (made below, as the reconciler would).
  let instances: InstanceClient;
  const pgStatus = async (pod: V1Pod): Promise<PgStatus> =>
    (await instances.status(pod.status?.podIP ?? '')) as PgStatus;

  it('creates the cluster objects the reconciler would create', async () => {
    await custom.createNamespacedCustomObject({
      group: 'postgresql.cnpg.io',
      version: 'v1',
      namespace: NS,
      plural: 'clusters',
      body: {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: NAME },
        spec: {
          instances: 2,
          storage: { size: '1Gi' },
          stopDelay: 30,
          smartShutdownTimeout: 5,
          // Probe every second so the pods become Ready promptly (upstream's period is 10 s).
          probes: { startup: { periodSeconds: 1 }, readiness: { periodSeconds: 1 } },
        },
      },
    });
    cluster = (await custom.getNamespacedCustomObject({
      group: 'postgresql.cnpg.io',
      version: 'v1',
      namespace: NS,
      plural: 'clusters',
      name: NAME,
    })) as Cluster;
    const sa = buildServiceAccount(cluster, opts);
    assert.ok(sa);
    await t.core.createNamespacedServiceAccount({ namespace: NS, body: sa });
    const rbac = t.rt.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: NS, body: buildRole(cluster, opts) });
    await rbac.createNamespacedRoleBinding({ namespace: NS, body: buildRoleBinding(cluster, opts) });
    // The primary Lease an instance must hold to run as primary.
    await t.rt.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .createNamespacedLease({ namespace: NS, body: buildPrimaryLease(cluster, opts) });
    const secret = buildApplicationSecret(cluster, { ...opts, password: PASSWORD });
    assert.ok(secret);
    await t.core.createNamespacedSecret({ namespace: NS, body: secret });
    const ca = await createRootCA(NAME, NS);
    const server = await createLeaf(ca, {
      commonName: `${NAME}-rw`,
      usage: 'server',
      altNames: clusterAltDNSNames(cluster),
    });
    const replication = await createLeaf(ca, { commonName: 'streaming_replica', usage: 'client' });
    for (const body of [
      buildCASecret(cluster, `${NAME}-ca`, ca, opts),
      buildTLSSecret(cluster, `${NAME}-server`, server, opts),
      buildTLSSecret(cluster, `${NAME}-replication`, replication, opts),
    ]) {
      await t.core.createNamespacedSecret({ namespace: NS, body });
    }
    instances = new InstanceClient({ statusTimeoutMs: 5_000 }).withServerCA(ca.certPem);
    for (const { service, enabled } of buildDefaultServices(cluster, opts)) {
      if (!enabled) continue;
      const created = await t.core.createNamespacedService({ namespace: NS, body: service });
      if (service.metadata.name === `${NAME}-rw`) rwIP = created.spec?.clusterIP ?? '';
      if (service.metadata.name === `${NAME}-ro`) roIP = created.spec?.clusterIP ?? '';
    }
    assert.match(rwIP, /^127\./);
    assert.match(roIP, /^127\./);
  });

  it('bootstraps the primary with the initdb Job; its pod becomes Ready and serves the -rw Service', async () => {
    for (const pvc of buildInstancePvcs(cluster, 1, opts)) {
      await t.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: pvc });
    }
    await t.batch.createNamespacedJob({ namespace: NS, body: bootstrapJob(cluster, 1, 'initdb', {}) });
    await jobComplete(`${NAME}-1-initdb`);
    await t.core.createNamespacedPod({
      namespace: NS,
      body: instancePod(cluster, 1, { role: 'primary', primaryHost: rwIP }),
    });
    const pod = await readyPod(`${NAME}-1`);
    assert.equal((await pgStatus(pod)).isPrimary, true);
    await psql(rwIP, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before join')");
    assert.equal(await psql(rwIP, 'SELECT v FROM t'), 'before join');
  });

  it('joins a replica through the join Job; it streams through the HA slot the primary made', async () => {
    // What the reconciler records before adding an instance: the primary's manager watches it.
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: 'postgresql.cnpg.io',
        version: 'v1',
        namespace: NS,
        plural: 'clusters',
        name: NAME,
        body: { status: { instanceNames: [`${NAME}-1`, `${NAME}-2`] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const primary = await t.core.readNamespacedPod({ name: `${NAME}-1`, namespace: NS });
    const slot = `_cnpg_${NAME.replaceAll('-', '_')}_2`;
    await waitFor(
      'the HA slot of instance 2 on the primary',
      async () => (await pgStatus(primary)).replicationSlotsInfo?.some((s) => s.slotName === slot),
      15_000,
    );
    for (const pvc of buildInstancePvcs(cluster, 2, opts)) {
      await t.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: pvc });
    }
    await t.batch.createNamespacedJob({
      namespace: NS,
      body: bootstrapJob(cluster, 2, 'join', { primaryInstance: `${NAME}-1`, primaryHost: rwIP }),
    });
    await jobComplete(`${NAME}-2-join`);
    await t.core.createNamespacedPod({
      namespace: NS,
      body: instancePod(cluster, 2, { role: 'replica', primaryHost: rwIP }),
    });
    const replica = await readyPod(`${NAME}-2`);
    await waitFor('the replica streaming', async () => (await pgStatus(replica)).isWalReceiverActive === true);
    await psql(rwIP, "INSERT INTO t VALUES ('after join')");
    await waitFor(
      'the new row on the replica, through -ro',
      async () => (await psql(roIP, "SELECT string_agg(v, ',' ORDER BY v) FROM t")) === 'after join,before join',
    );
    const info = (await pgStatus(primary)).replicationInfo ?? [];
    assert.deepEqual(
      info.map((r) => [r.applicationName, r.state]),
      [[`${NAME}-2`, 'streaming']],
    );
    assert.ok((await pgStatus(primary)).replicationSlotsInfo?.some((s) => s.slotName === slot && s.active));
  });
});
