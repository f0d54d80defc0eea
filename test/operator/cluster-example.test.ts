// cluster-example (3 instances, quorum sync) on the local runtime with the operator in-process:
// healthy; a row written through -rw is read through -ro; the app secret's credentials connect;
// `cnpg status`; then day two: a reload and a restart parameter reach every instance, scale
// 3 -> 5 -> 2 (through the scale subresource and spec.instances), a deleted replica pod comes back on
// its PVC, and deleting the Cluster leaves no pod, PVC directory or object behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  applyAll,
  HEALTHY,
  type OperatorEnv,
  patchCluster,
  podIP,
  psql,
  readCluster,
  sampleObjects,
  secretData,
  serviceIP,
  startOperatorEnv,
  waitFor,
  waitForPhase,
} from './support.ts';

const NS = 'default';
const NAME = 'cluster-example';
const CNPG = join(import.meta.dirname, '../../bin/cnpg');

describe('cluster-example', { timeout: 300_000 }, () => {
  let env: OperatorEnv;
  let app: { user: string; password: string; db: string };
  const conn = (host: string) => `host=${host} port=5432 user=${app.user} dbname=${app.db}`;
  const sql = (host: string, text: string) => psql(conn(host), text, app.password);
  const healthyWith = (n: number) =>
    waitForPhase(env, NS, NAME, HEALTHY, 120_000, (c) => c.status?.instances === n && c.status.readyInstances === n);

  before(async () => {
    env = await startOperatorEnv();
  });
  after(
    async () => {
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  it('reaches a healthy state with a primary and two streaming replicas', async () => {
    await applyAll(env, sampleObjects('cluster-example.yaml', NS));
    const c = await healthyWith(3);
    assert.equal(c.status?.currentPrimary, `${NAME}-1`);
    assert.equal(c.status?.targetPrimary, `${NAME}-1`);
    assert.deepEqual(c.status?.instanceNames, [`${NAME}-1`, `${NAME}-2`, `${NAME}-3`]);
    assert.equal(c.status?.writeService, `${NAME}-rw`);
    assert.equal(c.status?.readService, `${NAME}-r`);
    assert.equal(c.status?.timelineID, 1);
    const ready = (c.status?.conditions ?? []).find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'True');
    const pods = await env.core.listNamespacedPod({ namespace: NS, labelSelector: 'cnpg.io/instanceRole=primary' });
    assert.deepEqual(
      pods.items.map((p) => p.metadata?.name),
      [`${NAME}-1`],
    );
  });

  it('serves writes on -rw and reads on -ro with the app secret credentials', async () => {
    const secret = await secretData(env, NS, `${NAME}-app`);
    const uri = new URL(secret.uri ?? '');
    // The URI names `<cluster>-rw.<ns>`, which needs cluster DNS.
    assert.equal(uri.hostname, `${NAME}-rw.${NS}`);
    app = {
      user: decodeURIComponent(uri.username),
      password: decodeURIComponent(uri.password),
      db: uri.pathname.slice(1),
    };
    const rw = await serviceIP(env, NS, `${NAME}-rw`);
    const ro = await serviceIP(env, NS, `${NAME}-ro`);
    // The URI itself connects once its host name maps to the service (libpq's PGHOSTADDR stands
    // in for cluster DNS; the host name still names the server, as TLS verification wants).
    const viaUri = await new Promise<string>((resolve, reject) =>
      execFile(
        'psql',
        ['-X', '-A', '-t', '-d', secret.uri ?? '', '-c', 'SELECT current_user || current_database()'],
        { env: { ...process.env, PGHOSTADDR: rw, PGCONNECT_TIMEOUT: '5' } },
        (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout.trim())),
      ),
    );
    assert.equal(viaUri, `${app.user}${app.db}`);
    await sql(rw, "CREATE TABLE t (v text); INSERT INTO t VALUES ('hello')");
    assert.equal(await sql(rw, 'SELECT pg_is_in_recovery()'), 'f');
    const seen = await waitFor('the row on -ro', async () =>
      (await sql(ro, 'SELECT v FROM t').catch(() => '')) === 'hello' ? true : undefined,
    );
    assert.equal(seen, true);
    assert.equal(await sql(ro, 'SELECT pg_is_in_recovery()'), 't');
  });

  it('shows the cluster with cnpg status', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        CNPG,
        ['status', NAME, '-n', NS, '--kubeconfig', env.runtime.rt.apiServer.kubeconfigPath],
        (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
      ),
    );
    assert.match(out, /Status:\s+Cluster in healthy state/);
    assert.match(out, new RegExp(`Primary instance:\\s+${NAME}-1`));
    assert.match(out, new RegExp(`${NAME}-1\\s+\\S+\\s+Primary\\s+OK\\s+1`));
    assert.match(out, new RegExp(`${NAME}-2\\s+\\S+\\s+Standby \\(\\w+\\)\\s+OK`));
    assert.match(out, /Read-write\s+cluster-example-rw\s+127\./);
  });

  it('applies a reload parameter and a restart parameter on every instance', async () => {
    await patchCluster(env, NS, NAME, {
      spec: { postgresql: { parameters: { work_mem: '8MB', max_connections: '150' } } },
    });
    for (const i of [1, 2, 3]) {
      const ip = await podIP(env, NS, `${NAME}-${i}`);
      await waitFor(
        `the parameters on ${NAME}-${i}`,
        async () =>
          (await sql(ip, "SELECT current_setting('work_mem') || ' ' || current_setting('max_connections')").catch(
            () => '',
          )) === '8MB 150' || undefined,
        90_000,
      );
    }
    await healthyWith(3);
  });

  it('scales 3 -> 5 through the scale subresource, then 5 -> 2 through spec.instances', async () => {
    const custom = env.kc.makeApiClient(CustomObjectsApi);
    await custom.patchNamespacedCustomObjectScale(
      {
        group: 'postgresql.cnpg.io',
        version: 'v1',
        namespace: NS,
        plural: 'clusters',
        name: NAME,
        body: { spec: { replicas: 5 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    let c = await healthyWith(5);
    assert.deepEqual(
      c.status?.instanceNames,
      [1, 2, 3, 4, 5].map((i) => `${NAME}-${i}`),
    );
    const ip5 = await podIP(env, NS, `${NAME}-5`);
    await waitFor(
      'the row on the new replica',
      async () => (await sql(ip5, 'SELECT v FROM t').catch(() => '')) === 'hello' || undefined,
    );
    await patchCluster(env, NS, NAME, { spec: { instances: 2 } });
    c = await healthyWith(2);
    assert.deepEqual(c.status?.instanceNames, [`${NAME}-1`, `${NAME}-2`]);
    assert.equal(c.status?.currentPrimary, `${NAME}-1`);
    // A removed instance's claims go once its pod has stopped (pvc-protection).
    await waitFor('the removed instances claims to go', async () => {
      const pvcs = await env.core.listNamespacedPersistentVolumeClaim({
        namespace: NS,
        labelSelector: `cnpg.io/cluster=${NAME}`,
      });
      const names = pvcs.items.map((p) => p.metadata?.name).sort();
      return names.join() === `${NAME}-1,${NAME}-2` || undefined;
    });
    await waitFor(
      'the removed instances volume directories to go',
      async () => !existsSync(join(env.runtime.dir, 'volumes', NS, `${NAME}-5`)) || undefined,
    );
  });

  it('grows every PVC when storage.size grows', async () => {
    await patchCluster(env, NS, NAME, { spec: { storage: { size: '2Gi' } } });
    await waitFor('the PVCs to ask for 2Gi', async () => {
      const pvcs = await env.core.listNamespacedPersistentVolumeClaim({
        namespace: NS,
        labelSelector: `cnpg.io/cluster=${NAME}`,
      });
      const grown = pvcs.items.filter(
        (p) => p.spec?.resources?.requests?.storage === '2Gi' && p.status?.capacity?.storage === '2Gi',
      );
      return (pvcs.items.length === 2 && grown.length === 2) || undefined;
    });
    await healthyWith(2);
  });

  it('brings a deleted replica pod back on its own PVC', async () => {
    const before = await env.core.readNamespacedPod({ name: `${NAME}-2`, namespace: NS });
    await env.core.deleteNamespacedPod({ name: `${NAME}-2`, namespace: NS });
    const after = await waitFor(
      'the replica pod to come back',
      async () => {
        const p = await env.core.readNamespacedPod({ name: `${NAME}-2`, namespace: NS }).catch(() => undefined);
        return p !== undefined && p.metadata?.uid !== before.metadata?.uid ? p : undefined;
      },
      60_000,
    );
    assert.equal(after.spec?.volumes?.find((v) => v.name === 'pgdata')?.persistentVolumeClaim?.claimName, `${NAME}-2`);
    await healthyWith(2);
    const rw = await serviceIP(env, NS, `${NAME}-rw`);
    await sql(rw, "INSERT INTO t VALUES ('after')");
    const ip = await podIP(env, NS, `${NAME}-2`);
    await waitFor(
      'the replica to stream again',
      async () => (await sql(ip, "SELECT count(*) FROM t WHERE v = 'after'").catch(() => '')) === '1' || undefined,
    );
  });

  it('deletes everything the Cluster owned when it is deleted', async () => {
    await env.objects.delete({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: NAME, namespace: NS },
    });
    await waitFor(
      'every owned object to be gone',
      async () => {
        const sel = { namespace: NS, labelSelector: `cnpg.io/cluster=${NAME}` };
        const [pods, pvcs, svcs, secrets] = await Promise.all([
          env.core.listNamespacedPod(sel),
          env.core.listNamespacedPersistentVolumeClaim(sel),
          env.core.listNamespacedService(sel),
          env.core.listNamespacedSecret(sel),
        ]);
        return pods.items.length + pvcs.items.length + svcs.items.length + secrets.items.length === 0 || undefined;
      },
      90_000,
    );
    await assert.rejects(readCluster(env, NS, NAME));
    const leftover = (sub: string) => {
      const dir = join(env.runtime.dir, sub, NS);
      return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(NAME)) : [];
    };
    let left: string[] = [];
    await waitFor(
      'pod and volume directories to be removed',
      async () => {
        left = [...leftover('pods'), ...leftover('volumes')];
        return left.length === 0 || undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (left: ${left.join(', ')})`);
    });
  });
});
