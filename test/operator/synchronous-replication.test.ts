// Synchronous replication on the local runtime with the operator in-process: cluster-example's
// quorum (`method: any, number: 1`) gives the primary upstream's synchronous_standby_names and two
// quorum standbys; the value follows a scale down; with every standby fenced a commit waits.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import { synchronousStandbyNames } from '../../src/postgres/synchronous-standby-names.ts';
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
  startOperatorEnv,
  waitFor,
  waitForPhase,
} from './support.ts';

const NS = 'default';
const NAME = 'cluster-example';

/** psql with its stderr (where PostgreSQL's warnings go) and how long it took. */
function psqlTimed(conninfo: string, sql: string, password: string): Promise<{ stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      'psql',
      ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql],
      { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' }, timeout: 30_000 },
      (err, _stdout, stderr) =>
        err
          ? reject(new Error(`psql: ${stderr.trim() || err.message}`))
          : resolve({ stderr, ms: Date.now() - started }),
    );
  });
}

describe('synchronous replication', { timeout: 240_000 }, () => {
  let env: OperatorEnv;
  let su: { user: string; password: string };
  const onPrimary = async (text: string) =>
    psql(`host=${await podIP(env, NS, `${NAME}-1`)} port=5432 user=${su.user} dbname=postgres`, text, su.password);
  const healthyWith = (n: number) =>
    waitForPhase(env, NS, NAME, HEALTHY, 120_000, (c) => c.status?.instances === n && c.status.readyInstances === n);
  const fence = (instances: string | null) =>
    patchCluster(env, NS, NAME, {
      metadata: { name: NAME, namespace: NS, annotations: { 'cnpg.io/fencedInstances': instances } },
    });
  /** Waits for the primary to run with what upstream computes from the Cluster as it is now. */
  const waitForStandbyNames = async (expected: string): Promise<void> => {
    let seen = '';
    await waitFor(
      `synchronous_standby_names = ${expected}`,
      async () => {
        seen = await onPrimary('SHOW synchronous_standby_names').catch(() => '');
        return seen === expected || undefined;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last seen: ${seen})`);
    });
  };

  before(async () => {
    env = await startOperatorEnv();
  });
  after(
    async () => {
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  it('lists the standbys, then the primary, and both standbys are quorum standbys', async () => {
    const objects = sampleObjects('cluster-example.yaml', NS).map((o) =>
      o.kind === 'Cluster' ? { ...o, spec: { ...(o as Cluster).spec, enableSuperuserAccess: true } } : o,
    );
    await applyAll(env, objects);
    const cluster = await healthyWith(3);
    const secret = await secretData(env, NS, `${NAME}-superuser`);
    su = { user: secret.username ?? '', password: secret.password ?? '' };
    const expected = 'ANY 1 ("cluster-example-2","cluster-example-3","cluster-example-1")';
    assert.equal(synchronousStandbyNames(cluster), expected);
    await waitForStandbyNames(expected);
    const replication = await waitFor(
      'both standbys to stream as quorum standbys',
      async () => {
        const rows = await onPrimary(
          "SELECT application_name || ':' || sync_state FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
        );
        return rows.split('\n').length === 2 ? rows : undefined;
      },
      30_000,
    );
    assert.equal(replication, `${NAME}-2:quorum\n${NAME}-3:quorum`);
    // A standby confirms: the commit returns.
    await onPrimary("CREATE TABLE t (v text); INSERT INTO t VALUES ('synchronous')");
  });

  it('follows the instances when the cluster scales down', async () => {
    await patchCluster(env, NS, NAME, { spec: { instances: 2 } });
    const cluster = await healthyWith(2);
    const expected = 'ANY 1 ("cluster-example-2","cluster-example-1")';
    assert.equal(synchronousStandbyNames(cluster), expected);
    await waitForStandbyNames(expected);
  });

  it('keeps a commit waiting while no standby can confirm it (dataDurability required)', async () => {
    await fence(`["${NAME}-2"]`);
    await waitFor(
      'the fenced standby to stop streaming',
      async () => (await onPrimary('SELECT count(*) FROM pg_stat_replication')) === '0' || undefined,
      60_000,
    );
    // Still listed: required durability never drops an unavailable standby.
    const fenced = await readCluster(env, NS, NAME);
    assert.equal(synchronousStandbyNames(fenced), 'ANY 1 ("cluster-example-2","cluster-example-1")');
    const conninfo = `host=${await podIP(env, NS, `${NAME}-1`)} port=5432 user=${su.user} dbname=postgres`;
    const waiting = "SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'";
    const insert = psqlTimed(conninfo, "INSERT INTO t VALUES ('unconfirmed')", su.password);
    insert.catch(() => undefined); // awaited below, after the wait has been cancelled
    try {
      const pid = await waitFor(
        'the commit to wait for a standby',
        async () => (await onPrimary(waiting)) || undefined,
      );
      await sleep(2_000);
      assert.equal(await onPrimary(waiting), pid, 'the commit stopped waiting');
    } finally {
      // Cancelling ends the wait: PostgreSQL says the commit is local only.
      await onPrimary(`SELECT pg_cancel_backend(pid) FROM (${waiting}) AS w`);
    }
    const { stderr, ms } = await insert;
    assert.match(stderr, /canceling wait for synchronous replication/);
    assert.ok(ms >= 2_000, `the commit returned after ${ms} ms`);

    await fence(null);
    await waitFor(
      'the standby to stream again',
      async () => (await onPrimary('SELECT count(*) FROM pg_stat_replication')) === '1' || undefined,
      60_000,
    );
    const confirmed = await psqlTimed(conninfo, "INSERT INTO t VALUES ('confirmed')", su.password);
    assert.doesNotMatch(confirmed.stderr, /synchronous replication/);
  });
});
