import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { managesFailoverQuorum, parseSynchronousMetadata, quorumStatusFor, widerStatus } from './failover-quorum.ts';

describe('parseSynchronousMetadata', () => {
  it('reads what configuration.ts writes', () => {
    assert.deepEqual(parseSynchronousMetadata('{"method":"ANY","number":1,"standbyNames":["pg-2","pg-1"]}'), {
      method: 'ANY',
      number: 1,
      standbyNames: ['pg-2', 'pg-1'],
    });
  });
  for (const text of [
    null,
    undefined,
    '',
    'not json',
    '{"method":"SOME","number":1,"standbyNames":[]}',
    '{"method":"ANY","number":"1","standbyNames":[]}',
    '{"method":"FIRST","number":1,"standbyNames":[2]}',
  ]) {
    it(`nothing from ${JSON.stringify(text)}`, () => assert.equal(parseSynchronousMetadata(text), undefined));
  }
});

describe('quorumStatusFor', () => {
  it('lists the standbys without the primary', () => {
    assert.deepEqual(quorumStatusFor({ method: 'ANY', number: 1, standbyNames: ['pg-2', 'pg-3', 'pg-1'] }, 'pg-1'), {
      method: 'ANY',
      standbyNames: ['pg-2', 'pg-3'],
      standbyNumber: 1,
      primary: 'pg-1',
    });
  });
  it('is empty without synchronous replication', () => {
    assert.deepEqual(quorumStatusFor(undefined, 'pg-1'), {});
    assert.deepEqual(quorumStatusFor({ method: '', number: 0, standbyNames: [] }, 'pg-1'), {});
  });
});

describe('widerStatus: true of both setups', () => {
  const s = (method: string, n: number, names: string[]) => ({
    method,
    standbyNumber: n,
    standbyNames: names,
    primary: 'pg-1',
  });
  const cases = [
    {
      name: 'a standby added',
      a: s('ANY', 1, ['pg-2']),
      b: s('ANY', 1, ['pg-2', 'pg-3']),
      want: s('ANY', 1, ['pg-2', 'pg-3']),
    },
    {
      name: 'a standby removed',
      a: s('ANY', 1, ['pg-2', 'pg-3']),
      b: s('ANY', 1, ['pg-3']),
      want: s('ANY', 1, ['pg-2', 'pg-3']),
    },
    {
      name: 'a standby replaced',
      a: s('ANY', 1, ['pg-2', 'pg-3']),
      b: s('ANY', 1, ['pg-3', 'pg-4']),
      want: s('ANY', 1, ['pg-2', 'pg-3', 'pg-4']),
    },
    {
      name: 'number raised: the smaller one',
      a: s('ANY', 1, ['pg-2', 'pg-3']),
      b: s('ANY', 2, ['pg-2', 'pg-3']),
      want: s('ANY', 1, ['pg-2', 'pg-3']),
    },
    {
      name: 'number lowered: the smaller one',
      a: s('FIRST', 2, ['pg-2', 'pg-3']),
      b: s('FIRST', 1, ['pg-2', 'pg-3']),
      want: s('FIRST', 1, ['pg-2', 'pg-3']),
    },
    { name: 'method changed', a: s('FIRST', 1, ['pg-2']), b: s('ANY', 1, ['pg-2']), want: s('ANY', 1, ['pg-2']) },
    { name: 'from no synchronous standby', a: {}, b: s('ANY', 1, ['pg-2']), want: {} },
    { name: 'to no synchronous standby', a: s('ANY', 1, ['pg-2']), b: {}, want: {} },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(widerStatus(c.a, c.b), c.want));
});

describe('managesFailoverQuorum', () => {
  const cluster = (failoverQuorum: boolean, current: string, target: string): Cluster =>
    ({
      spec: { instances: 3, postgresql: { synchronous: { method: 'any', number: 1, failoverQuorum } } },
      status: { currentPrimary: current, targetPrimary: target },
    }) as Cluster;
  it('the settled primary with the feature on', () =>
    assert.equal(managesFailoverQuorum(cluster(true, 'pg-1', 'pg-1'), 'pg-1'), true));
  it('not with the feature off', () =>
    assert.equal(managesFailoverQuorum(cluster(false, 'pg-1', 'pg-1'), 'pg-1'), false));
  it('not a replica', () => assert.equal(managesFailoverQuorum(cluster(true, 'pg-1', 'pg-1'), 'pg-2'), false));
  it('not during a switchover or failover', () => {
    assert.equal(managesFailoverQuorum(cluster(true, 'pg-1', 'pg-2'), 'pg-1'), false);
    assert.equal(managesFailoverQuorum(cluster(true, 'pg-1', 'pending'), 'pg-1'), false);
    assert.equal(managesFailoverQuorum(cluster(true, 'pg-1', 'pg-2'), 'pg-2'), false);
  });
});
