// The harness must find a planted fault, or a green chaos run means nothing. On an asynchronous
// 2-instance cluster, with the operator stopped so nothing else moves the primary: the replica's
// WAL receiver is frozen, the primary goes on committing (a ballast of more WAL than the sockets
// between them can buffer, then more acknowledged writes), the primary is frozen for good, and the
// lagging replica is promoted as a failover would (status.targetPrimary, then pg_ctl promote) and
// the clients are sent to it. The writes acknowledged after the lag began must be reported lost;
// the run is not failed (the cluster does not promise synchronous durability), while the very same
// history judged under synchronous replication with dataDurability: required fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { check } from './checker.ts';
import { HarnessCluster } from './cluster.ts';
import { freezeProcess, freezeTree, healAllSync, type Nemesis } from './nemeses.ts';
import { runFaults } from './run.ts';
import { now, withConnection } from './workload.ts';

const NAME = 'planted';

describe('planted fault: promoting a lagging asynchronous replica', { timeout: 400_000 }, () => {
  let cluster: HarnessCluster | undefined;

  before(async () => {
    cluster = await HarnessCluster.start({ name: NAME, instances: 2, synchronous: false });
  });
  after(
    async () => {
      healAllSync();
      await cluster?.stop();
    },
    { timeout: 120_000 },
  );

  it('reports the writes the promoted replica never received as lost', async (t) => {
    const c = cluster as HarnessCluster;
    let lagFrom = 0;
    let oldPrimary = '';
    let promoted = '';
    const promoteLaggingReplica: Nemesis = {
      name: 'promote-lagging-replica',
      description: 'the replica stops receiving WAL, the primary commits on and dies, the replica is promoted',
      holdMs: 0,
      unavailable: async () => undefined,
      inject: async ({ cluster: h, primary, workload }) => {
        oldPrimary = primary;
        const replica = (await h.pods()).find((p) => p.name !== primary);
        const receiver = replica === undefined ? undefined : h.walReceiverPid(replica.name);
        const primaryManager = h.managerPid(primary);
        if (replica === undefined || receiver === undefined || primaryManager === undefined) {
          throw new Error(`cannot plant the fault: replica ${replica?.name}, WAL receiver ${receiver}`);
        }
        promoted = replica.name;
        await h.stopOperator();
        lagFrom = now();
        const thawReceiver = freezeProcess(receiver);
        await withConnection(h.rwHost, h.credentials, (db) =>
          db.query("CREATE TABLE ballast AS SELECT g, repeat('x', 400) AS pad FROM generate_series(1, 100000) g"),
        );
        await sleep(1_500);
        const primaryFrozen = freezeTree(primaryManager);
        thawReceiver();
        // What the operator does on failover; an instance manager following targetPrimary agrees.
        await h.env.objects.mergePatchStatus(
          { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: h.name, namespace: h.namespace } },
          { status: { targetPrimary: replica.name, targetPrimaryTimestamp: new Date().toISOString() } },
        );
        await h.pgCtlPromote(replica.name).catch(async (err: Error) => {
          if ((await h.status(replica.ip))?.isPrimary !== true) throw err;
        });
        workload.retarget(replica.ip);
        return async () => primaryFrozen.undo();
      },
    };

    const result = await runFaults({
      cluster: c,
      runId: 1,
      faults: [promoteLaggingReplica],
      oldPrimaryTimeoutMs: 1_000,
    });
    const v = result.verdict;
    t.diagnostic(
      `${v.acknowledged} acknowledged, ${v.lost.length} lost, final read from ${result.finalPrimary}; ` +
        v.problems.join('; '),
    );
    assert.equal(result.finalPrimary, promoted);
    assert.deepEqual(result.durability, { synchronous: false });
    assert.ok(v.lost.length > 0, 'the acknowledged writes the promoted replica never received are lost');
    const lost = result.records.filter((w) => v.lost.includes(w.id));
    for (const w of lost) {
      assert.equal(w.stamp?.server, oldPrimary, `lost write ${w.id} was acknowledged by the old primary`);
      assert.ok(w.sentAt >= lagFrom, `lost write ${w.id} was sent after the replica began to lag`);
    }
    assert.ok(
      result.records.some((w) => w.outcome === 'ok' && w.stamp?.server === promoted),
      'writes were acknowledged by the promoted replica',
    );
    assert.deepEqual(v.dualPrimary, []);
    assert.equal(v.lossIsFatal, false);
    assert.equal(v.failed, false, 'an asynchronous cluster reports loss without failing the run');

    const strict = check({
      writes: result.records,
      stored: result.stored,
      samples: [],
      durability: { synchronous: true, dataDurability: 'required' },
    });
    assert.deepEqual(strict.lost, v.lost);
    assert.equal(strict.failed, true, 'the same history fails a cluster that promises synchronous durability');
  });
});
