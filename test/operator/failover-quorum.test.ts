// Quorum-based failover end to end on the local runtime: a 3-instance cluster with
// `synchronous: {method: any, number: 1, failoverQuorum: true}` gets a FailoverQuorum the primary
// fills with its setup (W=1 of N=2 standbys); a killed primary is replaced since both standbys
// answer (R=2: 2+1 > 2); with one standby fenced and the primary frozen, only one listed standby
// answers (R=1: 1+1 = 2) and nobody is promoted, the status saying why, until the fenced one is back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FailoverQuorum } from '../../src/api/v1/failover-quorum-types.ts';
import { freezeTree, healAllSync } from '../harness/nemeses.ts';
import {
  type AppUser,
  appUser,
  createHealthyCluster,
  type OperatorEnv,
  patchCluster,
  podIP,
  readCluster,
  serviceIP,
  startOperatorEnv,
  waitFor,
} from './support.ts';

const NS = 'default';
const NAME = 'quorum';

describe('quorum-based failover', { timeout: 300_000 }, () => {
  let env: OperatorEnv;
  let app: AppUser;
  let written = 0;
  const sql = (host: string, text: string) => app.sql(host, text);
  const write = async () => {
    const rw = await serviceIP(env, NS, `${NAME}-rw`);
    const id = ++written;
    await waitFor(
      `row ${id} written through -rw`,
      async () =>
        await sql(rw, `INSERT INTO rows VALUES (${id})`).then(
          () => true,
          () => undefined,
        ),
      60_000,
    );
  };
  const streamingReplica = (instance: string) =>
    waitFor(
      `${instance} streaming every row`,
      async () => {
        const out = await sql(await podIP(env, NS, instance), 'SELECT pg_is_in_recovery(), count(*) FROM rows').catch(
          () => '',
        );
        return out === `t|${written}` || undefined;
      },
      120_000,
    );
  const settledPrimary = async (not?: string) => {
    const c = await waitFor(
      `a settled primary other than ${not}`,
      async () => {
        const c = await readCluster(env, NS, NAME);
        const p = c.status?.currentPrimary;
        return p !== undefined && p !== not && p === c.status?.targetPrimary ? c : undefined;
      },
      90_000,
    );
    return c.status?.currentPrimary as string;
  };
  const quorum = async () =>
    (await env.objects.read({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'FailoverQuorum',
      metadata: { name: NAME, namespace: NS },
    })) as unknown as FailoverQuorum;
  /** Waits until `primary` recorded ANY 1 of the two other instances. */
  const recordedBy = (primary: string) =>
    waitFor(
      `the FailoverQuorum recorded by ${primary}`,
      async () => {
        const s = (await quorum()).status;
        const others = [1, 2, 3].map((n) => `${NAME}-${n}`).filter((n) => n !== primary);
        const names = [...(s?.standbyNames ?? [])].sort();
        return s?.primary === primary && s.standbyNumber === 1 && names.join() === others.join() ? s : undefined;
      },
      60_000,
    );
  const fence = (instances: string[] | null) =>
    patchCluster(env, NS, NAME, {
      metadata: {
        name: NAME,
        namespace: NS,
        annotations: { 'cnpg.io/fencedInstances': instances === null ? null : JSON.stringify(instances) },
      },
    });

  before(async () => {
    env = await startOperatorEnv();
    await createHealthyCluster(env, NS, NAME, {
      instances: 3,
      storage: { size: '1Gi' },
      postgresql: { synchronous: { method: 'any', number: 1, failoverQuorum: true } },
    });
    app = await appUser(env, NS, NAME);
    await sql(await serviceIP(env, NS, `${NAME}-rw`), 'CREATE TABLE rows (id int PRIMARY KEY)');
    await write();
  });
  after(
    async () => {
      healAllSync(); // nothing stays frozen, even when a test failed midway
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  it('keeps a FailoverQuorum owned by the Cluster, filled by the primary with its setup', async () => {
    const status = await recordedBy(`${NAME}-1`);
    assert.deepEqual(status, {
      method: 'ANY',
      standbyNames: [`${NAME}-2`, `${NAME}-3`],
      standbyNumber: 1,
      primary: `${NAME}-1`,
    });
    const owner = (await quorum()).metadata?.ownerReferences?.[0];
    assert.equal(owner?.kind, 'Cluster');
    assert.equal(owner?.name, NAME);
    // What PostgreSQL runs with, as upstream writes it next to synchronous_standby_names.
    const metadata = await sql(await podIP(env, NS, `${NAME}-1`), 'SHOW cnpg.synchronous_standby_names_metadata');
    assert.equal(metadata, `{"method":"ANY","number":1,"standbyNames":["${NAME}-2","${NAME}-3","${NAME}-1"]}`);
  });

  it('fails over when the primary is killed and both standbys answer (R=2, W=1, N=2)', async () => {
    const old = `${NAME}-1`;
    const pidFile = join(env.runtime.dir, 'volumes', NS, old, 'pgdata', 'postmaster.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGKILL');
    const primary = await settledPrimary(old);
    await write();
    await recordedBy(primary);
    await streamingReplica(old);
  });

  it('holds the failover back while only one listed standby answers (R=1, W=1, N=2)', async () => {
    const primary = await settledPrimary();
    await recordedBy(primary);
    const [fenced, other] = [1, 2, 3].map((n) => `${NAME}-${n}`).filter((n) => n !== primary) as [string, string];
    await fence([fenced]);
    const fencedIP = await podIP(env, NS, fenced);
    await waitFor(
      'the fenced standby to stop',
      async () =>
        await sql(fencedIP, 'SELECT 1').then(
          () => undefined,
          () => true,
        ),
      60_000,
    );
    // Still listed: required durability keeps every instance in synchronous_standby_names.
    await recordedBy(primary);
    const managerPid = Number(
      readFileSync(join(env.runtime.dir, 'pods', NS, primary, '.run', 'postgres.pid'), 'utf8').trim(),
    );
    const frozen = freezeTree(managerPid);
    try {
      const held = await waitFor(
        'the failover to be held back',
        async () => {
          const c = await readCluster(env, NS, NAME);
          return /held back: quorum check failed/.test(c.status?.phaseReason ?? '') ? c : undefined;
        },
        60_000,
      );
      assert.match(held.status?.phaseReason ?? '', new RegExp(`R=1 \\[${other}\\], W=1, N=2`));
      await sleep(3_000);
      const c = await readCluster(env, NS, NAME);
      assert.equal(c.status?.currentPrimary, primary);
      assert.equal(c.status?.targetPrimary, primary);

      // The fenced standby answers again: R=2, the failover goes ahead.
      await fence(null);
      const promoted = await settledPrimary(primary);
      assert.ok([fenced, other].includes(promoted));
    } finally {
      frozen.undo();
    }
    await write();
    await streamingReplica(primary);
  });
});
