// The CI chaos run: a synchronous 3-instance cluster (quorum any 1, dataDurability: required) under
// a continuous write workload, with faults injected into its primary one after the other for about
// 75 seconds. It fails on any lost acknowledged write, duplicate, or interval in which two
// instances both accepted commits. Nemeses that cannot run here are left out with a diagnostic.
// Longer: `node test/harness/chaos.test.ts --duration 10m` or CNPG_CHAOS_DURATION=10m.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { HarnessCluster } from './cluster.ts';
import {
  cutPrimaryNetwork,
  deletePrimaryPod,
  freezePrimary,
  healAllSync,
  killManagerAndPostmaster,
  killPostmaster,
  type Nemesis,
  switchover,
  withOperatorDown,
} from './nemeses.ts';
import { runFaults } from './run.ts';

/** "90s", "10m", "1h" or plain seconds, in milliseconds. */
function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`invalid --duration "${text}": use seconds, or a number with s, m or h (90s, 10m)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

const { values } = parseArgs({ options: { duration: { type: 'string' } }, strict: false });
const FAULT_PHASE_MS = parseDuration(
  (typeof values.duration === 'string' ? values.duration : undefined) ?? process.env.CNPG_CHAOS_DURATION ?? '75s',
);
const HOLD_MS = 3_000;

describe('chaos: faults against a synchronous 3-instance cluster', { timeout: FAULT_PHASE_MS + 600_000 }, () => {
  let cluster: HarnessCluster | undefined;

  before(async () => {
    cluster = await HarnessCluster.start({ name: 'chaos', instances: 3, synchronous: true });
  });
  after(
    async () => {
      healAllSync();
      await cluster?.stop();
    },
    { timeout: 120_000 },
  );

  it('loses no acknowledged write and never has two primaries accepting writes', async (t) => {
    const c = cluster as HarnessCluster;
    const candidates = [
      killPostmaster(),
      freezePrimary(HOLD_MS),
      killManagerAndPostmaster(),
      withOperatorDown(deletePrimaryPod(), HOLD_MS),
      cutPrimaryNetwork(HOLD_MS),
      withOperatorDown(killPostmaster(), HOLD_MS),
      switchover(),
    ];
    const cycle: Nemesis[] = [];
    for (const n of candidates) {
      const reason = await n.unavailable(c);
      if (reason === undefined) cycle.push(n);
      else t.diagnostic(`${n.name} left out: ${reason}`);
    }
    // Enough rounds to fill the duration; the deadline stops the run.
    const faults = Array.from({ length: Math.ceil(FAULT_PHASE_MS / 1_000) }, () => cycle).flat();
    const result = await runFaults({
      cluster: c,
      runId: 1,
      faults,
      settleMs: 1_000,
      deadline: Date.now() + FAULT_PHASE_MS,
    });
    for (const f of result.faults) {
      t.diagnostic(
        `${f.nemesis} on ${f.primary}: write gap ${f.writeGapMs?.toFixed(0)} ms, writes back after ` +
          `${f.writesBackMs?.toFixed(0)} ms, old primary back ` +
          (f.oldPrimaryBack === undefined
            ? 'not seen'
            : `as ${f.oldPrimaryBack.as} after ${f.oldPrimaryBack.afterMs.toFixed(0)} ms`),
      );
    }
    const v = result.verdict;
    t.diagnostic(
      `${result.records.length} writes: ${v.acknowledged} acknowledged, ${v.rejected} refused, ${v.unknown} unknown ` +
        `(${v.unknownStored} of them stored); final read from ${result.finalPrimary}`,
    );
    assert.ok(v.lossIsFatal, 'the chaos cluster must promise synchronous durability');
    assert.ok(result.faults.filter((f) => f.injectedAt !== undefined).length >= 3, 'at least three faults ran');
    assert.deepEqual(v.problems, []);
    assert.equal(v.failed, false);
  });
});
