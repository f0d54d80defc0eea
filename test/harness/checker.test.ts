// The checker on synthetic histories: clean runs pass; planted loss is reported (and fails only a
// synchronous cluster with dataDurability: required); duplicates, failed-yet-stored writes and two
// instances accepting commits at once always fail; the write gap is measured across the fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { check, type Durability, lossIsFatal, type StatusSample, type WriteRecord, writeGap } from './checker.ts';

const ASYNC: Durability = { synchronous: false };
const SYNC_REQUIRED: Durability = { synchronous: true, dataDurability: 'required' };
const SYNC_DEFAULT: Durability = { synchronous: true };
const SYNC_PREFERRED: Durability = { synchronous: true, dataDurability: 'preferred' };

/** An acknowledged write `id`, sent at `t` ms, stamped by `server` on `timeline`. */
const ok = (id: number, t: number, server = 'pg-1', timeline = 1): WriteRecord => ({
  id,
  client: 1,
  sentAt: t,
  doneAt: t + 1,
  outcome: 'ok',
  stamp: { server, timeline, at: t + 0.5 },
});
const failed = (id: number, t: number): WriteRecord => ({ id, client: 1, sentAt: t, doneAt: t + 1, outcome: 'failed' });
const unknown = (id: number, t: number): WriteRecord => ({ ...failed(id, t), outcome: 'unknown' });
/** What the final read returns for the given writes (unacknowledged ones as pg-2 stored them). */
const stored = (ws: WriteRecord[]) =>
  ws.map((w) => ({ id: w.id, stamp: w.stamp ?? { server: 'pg-2', timeline: 2, at: w.sentAt } }));

// A failover: pg-1 takes writes 1..5 on timeline 1, pg-2 writes 6..10 on timeline 2 after a pause.
const before = [1, 2, 3, 4, 5].map((i) => ok(i, i * 10));
const after = [6, 7, 8, 9, 10].map((i) => ok(i, 1_000 + i * 10, 'pg-2', 2));
const history = [...before, ...after];

describe('checker verdicts', () => {
  const cases: {
    name: string;
    writes: WriteRecord[];
    rows: ReturnType<typeof stored>;
    durability: Durability;
    samples?: StatusSample[];
    failed: boolean;
    lost?: number[];
    duplicates?: number[];
    failedButStored?: number[];
    dualPrimary?: [string, string][];
    statusDualPrimary?: number;
    problem?: RegExp;
  }[] = [
    {
      name: 'a clean failover passes',
      writes: history,
      rows: stored(history),
      durability: SYNC_REQUIRED,
      failed: false,
    },
    {
      name: 'planted loss on an asynchronous cluster is reported, not failed',
      writes: history,
      rows: stored(history.filter((w) => w.id !== 4 && w.id !== 5)),
      durability: ASYNC,
      failed: false,
      lost: [4, 5],
      problem: /2 acknowledged write\(s\) lost \(ids 4, 5\): reported, not failed/,
    },
    {
      name: 'the same loss under synchronous replication with dataDurability: required fails',
      writes: history,
      rows: stored(history.filter((w) => w.id !== 4 && w.id !== 5)),
      durability: SYNC_REQUIRED,
      failed: true,
      lost: [4, 5],
      problem: /^2 acknowledged write\(s\) lost \(ids 4, 5\)$/,
    },
    {
      name: 'synchronous without dataDurability defaults to required: loss fails',
      writes: history,
      rows: stored(history.slice(1)),
      durability: SYNC_DEFAULT,
      failed: true,
      lost: [1],
    },
    {
      name: 'synchronous with dataDurability: preferred reports loss without failing',
      writes: history,
      rows: stored(history.slice(1)),
      durability: SYNC_PREFERRED,
      failed: false,
      lost: [1],
    },
    {
      name: 'unknown and failed writes that are absent are no loss',
      writes: [...history, unknown(11, 2_000), failed(12, 2_010)],
      rows: stored(history),
      durability: SYNC_REQUIRED,
      failed: false,
    },
    {
      name: 'an unknown write found stored is fine',
      writes: [...history, unknown(11, 2_000)],
      rows: stored([...history, unknown(11, 2_000)]),
      durability: SYNC_REQUIRED,
      failed: false,
    },
    {
      name: 'a duplicated row fails',
      writes: history,
      rows: stored([...history, ok(3, 30)]),
      durability: ASYNC,
      failed: true,
      duplicates: [3],
      problem: /1 duplicated write\(s\) \(ids 3\)/,
    },
    {
      name: 'a write refused with an error yet stored fails',
      writes: [...history, failed(11, 2_000)],
      rows: stored([...history, failed(11, 2_000)]),
      durability: ASYNC,
      failed: true,
      failedButStored: [11],
    },
    {
      name: 'the old primary still committing after the new one started fails (dual primary)',
      writes: [...history, ok(11, 1_075, 'pg-1', 1)],
      rows: stored(history),
      durability: ASYNC,
      failed: true,
      lost: [11],
      dualPrimary: [['pg-1', 'pg-2']],
      problem: /pg-1 and pg-2 both accepted commits between/,
    },
    {
      name: 'two instances committing on the same timeline fails',
      writes: [ok(1, 10, 'pg-1'), ok(2, 20, 'pg-2'), ok(3, 30, 'pg-1'), ok(4, 40, 'pg-2')],
      rows: stored([ok(1, 10, 'pg-1'), ok(3, 30, 'pg-1')]),
      durability: ASYNC,
      failed: true,
      lost: [2, 4],
      dualPrimary: [['pg-1', 'pg-2']],
    },
    {
      name: 'a dual primary seen only in the final read (unacknowledged writes) fails',
      writes: history,
      rows: [...stored(history), { id: 99, stamp: { server: 'pg-1', timeline: 1, at: 1_065 } }],
      durability: ASYNC,
      failed: true,
      dualPrimary: [['pg-1', 'pg-2']],
    },
    {
      name: 'the same instance back as primary on a later timeline is no dual primary',
      writes: [...history, ok(11, 2_000, 'pg-1', 3), ok(12, 2_010, 'pg-1', 3)],
      rows: stored([...history, ok(11, 2_000, 'pg-1', 3), ok(12, 2_010, 'pg-1', 3)]),
      durability: SYNC_REQUIRED,
      failed: false,
    },
    {
      name: 'two instances reporting primary without both committing is informational',
      writes: history,
      rows: stored(history),
      durability: SYNC_REQUIRED,
      samples: [
        { at: 900, instance: 'pg-1', isPrimary: true },
        { at: 900, instance: 'pg-2', isPrimary: true },
        { at: 1_150, instance: 'pg-1', isPrimary: true },
        { at: 1_150, instance: 'pg-2', isPrimary: true },
        { at: 1_400, instance: 'pg-1', isPrimary: false },
      ],
      failed: false,
      statusDualPrimary: 1,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const v = check({ writes: c.writes, stored: c.rows, samples: c.samples ?? [], durability: c.durability });
      assert.equal(v.failed, c.failed, v.problems.join('; '));
      assert.deepEqual(v.lost, c.lost ?? []);
      assert.deepEqual(v.duplicates, c.duplicates ?? []);
      assert.deepEqual(v.failedButStored, c.failedButStored ?? []);
      assert.deepEqual(
        v.dualPrimary.map((d) => d.instances),
        c.dualPrimary ?? [],
      );
      assert.equal(v.statusDualPrimary.length, c.statusDualPrimary ?? 0);
      if (c.problem !== undefined)
        assert.ok(
          v.problems.some((p) => c.problem?.test(p)),
          v.problems.join('; '),
        );
      if (!c.failed && (c.lost ?? []).length === 0) assert.deepEqual(v.problems, []);
    });
  }

  it('counts outcomes', () => {
    const v = check({
      writes: [...history, unknown(11, 2_000), unknown(12, 2_010), failed(13, 2_020)],
      stored: stored([...history, unknown(11, 2_000)]),
      samples: [],
      durability: ASYNC,
    });
    assert.deepEqual([v.acknowledged, v.rejected, v.unknown, v.unknownStored], [10, 1, 2, 1]);
  });

  it('reports the dual-primary interval', () => {
    const v = check({
      writes: [...history, ok(11, 1_075, 'pg-1', 1)],
      stored: stored(history),
      samples: [],
      durability: ASYNC,
    });
    // pg-1 committed from 10.5 to 1075.5, pg-2 from 1060.5 to 1100.5.
    assert.deepEqual(v.dualPrimary, [{ instances: ['pg-1', 'pg-2'], from: 1_060.5, to: 1_075.5 }]);
  });
});

describe('lossIsFatal', () => {
  for (const [d, fatal] of [
    [ASYNC, false],
    [SYNC_REQUIRED, true],
    [SYNC_DEFAULT, true],
    [SYNC_PREFERRED, false],
  ] as const) {
    it(`${JSON.stringify(d)} -> ${fatal}`, () => assert.equal(lossIsFatal(d), fatal));
  }
});

describe('writeGap', () => {
  it('is the largest gap between consecutive acknowledgements', () => {
    assert.deepEqual(writeGap([10, 20, 25, 500, 510]), { ms: 475, from: 25, to: 500 });
  });
  it('only counts gaps that reach into the window', () => {
    assert.deepEqual(writeGap([10, 400, 410, 600, 650], { from: 405, to: 1_000 }), { ms: 190, from: 410, to: 600 });
  });
  it('runs to the end of the window when writes never resumed', () => {
    assert.deepEqual(writeGap([10, 20, 30], { from: 35, to: 1_000 }), { ms: 970, from: 30, to: 1_000 });
  });
  it('is zero without acknowledgements to compare', () => {
    assert.equal(writeGap([]).ms, 0);
    assert.equal(writeGap([5]).ms, 0);
  });
});
