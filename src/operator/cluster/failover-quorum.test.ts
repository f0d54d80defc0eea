import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailoverQuorumStatus } from '../../api/v1/failover-quorum-types.ts';
import { decideFailover } from './failover-quorum.ts';

const record = (method: string, w: number, names: string[], primary = 'pg-1'): FailoverQuorumStatus => ({
  method,
  standbyNumber: w,
  standbyNames: names,
  primary,
});

describe('decideFailover: promote only when R + W > N', () => {
  const cases: {
    name: string;
    record: FailoverQuorumStatus | undefined;
    promotable: string[];
    allowed: boolean;
    eligible?: string[];
    reason?: RegExp;
  }[] = [
    // Upstream's scenarios (docs: failover quorum), method any and first alike.
    {
      name: 'any 1 of 2, both seen (2+1>2)',
      record: record('ANY', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-2', 'pg-3'],
      allowed: true,
      eligible: ['pg-2', 'pg-3'],
    },
    {
      name: 'any 1 of 2, one seen (1+1=2)',
      record: record('ANY', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-3'],
      allowed: false,
      reason: /R=1 \[pg-3\], W=1, N=2 \[pg-2, pg-3\]/,
    },
    {
      name: 'first 1 of 2, both seen',
      record: record('FIRST', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-3', 'pg-2'],
      allowed: true,
      eligible: ['pg-2', 'pg-3'],
    },
    {
      name: 'first 1 of 2, one seen',
      record: record('FIRST', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-2'],
      allowed: false,
      reason: /R \+ W > N does not hold/,
    },
    {
      name: 'any 2 of 4, three seen (3+2>4)',
      record: record('ANY', 2, ['pg-2', 'pg-3', 'pg-4', 'pg-5']),
      promotable: ['pg-2', 'pg-4', 'pg-5'],
      allowed: true,
      eligible: ['pg-2', 'pg-4', 'pg-5'],
    },
    {
      name: 'any 2 of 4, two seen (2+2=4)',
      record: record('ANY', 2, ['pg-2', 'pg-3', 'pg-4', 'pg-5']),
      promotable: ['pg-2', 'pg-3'],
      allowed: false,
      reason: /R=2/,
    },
    {
      name: 'any 2 of 2, one seen (1+2>2)',
      record: record('ANY', 2, ['pg-2', 'pg-3']),
      promotable: ['pg-3'],
      allowed: true,
      eligible: ['pg-3'],
    },
    {
      name: 'nobody seen (0+1<2)',
      record: record('ANY', 1, ['pg-2', 'pg-3']),
      promotable: [],
      allowed: false,
      reason: /R=0/,
    },
    // A remote standby from standbyNamesPre counts in N, never in R.
    {
      name: 'remote standby in N: any 2 of 3, both locals seen',
      record: record('ANY', 2, ['angus', 'pg-2', 'pg-3']),
      promotable: ['pg-2', 'pg-3'],
      allowed: true,
      eligible: ['pg-2', 'pg-3'],
    },
    {
      name: 'remote standby in N: any 2 of 3, one local seen',
      record: record('ANY', 2, ['angus', 'pg-2', 'pg-3']),
      promotable: ['pg-2'],
      allowed: false,
      reason: /N=3 \[angus, pg-2, pg-3\]/,
    },
    // A replica outside the list neither counts nor may be promoted.
    {
      name: 'unlisted replica not counted',
      record: record('ANY', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-3', 'pg-4'],
      allowed: false,
      reason: /R=1 \[pg-3\]/,
    },
    {
      name: 'unlisted replica not eligible',
      record: record('ANY', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-2', 'pg-3', 'pg-4'],
      allowed: true,
      eligible: ['pg-2', 'pg-3'],
    },
    {
      name: 'duplicates count once',
      record: record('ANY', 1, ['pg-2', 'pg-3']),
      promotable: ['pg-2', 'pg-2'],
      allowed: false,
      reason: /R=1/,
    },
    // Nothing usable recorded: never promote.
    {
      name: 'no object',
      record: undefined,
      promotable: ['pg-2', 'pg-3'],
      allowed: false,
      reason: /no FailoverQuorum object/,
    },
    {
      name: 'reset (empty) status',
      record: {},
      promotable: ['pg-2', 'pg-3'],
      allowed: false,
      reason: /holds no synchronous replication setup/,
    },
    {
      name: 'number 0',
      record: record('ANY', 0, ['pg-2', 'pg-3']),
      promotable: ['pg-2', 'pg-3'],
      allowed: false,
      reason: /holds no synchronous/,
    },
    {
      name: 'empty list',
      record: record('ANY', 1, []),
      promotable: ['pg-2', 'pg-3'],
      allowed: false,
      reason: /holds no synchronous/,
    },
    {
      name: 'recorded by another primary',
      record: record('ANY', 1, ['pg-1', 'pg-3'], 'pg-2'),
      promotable: ['pg-1', 'pg-3'],
      allowed: false,
      reason: /recorded by pg-2, not by pg-1/,
    },
    {
      name: 'recorded by no primary',
      record: { standbyNumber: 1, standbyNames: ['pg-2', 'pg-3'] },
      promotable: ['pg-2', 'pg-3'],
      allowed: false,
      reason: /recorded by no primary/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideFailover(c.record, 'pg-1', c.promotable);
      assert.equal(d.allowed, c.allowed, JSON.stringify(d));
      if (d.allowed) assert.deepEqual(d.eligible, c.eligible);
      else assert.match(d.reason, c.reason ?? /./);
    });
  }

  it('never counts the failed primary itself', () => {
    const d = decideFailover(record('ANY', 1, ['pg-1', 'pg-2', 'pg-3']), 'pg-1', ['pg-1', 'pg-2']);
    assert.equal(d.allowed, false);
    assert.match(d.allowed ? '' : d.reason, /R=1 \[pg-2\], W=1, N=2/);
  });
});
