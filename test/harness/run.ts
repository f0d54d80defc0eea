// One harness run: the workload writes through -rw while the instance statuses are sampled; each
// fault in turn is injected into the current primary, held, healed, and followed until writes are
// acknowledged again and the old primary is back (accepting writes, or streaming as a replica);
// at the end the primary's rows are read and the checker gives the verdict. The figures per fault
// (write gap, time until writes resume, time until the old primary is back) feed the bench.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  check,
  type Durability,
  type Stamp,
  type StatusSample,
  type StoredRow,
  type Verdict,
  type WriteRecord,
  writeGap,
} from './checker.ts';
import type { HarnessCluster, PodRef } from './cluster.ts';
import type { Heal, Nemesis } from './nemeses.ts';
import { now, readStored, Workload } from './workload.ts';

export interface RunOptions {
  cluster: HarnessCluster;
  /** Distinct per run on one cluster (the rows of the shared table are tagged with it). */
  runId: number;
  faults: Nemesis[];
  clients?: number;
  /** Writes before the first fault. */
  warmupMs?: number;
  /** Writes after each recovery, before the next fault or the end. */
  settleMs?: number;
  /** Writes must be acknowledged again within this time after the undo, or the run fails. */
  resumeTimeoutMs?: number;
  /** How long to wait for the old primary to be back before reporting that it is not. */
  oldPrimaryTimeoutMs?: number;
  /** No new fault is injected after this time (epoch ms). */
  deadline?: number;
}

export interface OldPrimaryBack {
  as: 'primary' | 'replica';
  afterMs: number;
}

export interface FaultResult {
  nemesis: string;
  /** Why the nemesis could not run here (it did not run). */
  unavailable?: string;
  primary?: string;
  injectedAt?: number;
  healedAt?: number;
  /** Largest time between consecutive acknowledged writes from the fault to the next one (or the end). */
  writeGapMs?: number;
  /** From the injection until a write sent after it was acknowledged. */
  writesBackMs?: number;
  /** From the injection until the old primary accepted writes again or streamed as a replica. */
  oldPrimaryBack?: OldPrimaryBack;
}

export interface RunResult {
  runId: number;
  durability: Durability;
  faults: FaultResult[];
  verdict: Verdict;
  /** Every write with its outcome, server stamps as instance names (what the checker saw). */
  records: WriteRecord[];
  /** What the final read found. */
  stored: StoredRow[];
  connectErrors: number;
  /** The instance the final read came from. */
  finalPrimary: string;
  startedAt: number;
  endedAt: number;
}

/** How long after its undo a fault is surely over (see the wait for writes below). */
const TAKES_EFFECT_MS = 500;

interface Sample extends StatusSample {
  ip: string;
  timeline: number | undefined;
  streaming: boolean;
}

/** Polls every instance's /pg/status (reachable ones answer) and remembers which address is which pod. */
class StatusSampler {
  readonly samples: Sample[] = [];
  readonly instanceOfIp = new Map<string, string>();
  readonly #cluster: HarnessCluster;
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(cluster: HarnessCluster) {
    this.#cluster = cluster;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const pods = await this.#cluster.pods().catch((): PodRef[] => []);
      for (const p of pods) this.instanceOfIp.set(p.ip, p.name);
      await Promise.all(
        pods.map(async (p) => {
          const s = await this.#cluster.status(p.ip, 800);
          if (s === undefined) return;
          this.samples.push({
            at: now(),
            instance: p.name,
            ip: p.ip,
            isPrimary: s.isPrimary,
            timeline: s.timeLineID,
            streaming: s.isWalReceiverActive === true,
          });
        }),
      );
      await sleep(250);
    }
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** The primary to read from: the instance reporting itself primary on the highest timeline. */
async function findPrimary(cluster: HarnessCluster): Promise<PodRef | undefined> {
  let best: { pod: PodRef; timeline: number } | undefined;
  for (const pod of await cluster.pods()) {
    const s = await cluster.status(pod.ip);
    if (s?.isPrimary !== true) continue;
    const timeline = s.timeLineID ?? 0;
    if (best === undefined || timeline > best.timeline) best = { pod, timeline };
  }
  return best?.pod;
}

/** Every instance answers, one is primary, and every other one streams. */
async function replicationSettled(cluster: HarnessCluster): Promise<true | undefined> {
  const pods = await cluster.pods();
  if (pods.length !== cluster.instances) return undefined;
  const statuses = await Promise.all(pods.map((p) => cluster.status(p.ip)));
  if (statuses.some((s) => s === undefined)) return undefined;
  const primaries = statuses.filter((s) => s?.isPrimary === true).length;
  const streaming = statuses.filter((s) => s?.isPrimary === false && s.isWalReceiverActive === true).length;
  return primaries === 1 && streaming === pods.length - 1 ? true : undefined;
}

export async function runFaults(o: RunOptions): Promise<RunResult> {
  const { cluster } = o;
  const log = cluster.log.child({ run: o.runId });
  const durability = await cluster.durability();
  const workload = new Workload({
    runId: o.runId,
    host: cluster.rwHost,
    credentials: cluster.credentials,
    clients: o.clients ?? 5,
    log,
  });
  const sampler = new StatusSampler(cluster);
  const faults: FaultResult[] = [];
  const startedAt = now();
  const instanceOf = (ip: string) => sampler.instanceOfIp.get(ip) ?? ip;
  const ackedAfter = (t: number) => workload.records.find((r) => r.outcome === 'ok' && r.sentAt > t);
  /** When `primary` took a write (sent, or acknowledged, from `writesFrom`), or streamed after `injectedAt`. */
  const oldPrimaryBack = (
    primary: string,
    injectedAt: number,
    writesFrom: number,
    by: 'sentAt' | 'doneAt',
  ): OldPrimaryBack | undefined => {
    const wrote = workload.records.find(
      (r) => r.outcome === 'ok' && r[by] >= writesFrom && instanceOf(r.stamp?.server ?? '') === primary,
    );
    const streamed = sampler.samples.find(
      (s) => s.at > injectedAt && s.instance === primary && !s.isPrimary && s.streaming,
    );
    const events: OldPrimaryBack[] = [
      ...(wrote === undefined ? [] : [{ as: 'primary' as const, afterMs: wrote.doneAt - injectedAt }]),
      ...(streamed === undefined ? [] : [{ as: 'replica' as const, afterMs: streamed.at - injectedAt }]),
    ];
    return events.sort((a, b) => a.afterMs - b.afterMs)[0];
  };

  sampler.start();
  workload.start();
  try {
    await until('the first acknowledged write', 60_000, () => ackedAfter(startedAt));
    await sleep(o.warmupMs ?? 2_000);
    for (const nemesis of o.faults) {
      if (o.deadline !== undefined && Date.now() > o.deadline) break;
      const reason = await nemesis.unavailable(cluster);
      if (reason !== undefined) {
        log.warn({ nemesis: nemesis.name, reason }, 'nemesis unavailable here: skipped');
        faults.push({ nemesis: nemesis.name, unavailable: reason });
        continue;
      }
      await cluster.waitHealthy();
      await until('every replica streaming', 120_000, () => replicationSettled(cluster));
      const primary = await cluster.currentPrimary();
      log.info({ nemesis: nemesis.name, primary }, 'injecting fault');
      const injectedAt = now();
      const heal: Heal = await nemesis.inject({ cluster, primary, workload });
      try {
        await sleep(nemesis.holdMs);
      } finally {
        await heal();
      }
      const healedAt = now();
      log.info({ nemesis: nemesis.name }, 'fault healed');
      // A killed postmaster's backends may commit for a few more milliseconds: only writes sent a
      // little after the undo tell that the cluster is back.
      const after = healedAt + TAKES_EFFECT_MS;
      await until(`writes to be acknowledged again after ${nemesis.name}`, o.resumeTimeoutMs ?? 120_000, () =>
        ackedAfter(after),
      );
      const back = await until(`${primary} to accept writes or stream again`, o.oldPrimaryTimeoutMs ?? 60_000, () =>
        oldPrimaryBack(primary, injectedAt, after, 'sentAt'),
      ).catch((err: Error) => {
        log.warn({ nemesis: nemesis.name, err: err.message }, 'the old primary is not back');
        return undefined;
      });
      log.info({ nemesis: nemesis.name, oldPrimaryBack: back }, 'recovered');
      faults.push({ nemesis: nemesis.name, primary, injectedAt, healedAt });
      await sleep(o.settleMs ?? 2_000);
    }
  } finally {
    await workload.stop();
    await sampler.stop();
  }
  const endedAt = now();

  const primary = await until('a primary to read from', 60_000, () => findPrimary(cluster));
  const stored = await readStored(primary.ip, cluster.credentials, o.runId);
  const named = (s: Stamp): Stamp => ({ ...s, server: instanceOf(s.server) });
  const writes = workload.records.map((w) => (w.stamp === undefined ? w : { ...w, stamp: named(w.stamp) }));
  const firstFault = faults.find((f) => f.injectedAt !== undefined)?.injectedAt;
  const rows = stored.map((r) => ({ ...r, stamp: named(r.stamp) }));
  const verdict = check({
    writes,
    stored: rows,
    samples: sampler.samples,
    durability,
    ...(firstFault === undefined ? {} : { window: { from: firstFault, to: endedAt } }),
  });
  // The figures, once the whole history is known: the outage is the longest gap from the fault on,
  // writes were back when it ended, and the old primary was back when it took a write from then on
  // (or streamed as a replica).
  const ackTimes = writes.filter((w) => w.outcome === 'ok').map((w) => w.doneAt);
  const injected = faults.filter((f) => f.injectedAt !== undefined && f.primary !== undefined);
  injected.forEach((f, i) => {
    const from = f.injectedAt as number;
    const gap = writeGap(ackTimes, { from, to: injected[i + 1]?.injectedAt ?? endedAt });
    f.writeGapMs = gap.ms;
    if (gap.to <= from) return;
    f.writesBackMs = gap.to - from;
    const back = oldPrimaryBack(f.primary as string, from, gap.to, 'doneAt');
    if (back !== undefined) f.oldPrimaryBack = back;
  });
  log.info({ verdict: { ...verdict, lost: verdict.lost.length }, faults }, 'run checked');
  return {
    runId: o.runId,
    durability,
    faults,
    verdict,
    records: writes,
    stored: rows,
    connectErrors: workload.connectErrors,
    finalPrimary: primary.name,
    startedAt,
    endedAt,
  };
}
