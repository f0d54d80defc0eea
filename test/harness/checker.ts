// The harness's checker: pure functions over what the workload recorded (every write with its
// outcome and, when acknowledged, the server's stamps), what the primary holds at the end, and the
// instance statuses sampled meanwhile. It finds lost acknowledged writes, duplicates, writes that
// failed yet were stored, intervals in which two instances both accepted commits, and the write gap.

/** What the client learned of a write: committed, definitely not committed, or cannot tell. */
export type Outcome = 'ok' | 'failed' | 'unknown';

/** The server's stamps on a write: which instance took it, on which timeline, at what time. */
export interface Stamp {
  /** The instance (pod name, or its address when the name is not known). */
  server: string;
  timeline: number;
  /** Commit time on the server's clock, epoch milliseconds. */
  at: number;
}

export interface WriteRecord {
  id: number;
  client: number;
  /** Client clock, epoch milliseconds: when the INSERT was sent, and when its outcome was known. */
  sentAt: number;
  doneAt: number;
  outcome: Outcome;
  /** Set on acknowledged writes (from RETURNING). */
  stamp?: Stamp;
  error?: string;
}

/** A row the final read found. */
export interface StoredRow {
  id: number;
  stamp: Stamp;
}

/** One reachable instance's answer to GET /pg/status. */
export interface StatusSample {
  at: number;
  instance: string;
  isPrimary: boolean;
}

/** The Cluster's replication promise: only `synchronous` with `dataDurability: required` forbids loss. */
export interface Durability {
  synchronous: boolean;
  dataDurability?: 'required' | 'preferred';
}

export interface Interval {
  from: number;
  to: number;
}

export interface DualPrimary extends Interval {
  instances: [string, string];
}

export interface WriteGap extends Interval {
  ms: number;
}

export interface Verdict {
  acknowledged: number;
  /** Writes the server refused with an error (definitely not committed). */
  rejected: number;
  unknown: number;
  /** Unknown outcomes the final read found (committed after all). */
  unknownStored: number;
  lost: number[];
  duplicates: number[];
  failedButStored: number[];
  /** Intervals in which two instances both accepted commits (from the commit stamps). */
  dualPrimary: DualPrimary[];
  /** Intervals in which two reachable instances both reported themselves primary (informational). */
  statusDualPrimary: DualPrimary[];
  writeGap: WriteGap;
  /** Loss fails the run (synchronous replication with dataDurability: required). */
  lossIsFatal: boolean;
  failed: boolean;
  problems: string[];
}

export const lossIsFatal = (d: Durability): boolean => d.synchronous && (d.dataDurability ?? 'required') === 'required';

/**
 * The largest time between consecutive acknowledged writes whose interval touches `window`
 * (all of them without one). When nothing was acknowledged after `window.from`, the gap runs
 * to `window.to`: writes never resumed within the window.
 */
export function writeGap(ackTimes: number[], window?: Interval): WriteGap {
  const acks = [...ackTimes].sort((a, b) => a - b);
  const from = window?.from ?? Number.NEGATIVE_INFINITY;
  const to = window?.to ?? Number.POSITIVE_INFINITY;
  let best: WriteGap = { ms: 0, from: acks[0] ?? 0, to: acks[0] ?? 0 };
  for (let i = 1; i < acks.length; i++) {
    const a = acks[i - 1] as number;
    const b = acks[i] as number;
    if (b > from && a < to && b - a > best.ms) best = { ms: b - a, from: a, to: b };
  }
  if (window !== undefined && Number.isFinite(to)) {
    const before = acks.filter((t) => t <= from).at(-1);
    const resumed = acks.some((t) => t > from && t <= to);
    if (!resumed) {
      const start = before ?? from;
      if (to - start > best.ms) best = { ms: to - start, from: start, to };
    }
  }
  return best;
}

/** The commit segments of each (instance, timeline): from its first to its last stamped commit. */
function commitSegments(stamps: Stamp[]): { server: string; from: number; to: number }[] {
  const segs = new Map<string, { server: string; from: number; to: number }>();
  for (const s of stamps) {
    const key = `${s.server}\u0000${s.timeline}`;
    const seg = segs.get(key);
    if (seg === undefined) segs.set(key, { server: s.server, from: s.at, to: s.at });
    else {
      seg.from = Math.min(seg.from, s.at);
      seg.to = Math.max(seg.to, s.at);
    }
  }
  return [...segs.values()];
}

function overlaps(segs: { server: string; from: number; to: number }[]): DualPrimary[] {
  const out: DualPrimary[] = [];
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      const a = segs[i] as (typeof segs)[number];
      const b = segs[j] as (typeof segs)[number];
      if (a.server === b.server) continue;
      const from = Math.max(a.from, b.from);
      const to = Math.min(a.to, b.to);
      if (from <= to) out.push({ instances: [a.server, b.server].sort() as [string, string], from, to });
    }
  }
  return out.sort((x, y) => x.from - y.from);
}

/**
 * Intervals in which each instance kept reporting itself primary (consecutive samples of it
 * saying so; a sample saying otherwise, or a long silence, ends the interval).
 */
function primaryReportSegments(samples: StatusSample[], maxSilenceMs: number) {
  const byInstance = new Map<string, StatusSample[]>();
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    byInstance.set(s.instance, [...(byInstance.get(s.instance) ?? []), s]);
  }
  const segs: { server: string; from: number; to: number }[] = [];
  for (const [server, list] of byInstance) {
    let open: { server: string; from: number; to: number } | undefined;
    for (const s of list) {
      if (s.isPrimary && open !== undefined && s.at - open.to <= maxSilenceMs) open.to = s.at;
      else {
        if (open !== undefined) segs.push(open);
        open = s.isPrimary ? { server, from: s.at, to: s.at } : undefined;
      }
    }
    if (open !== undefined) segs.push(open);
  }
  return segs;
}

export interface CheckInput {
  writes: WriteRecord[];
  stored: StoredRow[];
  samples: StatusSample[];
  durability: Durability;
  /** The part of the run whose write gap is reported (the fault and the recovery). */
  window?: Interval;
  /** Status samples further apart than this do not make one continuous report (default 2 s). */
  maxSampleSilenceMs?: number;
}

export function check(input: CheckInput): Verdict {
  const { writes, stored } = input;
  const counts = new Map<number, number>();
  for (const r of stored) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const acked = writes.filter((w) => w.outcome === 'ok');
  const lost = acked.filter((w) => !counts.has(w.id)).map((w) => w.id);
  const failedWrites = writes.filter((w) => w.outcome === 'failed');
  const failedButStored = failedWrites.filter((w) => counts.has(w.id)).map((w) => w.id);
  const unknown = writes.filter((w) => w.outcome === 'unknown');
  const stamps = [...acked.flatMap((w) => (w.stamp === undefined ? [] : [w.stamp])), ...stored.map((r) => r.stamp)];
  const dualPrimary = overlaps(commitSegments(stamps));
  const statusDualPrimary = overlaps(primaryReportSegments(input.samples, input.maxSampleSilenceMs ?? 2_000));
  const fatalLoss = lossIsFatal(input.durability);

  const problems: string[] = [];
  const ids = (xs: number[]) => `${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ', ...' : ''}`;
  if (lost.length > 0) {
    problems.push(
      `${lost.length} acknowledged write(s) lost (ids ${ids(lost)})` +
        (fatalLoss ? '' : ': reported, not failed (the cluster does not require synchronous durability)'),
    );
  }
  if (duplicates.length > 0) problems.push(`${duplicates.length} duplicated write(s) (ids ${ids(duplicates)})`);
  if (failedButStored.length > 0) {
    problems.push(
      `${failedButStored.length} write(s) failed with an error yet were stored (ids ${ids(failedButStored)})`,
    );
  }
  for (const d of dualPrimary) {
    problems.push(
      `${d.instances[0]} and ${d.instances[1]} both accepted commits between ` +
        `${new Date(d.from).toISOString()} and ${new Date(d.to).toISOString()}`,
    );
  }
  return {
    acknowledged: acked.length,
    rejected: failedWrites.length,
    unknown: unknown.length,
    unknownStored: unknown.filter((w) => counts.has(w.id)).length,
    lost,
    duplicates,
    failedButStored,
    dualPrimary,
    statusDualPrimary,
    writeGap: writeGap(
      acked.map((w) => w.doneAt),
      input.window,
    ),
    lossIsFatal: fatalLoss,
    failed:
      (fatalLoss && lost.length > 0) || duplicates.length > 0 || failedButStored.length > 0 || dualPrimary.length > 0,
    problems,
  };
}
