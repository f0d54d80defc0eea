// A change of PostgreSQL major on a running 3-instance cluster, as a user makes it with kubectl: the
// image of another major is admitted (an upgrade) but not rolled out, since in-place major upgrades
// are not built; the cluster stays on its running major (every pod keeps its image, a replica pod
// deleted meanwhile and a failover come back on it, writes go on), says why in its phase and a
// condition, refuses a downgrade below the data directory's major, and accepts the change back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { DEFAULT_IMAGE_NAME, imageMajorVersion } from '../../src/api/v1/image-version.ts';
import { kubectl } from '../local/apiserver-support.ts';
import {
  type AppUser,
  appUser,
  cnpgVerb,
  createHealthyCluster,
  HEALTHY,
  type OperatorEnv,
  podIP,
  readCluster,
  serviceIP,
  startOperatorEnv,
  waitFor,
  waitForPhase,
} from './support.ts';

const NS = 'default';
const NAME = 'major';
const UPGRADE_DELAYED = 'Cluster upgrade delayed';
const CONDITION = 'MajorVersionUpgrade';

describe('a change of PostgreSQL major', { timeout: 600_000 }, () => {
  let env: OperatorEnv;
  let app: AppUser;
  let runningMajor = 0;
  let otherImage = '';
  let written = 0;

  const pods = async (): Promise<V1Pod[]> =>
    (
      await env.core.listNamespacedPod({
        namespace: NS,
        labelSelector: `cnpg.io/cluster=${NAME},cnpg.io/podRole=instance`,
      })
    ).items;
  const uids = async () => new Map((await pods()).map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? '']));
  const images = async () => new Set((await pods()).map((p) => p.spec?.containers[0]?.image));
  const setImage = (image: string) =>
    kubectl({ kubeconfigPath: env.runtime.rt.apiServer.kubeconfigPath, dataDir: env.runtime.dir }, [
      'patch',
      'cluster',
      NAME,
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { imageName: image } }),
    ]);
  const condition = (c: Cluster) => (c.status?.conditions ?? []).find((x) => x.type === CONDITION);
  /** Writes one row through -rw, retrying until a primary takes it. */
  const write = async () => {
    const id = ++written;
    await waitFor(`row ${id} written through -rw`, async () => {
      const rw = await serviceIP(env, NS, `${NAME}-rw`);
      return app.sql(rw, `INSERT INTO rows VALUES (${id})`).then(
        () => true,
        () => undefined,
      );
    });
  };
  /** Waits until `instance` runs as a standby holding every row written so far. */
  const streamingReplica = (instance: string) =>
    waitFor(
      `${instance} streaming every row`,
      async () => {
        const ip = await podIP(env, NS, instance);
        const out = await app.sql(ip, 'SELECT pg_is_in_recovery(), count(*) FROM rows').catch(() => '');
        return out === `t|${written}` || undefined;
      },
      120_000,
    );
  /** The cluster held on its running major, every instance healthy. */
  const heldAndHealthy = () =>
    waitForPhase(
      env,
      NS,
      NAME,
      UPGRADE_DELAYED,
      120_000,
      (c) =>
        c.status?.readyInstances === 3 &&
        c.status.instancesStatus?.healthy?.length === 3 &&
        c.status.currentPrimary === c.status.targetPrimary,
    );

  before(async () => {
    env = await startOperatorEnv();
    await createHealthyCluster(env, NS, NAME, { instances: 3, storage: { size: '1Gi' } });
    app = await appUser(env, NS, NAME);
    const rw = await serviceIP(env, NS, `${NAME}-rw`);
    await app.sql(rw, 'CREATE TABLE rows (id int PRIMARY KEY)');
    await write();
    runningMajor = Number(await app.sql(rw, "SELECT current_setting('server_version_num')::int / 10000"));
    // Another major to ask for: an upgrade (admission refuses downgrades), and not the default
    // image's major, which the local runtime runs on the installed PostgreSQL (the running one).
    let other = Math.max(runningMajor + 1, 16);
    if (other === imageMajorVersion(DEFAULT_IMAGE_NAME)) other++;
    otherImage = `ghcr.io/cloudnative-pg/postgresql:${other}.1-system-trixie`;
  });
  after(() => env?.stop(), { timeout: 120_000 });

  it("records the data directory's major and the image it runs with, and shows the major that runs", async () => {
    const c = await waitFor('the data directory major in the status', async () => {
      const c = await readCluster(env, NS, NAME);
      return c.status?.pgDataImageInfo?.majorVersion === runningMajor ? c : undefined;
    });
    assert.deepEqual(c.status?.pgDataImageInfo, { image: DEFAULT_IMAGE_NAME, majorVersion: runningMajor });
    for (const pod of await pods()) {
      assert.equal(pod.metadata?.labels?.['app.kubernetes.io/version'], String(runningMajor), pod.metadata?.name);
    }
    await waitFor('the -rw service labelled with the running major', async () => {
      const s = await env.core.readNamespacedService({ name: `${NAME}-rw`, namespace: NS });
      return s.metadata?.labels?.['app.kubernetes.io/version'] === String(runningMajor) || undefined;
    });
    assert.match(await cnpgVerb(env, NS, 'status', NAME), new RegExp(`PostgreSQL Version:\\s+${runningMajor}\\.`));
  });

  it('holds an image of another major back: healthy on the running major, and says why', async () => {
    const before = await uids();
    const patched = await setImage(otherImage);
    assert.equal(patched.status, 0, patched.stderr);
    const c = await heldAndHealthy();
    const reason = c.status?.phaseReason ?? '';
    assert.match(
      reason,
      new RegExp(
        `changing the PostgreSQL major version from ${runningMajor} to ${imageMajorVersion(otherImage)} .*` +
          `is not supported yet: the cluster keeps running PostgreSQL ${runningMajor}`,
      ),
    );
    assert.deepEqual(
      { ...condition(c), lastTransitionTime: undefined },
      { type: CONDITION, status: 'False', reason: 'NotSupportedYet', message: reason, lastTransitionTime: undefined },
    );
    assert.equal(c.spec.imageName, otherImage);
    assert.equal(c.status?.image, DEFAULT_IMAGE_NAME);
    assert.deepEqual(c.status?.pgDataImageInfo, { image: DEFAULT_IMAGE_NAME, majorVersion: runningMajor });
    // Several healthy passes later nothing was rolled out.
    await new Promise((r) => setTimeout(r, 5_000));
    assert.deepEqual(await uids(), before);
    assert.deepEqual(await images(), new Set([DEFAULT_IMAGE_NAME]));
    await write();
    assert.equal((await readCluster(env, NS, NAME)).status?.phase, UPGRADE_DELAYED);
  });

  it('recreates a deleted replica pod and fails over on the running image', async () => {
    const primary = (await readCluster(env, NS, NAME)).status?.currentPrimary ?? '';
    const replica = [`${NAME}-1`, `${NAME}-2`, `${NAME}-3`].find((n) => n !== primary) ?? '';
    const old = (await uids()).get(replica);
    await env.core.deleteNamespacedPod({ name: replica, namespace: NS });
    await waitFor(
      `${replica} recreated`,
      async () => {
        const uid = (await uids()).get(replica);
        return (uid !== undefined && uid !== old) || undefined;
      },
      120_000,
    );
    await write();
    await streamingReplica(replica);

    const pidFile = join(env.runtime.dir, 'volumes', NS, primary, 'pgdata', 'postmaster.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGKILL');
    await waitFor(
      'a failover to another instance',
      async () => {
        const c = await readCluster(env, NS, NAME);
        const p = c.status?.currentPrimary;
        return (p !== undefined && p !== primary && p === c.status?.targetPrimary) || undefined;
      },
      120_000,
    );
    await write();
    await streamingReplica(primary);
    await heldAndHealthy();
    assert.deepEqual(await images(), new Set([DEFAULT_IMAGE_NAME]));
  });

  it("refuses an image below the data directory's major, as upstream's webhook", async () => {
    const lower = `ghcr.io/cloudnative-pg/postgresql:${runningMajor - 1}.9`;
    const refused = await setImage(lower);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, new RegExp(`can't downgrade from major ${runningMajor} to ${runningMajor - 1}`));
  });

  it('accepts the change back to the running major and clears the message', async () => {
    const before = await uids();
    const patched = await setImage(DEFAULT_IMAGE_NAME);
    assert.equal(patched.status, 0, patched.stderr);
    const c = await waitForPhase(
      env,
      NS,
      NAME,
      HEALTHY,
      120_000,
      (c) => c.status?.phaseReason === undefined && condition(c) === undefined,
    );
    assert.equal(c.status?.readyInstances, 3);
    assert.equal((c.status?.conditions ?? []).find((x) => x.type === 'Ready')?.status, 'True');
    assert.deepEqual(c.status?.pgDataImageInfo, { image: DEFAULT_IMAGE_NAME, majorVersion: runningMajor });
    assert.deepEqual(await uids(), before);
    await write();
  });
});
