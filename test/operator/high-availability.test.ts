// High availability end to end on the local runtime: a 3-instance cluster loses its primary's
// postmaster (kill -9) and fails over to a replica, the former primary rejoins as a standby; a
// switchover through `cnpg promote` brings the primary back (the primary Lease follows); fencing a
// replica stops it and the fence lifts; a fenced primary causes no failover; `cnpg restart CLUSTER`
// recreates every pod without a failover; failoverDelay holds a failover back. Every write
// acknowledged is read back. `kubectl describe cluster` tells the failover and the switchover in
// the Cluster's Events.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { kubectl } from '../local/apiserver-support.ts';
import {
  type AppUser,
  appUser,
  cnpgVerb,
  createHealthyCluster,
  HEALTHY,
  patchCluster,
  type OperatorEnv,
  podIP,
  readCluster,
  serviceIP,
  startOperatorEnv,
  waitFor,
} from './support.ts';

const NS = 'default';
const NAME = 'ha';

describe('high availability', { timeout: 400_000 }, () => {
  let env: OperatorEnv;
  let app: AppUser;
  let written = 0;
  const sql = (host: string, text: string) => app.sql(host, text);
  const cnpg = (...args: string[]) => cnpgVerb(env, NS, ...args);
  /** Writes one row through -rw, retrying until a primary takes it. */
  const write = async () => {
    const rw = await serviceIP(env, NS, `${NAME}-rw`);
    const id = ++written;
    await waitFor(`row ${id} written through -rw`, async () => {
      try {
        await sql(rw, `INSERT INTO rows VALUES (${id})`);
        return true;
      } catch {
        return undefined;
      }
    });
  };
  /** Waits until `instance` runs as a standby holding every row written so far. */
  const streamingReplica = (instance: string) =>
    waitFor(
      `${instance} streaming every row`,
      async () => {
        const ip = await podIP(env, NS, instance);
        const out = await sql(ip, 'SELECT pg_is_in_recovery(), count(*) FROM rows').catch(() => '');
        return out === `t|${written}` || undefined;
      },
      120_000,
    );
  const settledPrimary = async (not?: string) =>
    (
      await waitFor(
        `a primary other than ${not}`,
        async () => {
          const c = await readCluster(env, NS, NAME);
          const p = c.status?.currentPrimary;
          return p !== undefined && p !== not && p === c.status?.targetPrimary ? c : undefined;
        },
        60_000,
      )
    ).status?.currentPrimary as string;

  /** The Events section of `kubectl describe cluster`, once it matches every pattern. */
  const describedEvents = (...patterns: RegExp[]) =>
    waitFor('kubectl describe cluster to show the events', async () => {
      const r = await kubectl({ kubeconfigPath: env.runtime.rt.apiServer.kubeconfigPath, dataDir: env.runtime.dir }, [
        'describe',
        'cluster',
        NAME,
        '-n',
        NS,
      ]);
      const events = r.stdout.slice(r.stdout.indexOf('Events:'));
      return patterns.every((p) => p.test(events)) || undefined;
    });

  /** Who holds the primary Lease named after the cluster. */
  const leaseHolder = async () =>
    (await env.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: NAME, namespace: NS })).spec
      ?.holderIdentity;

  before(async () => {
    env = await startOperatorEnv();
    await createHealthyCluster(env, NS, NAME, { instances: 3, storage: { size: '1Gi' } });
    app = await appUser(env, NS, NAME);
    await sql(await serviceIP(env, NS, `${NAME}-rw`), 'CREATE TABLE rows (id int PRIMARY KEY)');
    await write();
  });
  after(() => env?.stop(), { timeout: 120_000 });

  it('fails over when the primary postmaster is killed, and the former primary rejoins', async () => {
    const old = `${NAME}-1`;
    const pidFile = join(env.runtime.dir, 'volumes', NS, old, 'pgdata', 'postmaster.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    const primary = await settledPrimary(old);
    await write();
    const gap = Date.now() - killed;
    assert.notEqual(primary, old);
    // currentPrimary is recorded at the promotion; the next status pass reports the new timeline.
    await waitFor(
      'the new timeline in the status',
      async () => (await readCluster(env, NS, NAME)).status?.timelineID === 2 || undefined,
    );
    await streamingReplica(old);
    assert.equal(await leaseHolder(), primary);
    const pods = await env.core.listNamespacedPod({ namespace: NS, labelSelector: 'cnpg.io/instanceRole=primary' });
    assert.deepEqual(
      pods.items.map((p) => p.metadata?.name),
      [primary],
    );
    await describedEvents(
      new RegExp(`Normal\\s+FailingOver\\s.*Current primary isn't healthy, initiating a failover from ${old}\n`),
      new RegExp(`Normal\\s+FailoverTarget\\s.*Failing over from ${old} to ${primary}\n`),
      new RegExp(`Normal\\s+Promoted\\s.*Instance ${primary} promoted to primary\n`),
    );
    // Informational: writes resumed this long after the kill (bench/ measures it properly).
    process.stdout.write(`# failover write gap ${gap} ms\n`);
  });

  it('switches over to a chosen instance with cnpg promote, and the former primary follows', async () => {
    const before = await settledPrimary();
    const target = `${NAME}-1`;
    assert.match(await cnpg('promote', NAME, '1'), /Switchover of cluster default\/ha to ha-1 requested/);
    await waitFor(
      'the switchover to complete',
      async () => {
        const c = await readCluster(env, NS, NAME);
        return (c.status?.currentPrimary === target && c.status.targetPrimary === target) || undefined;
      },
      60_000,
    );
    await write();
    assert.equal(await leaseHolder(), target);
    await describedEvents(new RegExp(`Normal\\s+SwitchingOver\\s.*Switching over from ${before} to ${target}\n`));
    await streamingReplica(before);
    await assert.rejects(cnpg('promote', NAME, '1'), /already the primary/);
    await assert.rejects(cnpg('promote', NAME, '9'), /not part of cluster/);
  });

  it('fences a replica (PostgreSQL stops, the pod turns unready) and lifts the fence', async () => {
    const replica = `${NAME}-3`;
    const ip = await podIP(env, NS, replica);
    assert.match(await cnpg('fencing', 'on', NAME, '3'), /ha-3 fenced/);
    // The services stop selecting it through its role label, not only once its readiness probe fails.
    await waitFor(
      'the fenced pod to leave the -rw and -ro selectors',
      async () => {
        const pod = await env.core.readNamespacedPod({ name: replica, namespace: NS });
        const labels = pod.metadata?.labels ?? {};
        return (labels['cnpg.io/instanceRole'] === undefined && labels.role === undefined) || undefined;
      },
      60_000,
    );
    await waitFor(
      'the fenced replica to stop',
      async () =>
        (await sql(ip, 'SELECT 1').then(
          () => false,
          () => true,
        )) || undefined,
    );
    await waitFor(
      'the fenced pod to turn unready',
      async () => {
        const pod = await env.core.readNamespacedPod({ name: replica, namespace: NS });
        return pod.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False' || undefined;
      },
      60_000,
    );
    await write(); // the primary goes on with the other standby
    assert.match(await cnpg('fencing', 'off', NAME, '3'), /ha-3 unfenced/);
    await streamingReplica(replica);
    await waitFor(
      'the unfenced pod labelled replica again',
      async () =>
        (await env.core.readNamespacedPod({ name: replica, namespace: NS })).metadata?.labels?.[
          'cnpg.io/instanceRole'
        ] === 'replica' || undefined,
    );
  });

  it('does not fail over a fenced primary', async () => {
    const primary = await settledPrimary();
    await cnpg('fencing', 'on', NAME, primary);
    await new Promise((r) => setTimeout(r, 5_000));
    const c = await readCluster(env, NS, NAME);
    assert.equal(c.status?.currentPrimary, primary);
    assert.equal(c.status?.targetPrimary, primary);
    await cnpg('fencing', 'off', NAME, primary);
    await write();
  });

  /** Each instance pod's uid by name. */
  const uids = async () =>
    new Map(
      (
        await env.core.listNamespacedPod({
          namespace: NS,
          labelSelector: `cnpg.io/cluster=${NAME},cnpg.io/podRole=instance`,
        })
      ).items.map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? '']),
    );

  it('restarts every pod with cnpg restart CLUSTER, the primary in place without a failover', async () => {
    const primary = await settledPrimary();
    const timeline = (await readCluster(env, NS, NAME)).status?.timelineID;
    const old = await uids();
    // Any failover, however brief, leaves a trace in targetPrimary or the phase: watch them throughout.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const c = await readCluster(env, NS, NAME).catch(() => undefined);
        if (c?.status?.targetPrimary !== undefined && c.status.targetPrimary !== primary)
          seen.add(`targetPrimary ${c.status.targetPrimary}`);
        if (c?.status?.phase === 'Failing over') seen.add(`phase ${c.status.phase}: ${c.status.phaseReason}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      assert.match(await cnpg('restart', NAME), /rolling restart of cluster default\/ha requested/);
      await waitFor(
        'every pod recreated and the cluster healthy again',
        async () => {
          const now = await uids();
          const c = await readCluster(env, NS, NAME);
          const renewed = [...old].filter(([name, uid]) => now.has(name) && now.get(name) !== uid);
          return (
            (renewed.length === old.size && c.status?.phase === HEALTHY && c.status.readyInstances === 3) || undefined
          );
        },
        240_000,
      );
    } finally {
      watching = false;
      await watcher;
    }
    const c = await readCluster(env, NS, NAME);
    assert.deepEqual([...seen], []);
    assert.equal(c.status?.currentPrimary, primary);
    assert.equal(c.status?.targetPrimary, primary);
    assert.equal(c.status?.timelineID, timeline);
    await write();
  });

  it('rolls a pod change out, replicas first, then switches the primary over', async () => {
    const before = await settledPrimary();
    const old = await uids();
    await patchCluster(env, NS, NAME, {
      spec: { primaryUpdateMethod: 'switchover', resources: { requests: { memory: '64Mi' } } },
    });
    await waitFor(
      'every pod recreated with the new resources, the primary switched over',
      async () => {
        const pods = (await env.core.listNamespacedPod({ namespace: NS, labelSelector: `cnpg.io/cluster=${NAME}` }))
          .items;
        const c = await readCluster(env, NS, NAME);
        const renewed = pods.filter(
          (p) =>
            old.has(p.metadata?.name ?? '') &&
            old.get(p.metadata?.name ?? '') !== p.metadata?.uid &&
            p.spec?.containers[0]?.resources?.requests?.memory === '64Mi' &&
            p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True',
        );
        return (renewed.length === 3 && c.status?.phase === HEALTHY && c.status.currentPrimary !== before) || undefined;
      },
      240_000,
    );
    await write();
    const c = await readCluster(env, NS, NAME);
    await streamingReplica(before);
    assert.notEqual(c.status?.currentPrimary, before);
  });

  it('restarts the primary in place and reloads with the plugin verbs', async () => {
    const primary = await settledPrimary();
    const ip = await podIP(env, NS, primary);
    const started = await sql(ip, 'SELECT pg_postmaster_start_time()');
    assert.match(await cnpg('restart', NAME, primary), /restart requested/);
    await waitFor(
      'the primary restarted in place',
      async () => {
        const now = await sql(ip, 'SELECT pg_postmaster_start_time()').catch(() => started);
        const c = await readCluster(env, NS, NAME);
        return (now !== started && c.status?.currentPrimary === primary && c.status.phase === HEALTHY) || undefined;
      },
      60_000,
    );
    assert.match(await cnpg('reload', NAME), /reload of cluster default\/ha requested/);
    const c = await readCluster(env, NS, NAME);
    assert.ok(c.metadata?.annotations?.['cnpg.io/reloadedAt']);
    await write();
  });

  it('waits failoverDelay before failing over a dead primary', async () => {
    const delaySeconds = 6;
    await patchCluster(env, NS, NAME, { spec: { failoverDelay: delaySeconds } });
    const old = await settledPrimary();
    // Asynchronous replication: the kill must not take unreplicated rows with it (after the
    // previous test's restart the standbys reconnect within wal_retrieve_retry_interval).
    for (const n of [1, 2, 3]) if (`${NAME}-${n}` !== old) await streamingReplica(`${NAME}-${n}`);
    // The instances read the Cluster through a watch: let the new delay reach them.
    const pidFile = join(env.runtime.dir, 'volumes', NS, old, 'pgdata', 'postmaster.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGKILL');
    const killed = Date.now();
    // Within the delay (less a margin for the kill being noticed) the failed primary stays the target.
    while (Date.now() - killed < (delaySeconds - 1) * 1000) {
      const c = await readCluster(env, NS, NAME);
      assert.equal(c.status?.targetPrimary, old, `failed over ${Date.now() - killed} ms after the kill`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const primary = await settledPrimary(old);
    assert.notEqual(primary, old);
    await write();
    await patchCluster(env, NS, NAME, { spec: { failoverDelay: 0 } });
    await streamingReplica(old);
  });
});
