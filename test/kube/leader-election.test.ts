// Leader election between real candidates on a Lease of the local API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubeClients } from '../../src/kube/client.ts';
import { LeaderElector } from '../../src/kube/leader-election.ts';
import { eventually, startTestApiServer, type TestApiServer } from './support.ts';

// Short timings keep the suite fast; the Lease stores whole seconds, hence a 2 s lease.
const TIMINGS = { leaseDurationMs: 2000, renewDeadlineMs: 1000, retryPeriodMs: 200 };

interface Candidate {
  elector: LeaderElector;
  started: number;
  stopped: number;
  signal: AbortSignal | undefined;
}

describe('LeaderElector', () => {
  let server: TestApiServer;
  const running: LeaderElector[] = [];

  before(async () => {
    server = await startTestApiServer();
  });
  after(async () => {
    await Promise.all(running.map((e) => e.stop({ release: false })));
    await server?.stop();
  });

  function candidate(identity: string, lease: string): Candidate {
    const c: Candidate = { elector: undefined as never, started: 0, stopped: 0, signal: undefined };
    c.elector = new LeaderElector({
      api: kubeClients(server.kc).coordination,
      namespace: 'default',
      name: lease,
      identity,
      ...TIMINGS,
      onStartedLeading: (signal) => {
        c.started++;
        c.signal = signal;
      },
      onStoppedLeading: () => {
        c.stopped++;
      },
    });
    running.push(c.elector);
    void c.elector.run();
    return c;
  }

  it('rejects timings client-go rejects', () => {
    const api = kubeClients(server.kc).coordination;
    const base = { api, namespace: 'default', name: 'x', identity: 'a', onStartedLeading() {}, onStoppedLeading() {} };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), /leaseDuration/);
    assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), /renewDeadline/);
  });

  it('elects exactly one of two, and the other takes over after the leader dies', async () => {
    const a = candidate('a', 'crash');
    const b = candidate('b', 'crash');
    const leader = await eventually('a leader', () => (a.started + b.started > 0 ? (a.started ? a : b) : undefined));
    const follower = leader === a ? b : a;
    // Several renew periods later there is still exactly one leader.
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(a.started + b.started, 1);
    assert.equal(leader.elector.isLeader, true);
    assert.equal(follower.elector.isLeader, false);
    const lease = await kubeClients(server.kc).coordination.readNamespacedLease({
      name: 'crash',
      namespace: 'default',
    });
    assert.equal(lease.spec?.holderIdentity, leader === a ? 'a' : 'b');
    assert.equal(lease.spec?.leaseDurationSeconds, 2);

    // The leader dies without releasing: the follower waits for the lease to expire.
    const killedAt = Date.now();
    await leader.elector.stop({ release: false });
    assert.equal(leader.signal?.aborted, true);
    await eventually('the follower to take over', () => (follower.started ? true : undefined), 10_000);
    const waited = Date.now() - killedAt;
    assert.ok(waited >= 1500, `took over after ${waited} ms, before the 2 s lease could expire`);
    const taken = await kubeClients(server.kc).coordination.readNamespacedLease({
      name: 'crash',
      namespace: 'default',
    });
    assert.equal(taken.spec?.holderIdentity, follower === a ? 'a' : 'b');
    assert.equal(taken.spec?.leaseTransitions, 1);
  });

  it('releases the lease on a clean stop so a successor need not wait', async () => {
    const first = candidate('first', 'clean');
    await eventually('first leads', () => (first.started ? true : undefined));
    const second = candidate('second', 'clean');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(second.started, 0);
    const stoppedAt = Date.now();
    await first.elector.stop();
    assert.equal(first.stopped, 1);
    const released = await kubeClients(server.kc).coordination.readNamespacedLease({
      name: 'clean',
      namespace: 'default',
    });
    assert.ok(['', 'second'].includes(released.spec?.holderIdentity ?? ''));
    await eventually('second takes over', () => (second.started ? true : undefined), 5000);
    assert.ok(Date.now() - stoppedAt < 1500, 'no full lease duration wait');
  });

  it('steps down when it cannot renew before the deadline', async () => {
    const lonely = candidate('lonely', 'deadline');
    await eventually('lonely leads', () => (lonely.started ? true : undefined));
    await server.pause();
    try {
      await eventually('lonely steps down', () => (lonely.stopped ? true : undefined), 5000);
      assert.equal(lonely.elector.isLeader, false);
      assert.equal(lonely.signal?.aborted, true);
    } finally {
      await server.resume();
    }
  });
});
