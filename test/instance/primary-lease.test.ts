// The primary Lease against a real local API server: a holder that can no longer renew in time, or
// finds the lease taken, reports it lost (the manager then stops PostgreSQL); a switchover hands
// the lease to its target, who takes it at once while anyone else waits for the released TTL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { PrimaryLease } from '../../src/instance/primary-lease.ts';
import { componentLogger } from '../../src/log/logger.ts';
import { eventually, startTestApiServer, type TestApiServer } from '../kube/support.ts';

const NS = 'default';
// Whole seconds, as the Lease stores them: short, and renewal (1 s) well inside the deadline (2 s).
const TIMINGS = {
  leaseDurationSeconds: 3,
  renewDeadlineSeconds: 2,
  retryPeriodSeconds: 1,
  releasedLeaseDurationSeconds: 2,
};

describe('primary lease', () => {
  let server: TestApiServer;
  let api: CoordinationV1Api;
  const leases: PrimaryLease[] = [];
  const log = componentLogger('primary-lease-test', {}, { level: 'error' });

  const lease = (name: string, identity: string) => {
    const l = new PrimaryLease(server.kc, NS, name, identity, () => TIMINGS, log);
    leases.push(l);
    return l;
  };
  const create = (name: string) => api.createNamespacedLease({ namespace: NS, body: { metadata: { name }, spec: {} } });
  const holder = async (name: string) => (await api.readNamespacedLease({ name, namespace: NS })).spec?.holderIdentity;

  before(async () => {
    server = await startTestApiServer();
    api = server.kc.makeApiClient(CoordinationV1Api);
  });
  after(async () => {
    for (const l of leases) l.stop();
    await server?.stop();
  });

  it('reports the lease lost when it cannot be renewed within the renew deadline', async () => {
    await create('unrenewable');
    const held = lease('unrenewable', 'pg-1');
    let lost: string | undefined;
    held.onLost((reason) => {
      lost = reason;
    });
    await held.acquire(5_000);
    const since = Date.now();
    await api.deleteNamespacedLease({ name: 'unrenewable', namespace: NS });
    const reason = await eventually('the lease reported lost', () => lost, 10_000);
    assert.match(reason, /not renewed for \d+ s/);
    // Before the lease itself would have expired: nobody could have taken it over yet.
    assert.ok(Date.now() - since < TIMINGS.leaseDurationSeconds * 1000 + 500, `lost after ${Date.now() - since} ms`);
  });

  it('reports the lease lost when another instance holds it', async () => {
    await create('taken');
    const held = lease('taken', 'pg-1');
    let lost: string | undefined;
    held.onLost((reason) => {
      lost = reason;
    });
    await held.acquire(5_000);
    const current = await api.readNamespacedLease({ name: 'taken', namespace: NS });
    if (current.spec === undefined) throw new Error('lease without spec');
    current.spec.holderIdentity = 'pg-2';
    current.spec.renewTime = new Date();
    await api.replaceNamespacedLease({ name: 'taken', namespace: NS, body: current });
    assert.match(await eventually('the lease reported lost', () => lost, 5_000), /held by pg-2/);
  });

  it('hands the lease to the successor, who takes it at once while others wait', async () => {
    await create('handover');
    const old = lease('handover', 'pg-1');
    await old.acquire(5_000);
    await old.release('pg-2');
    assert.equal(await holder('handover'), 'pg-2');
    const successor = lease('handover', 'pg-2');
    const started = Date.now();
    await successor.acquire(5_000);
    assert.ok(Date.now() - started < 500, `the successor waited ${Date.now() - started} ms`);
    const other = lease('handover', 'pg-3');
    await assert.rejects(other.acquire(1_000), /held by pg-2/);
  });

  it('released without a successor, anyone takes it once the released duration ran out', async () => {
    await create('released');
    const old = lease('released', 'pg-1');
    await old.acquire(5_000);
    await old.release();
    const next = lease('released', 'pg-3');
    const started = Date.now();
    await next.acquire(10_000);
    const waited = Date.now() - started;
    assert.ok(waited >= 1_000 && waited < 4_000, `waited ${waited} ms`);
    assert.equal(await holder('released'), 'pg-3');
  });
});
