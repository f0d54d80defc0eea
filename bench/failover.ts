// Benchmark of faults: each nemesis of the harness (test/harness/nemeses.ts), several times, against
// one synchronous 3-instance cluster (quorum any 1, dataDurability: required) under the harness's
// write workload (5 clients through -rw). Per nemesis: the write gap (median and worst), the time
// until writes are acknowledged again, the time until the old primary is back (accepting writes
// again, or streaming as a replica once failover exists), and the acknowledged writes lost. A
// nemesis that cannot run here is reported with its reason, never as a figure.
import { HarnessCluster, type PrimaryLeaseTimings } from '../test/harness/cluster.ts';
import { allNemeses, healAllSync } from '../test/harness/nemeses.ts';
import { runFaults } from '../test/harness/run.ts';
import { median } from './cluster-startup.ts';

export interface FaultRun {
  writeGapMs?: number;
  writesBackMs?: number;
  oldPrimaryBack?: { as: 'primary' | 'replica'; afterMs: number };
  acknowledged?: number;
  lost?: number;
  problems?: string[];
  failed?: boolean;
  /** The run did not complete (the cluster did not recover in time...). */
  error?: string;
}

export interface Spread {
  median: number;
  worst: number;
}

export interface NemesisFigures {
  nemesis: string;
  description: string;
  /** Why it did not run here. */
  unavailable?: string;
  runs: FaultRun[];
  writeGapMs?: Spread;
  writesBackMs?: Spread;
  oldPrimaryBackMs?: Spread;
  /** How the old primary came back, per run ("primary", "replica", "not back"). */
  oldPrimaryBackAs?: string[];
  lostTotal: number;
}

export interface FailoverBench {
  cluster: {
    instances: number;
    synchronous: string;
    clients: number;
    holdMs: number;
    primaryLease?: PrimaryLeaseTimings;
  };
  nemeses: NemesisFigures[];
}

const spread = (xs: (number | undefined)[]): Spread | undefined => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length === 0 ? undefined : { median: Math.round(median(v)), worst: Math.round(Math.max(...v)) };
};

export async function benchFailover(opts: {
  runs: number;
  holdMs: number;
  only?: string[];
  primaryLease?: PrimaryLeaseTimings;
  progress?: (line: string) => void;
}): Promise<FailoverBench> {
  const say = opts.progress ?? (() => {});
  const cluster = await HarnessCluster.start({
    name: 'bench',
    instances: 3,
    synchronous: true,
    ...(opts.primaryLease === undefined ? {} : { primaryLease: opts.primaryLease }),
  });
  const figures: NemesisFigures[] = [];
  let runId = 0;
  let broken: string | undefined;
  try {
    for (const nemesis of allNemeses(opts.holdMs)) {
      if (opts.only !== undefined && !opts.only.includes(nemesis.name)) continue;
      const f: NemesisFigures = { nemesis: nemesis.name, description: nemesis.description, runs: [], lostTotal: 0 };
      figures.push(f);
      const reason = broken ?? (await nemesis.unavailable(cluster));
      if (reason !== undefined) {
        f.unavailable = reason;
        say(`${nemesis.name}: skipped: ${reason}`);
        continue;
      }
      for (let i = 0; i < opts.runs; i++) {
        try {
          const r = await runFaults({ cluster, runId: ++runId, faults: [nemesis] });
          const fault = r.faults[0];
          const run: FaultRun = {
            ...(fault?.writeGapMs === undefined ? {} : { writeGapMs: Math.round(fault.writeGapMs) }),
            ...(fault?.writesBackMs === undefined ? {} : { writesBackMs: Math.round(fault.writesBackMs) }),
            ...(fault?.oldPrimaryBack === undefined
              ? {}
              : { oldPrimaryBack: { as: fault.oldPrimaryBack.as, afterMs: Math.round(fault.oldPrimaryBack.afterMs) } }),
            acknowledged: r.verdict.acknowledged,
            lost: r.verdict.lost.length,
            problems: r.verdict.problems,
            failed: r.verdict.failed,
          };
          f.runs.push(run);
          say(
            `${nemesis.name} ${i + 1}/${opts.runs}: gap ${run.writeGapMs} ms, old primary back ` +
              `${run.oldPrimaryBack === undefined ? 'not seen' : `as ${run.oldPrimaryBack.as} after ${run.oldPrimaryBack.afterMs} ms`}, ` +
              `lost ${run.lost}${run.failed ? ` FAILED: ${r.verdict.problems.join('; ')}` : ''}`,
          );
        } catch (err) {
          healAllSync();
          const message = err instanceof Error ? err.message : String(err);
          f.runs.push({ error: message });
          say(`${nemesis.name} ${i + 1}/${opts.runs}: did not complete: ${message}`);
          // The next runs need a healthy cluster; without one the rest of the bench cannot be measured.
          try {
            if (!cluster.operatorRunning) await cluster.startOperator();
            await cluster.waitHealthy(180_000);
          } catch (e) {
            broken = `not run: the cluster did not recover from an earlier fault (${e instanceof Error ? e.message : e})`;
            break;
          }
        }
      }
      const done = f.runs.filter((r) => r.error === undefined);
      const gap = spread(done.map((r) => r.writeGapMs));
      const back = spread(done.map((r) => r.writesBackMs));
      const old = spread(done.map((r) => r.oldPrimaryBack?.afterMs));
      Object.assign(f, {
        ...(gap === undefined ? {} : { writeGapMs: gap }),
        ...(back === undefined ? {} : { writesBackMs: back }),
        ...(old === undefined ? {} : { oldPrimaryBackMs: old }),
        oldPrimaryBackAs: done.map((r) => r.oldPrimaryBack?.as ?? 'not back'),
        lostTotal: done.reduce((n, r) => n + (r.lost ?? 0), 0),
      });
    }
  } finally {
    healAllSync();
    await cluster.stop();
  }
  return {
    cluster: {
      instances: 3,
      synchronous: 'any 1, dataDurability: required',
      clients: 5,
      holdMs: opts.holdMs,
      ...(opts.primaryLease === undefined ? {} : { primaryLease: opts.primaryLease }),
    },
    nemeses: figures,
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(2));

/** The markdown table of fault results. */
export function failoverTable(b: FailoverBench): string[] {
  const rows = b.nemeses.map((n) => {
    if (n.unavailable !== undefined) return `| ${n.nemesis} | – | not run: ${n.unavailable} | | | | |`;
    const completed = n.runs.filter((r) => r.error === undefined).length;
    const errors = n.runs.filter((r) => r.error !== undefined).map((r) => r.error);
    const as = [...new Set(n.oldPrimaryBackAs ?? [])].join(', ');
    const verdicts = n.runs.some((r) => r.failed) ? 'FAILED' : errors.length > 0 ? `incomplete: ${errors[0]}` : 'ok';
    return (
      `| ${n.nemesis} | ${completed}/${n.runs.length} | ${seconds(n.writeGapMs?.median)} / ${seconds(n.writeGapMs?.worst)} | ` +
      `${seconds(n.writesBackMs?.median)} / ${seconds(n.writesBackMs?.worst)} | ` +
      `${seconds(n.oldPrimaryBackMs?.median)} / ${seconds(n.oldPrimaryBackMs?.worst)} (${as}) | ${n.lostTotal} | ${verdicts} |`
    );
  });
  return [
    '| nemesis | runs | write gap median / worst (s) | writes back median / worst (s) | old primary back median / worst (s) | acknowledged writes lost | verdict |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ];
}
