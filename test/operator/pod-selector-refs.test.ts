// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pg_hba rules hold literal ${podselector:NAME}
// podSelectorRefs end to end (issue 13), with upstream's sample cluster-example-pod-selector-refs.yaml
// as it is (three instances): the operator resolves `app: myapp` to the app pod's address in
// status.podSelectorRefs, every instance expands `${podselector:app-pods}` in pg_hba into a /32
// rule and reloads, and a client whose connection leaves from that pod's address (each local pod
// has its own loopback address) authenticates over TLS. The rule follows the pod when it is
// recreated with another address, woken by the pod's events (no timer looks at a healthy Cluster
// during the suite).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import pg from 'pg';
import type { Cluster, PodSelectorRefStatus } from '../../src/api/v1/cluster-types.ts';
import { KubeObjectApi } from '../../src/kube/patch.ts';
import { applyObject, installCrds } from '../../src/local/apply.ts';
import { hostPath, podRootAlias, podRootDir } from '../../src/local/node/volumes.ts';
import { componentLogger } from '../../src/log/logger.ts';
import { type RunningController, startController } from '../../src/operator/controller.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';
import { startTestApiServer, type TestApiServer } from '../kube/support.ts';
import { shellPod } from '../local/node-harness.ts';
import {
  applyAll,
  ensureNamespace,
  HEALTHY,
  type OperatorEnv,
  patchCluster,
  podIP,
  readCluster,
  sampleObjects,
  secretData,
  startOperatorEnv,
  waitFor,
  waitForPhase,
} from './support.ts';

const SAMPLE = 'cluster-example-pod-selector-refs.yaml';
// The sample's own name and namespace: its pods' socket paths under a temporary data directory
// would pass the 107-byte limit but for the pods' short roots (podRootAlias).
const NS = 'default';
const NAME = 'cluster-example-pod-selector-refs';
const PASSWORD = 'my-secret-password';
const PSQL = '/usr/bin/psql';
const APP_LABELS = { app: 'myapp' };

/** SQL as the postgres superuser over an instance's Unix socket, as the pod's own user (peer). */
function superuserSql(env: OperatorEnv, instance: string, sql: string, db = 'postgres'): Promise<string> {
  const user = podProcessUser();
  const socketDir = hostPath(podRootAlias(podRootDir(env.runtime.dir, NS, instance)), '/controller/run');
  return new Promise((resolve, reject) =>
    execFile(
      PSQL,
      ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-U', 'postgres', '-d', db, '-c', sql],
      user === undefined ? {} : { uid: user.uid, gid: user.gid },
      (err, stdout, stderr) =>
        err ? reject(new Error(`psql on ${instance}: ${stderr.trim() || err.message}`)) : resolve(stdout.trim()),
    ),
  );
}

/** The addresses pg_hba.conf (as on disk) gives myuser for mydb over TLS, on one instance. */
function myuserRules(env: OperatorEnv, instance: string): Promise<string> {
  return superuserSql(
    env,
    instance,
    "SELECT coalesce(string_agg(address || '/' || netmask, ',' ORDER BY line_number), '') " +
      "FROM pg_catalog.pg_hba_file_rules WHERE type = 'hostssl' AND 'myuser' = ANY(user_name)",
  );
}

/** A TCP socket for pg that leaves from `localAddress`, as a connection made inside that pod does. */
function socketFrom(localAddress: string): () => Socket {
  return () => {
    const socket = new Socket();
    const connect = socket.connect.bind(socket);
    // pg dials with connect(port, host).
    Object.assign(socket, { connect: (port: number, host: string) => connect({ port, host, localAddress }) });
    return socket;
  };
}

/**
 * Connects as myuser to mydb on `host` from `source`, with TLS verified against the cluster's CA;
 * resolves with what the server saw (client address, TLS) or rejects with its error.
 */
async function connectFrom(ca: string, source: string, host: string): Promise<string> {
  const client = new pg.Client({
    host,
    port: 5432,
    user: 'myuser',
    password: PASSWORD,
    database: 'mydb',
    ssl: { ca, servername: `${NAME}-rw` },
    stream: socketFrom(source),
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ seen: string }>(
      "SELECT host(inet_client_addr()) || ' ' || current_user || ' ssl=' || ssl AS seen " +
        'FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()',
    );
    return rows[0]?.seen ?? '';
  } finally {
    await client.end().catch(() => {});
  }
}

describe('podSelectorRefs: pg_hba follows the pods a selector picks', { timeout: 600_000 }, () => {
  let env: OperatorEnv;
  let ca: string;
  let instances: string[];
  let primary: string;
  const instanceIPs = () => Promise.all(instances.map((i) => podIP(env, NS, i)));

  const statusRefs = async (): Promise<PodSelectorRefStatus[] | undefined> =>
    (await readCluster(env, NS, NAME)).status?.podSelectorRefs;

  const waitForRefs = (what: string, expected: PodSelectorRefStatus[]) =>
    waitFor(
      `status.podSelectorRefs ${what}`,
      async () => {
        const refs = await statusRefs();
        return JSON.stringify(refs) === JSON.stringify(expected) ? refs : undefined;
      },
      60_000,
    );

  /** Waits until every instance's pg_hba.conf gives myuser exactly these addresses. */
  const waitForRules = (expected: string) =>
    Promise.all(
      instances.map((i) =>
        waitFor(
          `pg_hba.conf of ${i} to allow myuser from "${expected}"`,
          async () => (await myuserRules(env, i)) === expected,
          60_000,
        ),
      ),
    );

  const runAppPod = async (name: string, labels: Record<string, string>): Promise<string> => {
    const body: V1Pod = shellPod(name, 'exec sleep 3600', {}, labels);
    await env.core.createNamespacedPod({ namespace: NS, body });
    return waitFor(`pod ${name} to run with an address`, async () => {
      const pod = await env.core.readNamespacedPod({ name, namespace: NS });
      return pod.status?.phase === 'Running' && pod.status.podIP ? pod.status.podIP : undefined;
    });
  };

  before(async () => {
    // A healthy Cluster is not looked at again on a timer during the suite: only the events of
    // the pods its selectors pick can bring its status up to date.
    env = await startOperatorEnv({ healthyResyncMs: 3_600_000 });
    await ensureNamespace(env, NS);
    await applyAll(env, sampleObjects(SAMPLE, NS));
    const cluster: Cluster = await waitForPhase(env, NS, NAME, HEALTHY, 360_000, (c) => c.status?.readyInstances === 3);
    instances = cluster.status?.instanceNames ?? [];
    primary = cluster.status?.currentPrimary ?? '';
    ca = (await secretData(env, NS, `${NAME}-ca`))['ca.crt'] ?? '';
    // What the sample's rule is for: an application user and its database.
    await superuserSql(env, primary, `CREATE ROLE myuser LOGIN PASSWORD '${PASSWORD}'`);
    await superuserSql(env, primary, 'CREATE DATABASE mydb OWNER myuser');
  });
  after(
    async () => {
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  it('resolves each selector, with no address while no pod matches, and leaves the rules out', async () => {
    assert.deepEqual(instances.length, 3);
    await waitForRefs('with no address', [{ name: 'app-pods' }, { name: 'monitoring' }]);
    await waitForRules('');
  });

  it('expands the rule to the app pod address on every instance: a client from there authenticates with TLS', async () => {
    const ip = await runAppPod('app', APP_LABELS);
    await waitForRefs('holding the app pod', [{ name: 'app-pods', ips: [ip] }, { name: 'monitoring' }]);
    await waitForRules(`${ip}/255.255.255.255`);
    for (const host of await instanceIPs()) {
      const seen = await waitFor(`myuser from ${ip} to ${host}`, () => connectFrom(ca, ip, host), 30_000);
      assert.equal(seen, `${ip} myuser ssl=true`);
    }
  });

  it('another address is not let in by the rule: with the rest closed to myuser, pg_hba refuses it', async () => {
    // The sample's rules end with the catch-all password rule every Cluster has, which any
    // address with the password passes: closing mydb to myuser elsewhere leaves the expanded
    // rule as the only way in.
    const sample = sampleObjects(SAMPLE, NS).find((o) => o.kind === 'Cluster') as Cluster;
    const sampleRules = sample.spec.postgresql?.pg_hba ?? [];
    await patchCluster(env, NS, NAME, {
      spec: { postgresql: { pg_hba: [...sampleRules, 'host mydb myuser all reject'] } },
    });
    const appIP = await podIP(env, NS, 'app');
    const otherIP = await runAppPod('other-app', { app: 'other' });
    const primaryIP = await podIP(env, NS, primary);
    await waitFor(
      `myuser from ${otherIP} refused by pg_hba`,
      async () => {
        const refused = await connectFrom(ca, otherIP, primaryIP).then(
          () => undefined,
          (err: Error) => err.message,
        );
        return refused !== undefined && /pg_hba\.conf rejects connection/.test(refused) ? refused : undefined;
      },
      60_000,
    ).then((message) => assert.match(message, new RegExp(`host "${otherIP.replaceAll('.', '\\.')}", user "myuser"`)));
    assert.equal(await connectFrom(ca, appIP, primaryIP), `${appIP} myuser ssl=true`);
    // A pod the selector does not pick is not resolved.
    assert.deepEqual(await statusRefs(), [{ name: 'app-pods', ips: [appIP] }, { name: 'monitoring' }]);
  });

  it('follows the pod when it is recreated with a new address: the new one authenticates, the old one is refused', async () => {
    const oldIP = await podIP(env, NS, 'app');
    await env.core.deleteNamespacedPod({ name: 'app', namespace: NS });
    await waitForRefs('without the deleted pod', [{ name: 'app-pods' }, { name: 'monitoring' }]);
    await waitForRules('');
    await waitFor('the app pod to be gone', () =>
      env.core.readNamespacedPod({ name: 'app', namespace: NS }).then(
        () => undefined,
        () => true,
      ),
    );
    const newIP = await runAppPod('app', APP_LABELS);
    assert.notEqual(newIP, oldIP);
    await waitForRefs('holding the new address', [{ name: 'app-pods', ips: [newIP] }, { name: 'monitoring' }]);
    await waitForRules(`${newIP}/255.255.255.255`);
    const primaryIP = await podIP(env, NS, primary);
    const seen = await waitFor(`myuser from ${newIP}`, () => connectFrom(ca, newIP, primaryIP), 30_000);
    assert.equal(seen, `${newIP} myuser ssl=true`);
    await assert.rejects(connectFrom(ca, oldIP, primaryIP), /pg_hba\.conf rejects connection/);
  });
});

// The operator alone against an API server (no node: pods get their addresses from the test), with
// no timer that would look at the Cluster again: only pod events can bring its status up to date.
describe('podSelectorRefs: the events of the pods a selector picks wake the Cluster', { timeout: 60_000 }, () => {
  let api: TestApiServer;
  let controller: RunningController;
  let core: CoreV1Api;
  const ns = 'default';
  const name = 'woken';

  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const refs = async () => {
    const ref = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name, namespace: ns } };
    return ((await KubeObjectApi.forConfig(api.kc).read(ref)) as Cluster).status?.podSelectorRefs;
  };
  const waitForRefs = (what: string, expected: PodSelectorRefStatus[]) =>
    waitFor(
      `status.podSelectorRefs ${what}`,
      async () => JSON.stringify(await refs()) === JSON.stringify(expected),
      30_000,
    );
  // Each status write wakes the Cluster once more; a change made while that pass runs would be
  // seen without any pod event. Nothing else reconciles here, so the operator is idle shortly after.
  const settle = () => sleep(3_000);
  const setAddress = (pod: string, ip: string) =>
    core.patchNamespacedPodStatus(
      { name: pod, namespace: ns, body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } },
      mergePatch,
    );

  before(async () => {
    api = await startTestApiServer();
    await installCrds(api.kc);
    core = api.kc.makeApiClient(CoreV1Api);
    controller = await startController({
      kubeConfig: api.kc,
      pollMs: 3_600_000,
      healthyResyncMs: 3_600_000,
      logger: componentLogger('controller', {}, { level: 'error' }),
    });
    await controller.ready;
  });
  after(async () => {
    await controller?.stop();
    await api?.stop();
  });

  it('a matching pod that gets, changes or loses an address updates status.podSelectorRefs', async () => {
    const cluster = sampleObjects(SAMPLE, ns).find((o) => o.kind === 'Cluster') as Cluster;
    await applyObject(api.kc, { ...cluster, metadata: { name, namespace: ns } });
    await waitForRefs('with no address', [{ name: 'app-pods' }, { name: 'monitoring' }]);
    await settle();
    await core.createNamespacedPod({ namespace: ns, body: shellPod('app', 'exec sleep 3600', {}, APP_LABELS) });
    await core.createNamespacedPod({
      namespace: ns,
      body: shellPod('probe', 'exec sleep 3600', {}, { role: 'monitoring' }),
    });
    await setAddress('app', '10.1.0.7');
    await setAddress('probe', '10.1.0.9');
    await waitForRefs('with both pods', [
      { name: 'app-pods', ips: ['10.1.0.7'] },
      { name: 'monitoring', ips: ['10.1.0.9'] },
    ]);
    await settle();
    await setAddress('app', '10.1.0.8');
    await waitForRefs('with the new address', [
      { name: 'app-pods', ips: ['10.1.0.8'] },
      { name: 'monitoring', ips: ['10.1.0.9'] },
    ]);
    await settle();
    await core.patchNamespacedPod(
      { name: 'probe', namespace: ns, body: { metadata: { labels: { role: 'other' } } } },
      mergePatch,
    );
    await core.deleteNamespacedPod({ name: 'app', namespace: ns, gracePeriodSeconds: 0 });
    await waitForRefs('without them', [{ name: 'app-pods' }, { name: 'monitoring' }]);
  });
});
