// Quorum-based failover (`postgresql.synchronous.failoverQuorum`): the operator keeps a
// FailoverQuorum object named after the Cluster, in which the primary's instance manager records
// the synchronous replication setup PostgreSQL runs with (W = standbyNumber of the N standbyNames).
// A failover promotes only when the replicas the operator can see (R of the listed ones) make
// R + W > N: then at least one of them confirmed every synchronous commit, and the most advanced
// of them has them all. Otherwise nobody is promoted until that changes. Switchovers (and
// `cnpg promote`) are not gated: the old primary hands its last WAL over itself.
import type { FailoverQuorum, FailoverQuorumStatus } from '../../api/v1/failover-quorum-types.ts';
import { API_VERSION } from '../../api/v1/kind-definition.ts';
import { apiErrorMessage, isNotFound } from '../../kube/patch.ts';
import type { ReconcileResult } from '../../kube/work-queue.ts';
import { setInheritedDataAndOwnership } from '../specs/labels.ts';
import { createIfMissing, deleteIfExists } from './apply.ts';
import type { ClusterContext } from './context.ts';
import type { InstanceState } from './instance-status.ts';
import { writeStatus } from './status-writer.ts';

const KIND = 'FailoverQuorum';
/** How soon a held-back failover is looked at again. */
const RECHECK_MS = 1_000;

export const isFailoverQuorumActive = (ctx: ClusterContext): boolean =>
  ctx.cluster.spec.postgresql?.synchronous?.failoverQuorum === true;

/** Creates the FailoverQuorum (owned by the Cluster) while the feature is on, removes it when off. */
export async function reconcileFailoverQuorumObject(ctx: ClusterContext): Promise<void> {
  if (!isFailoverQuorumActive(ctx)) {
    await deleteIfExists(ctx, { apiVersion: API_VERSION, kind: KIND, name: ctx.name });
    return;
  }
  const metadata = setInheritedDataAndOwnership(
    { name: ctx.name, namespace: ctx.namespace },
    ctx.cluster,
    ctx.inheritance,
  );
  await createIfMissing(ctx, { apiVersion: API_VERSION, kind: KIND, metadata });
}

export type QuorumDecision =
  | { allowed: true; r: number; w: number; n: number; eligible: string[] }
  | { allowed: false; reason: string };

/**
 * Whether a failover from `failedPrimary` may promote one of `promotable` (the replicas that
 * answered and are not fenced), given the recorded setup; when allowed, `eligible` are the listed
 * standbys among them: the new primary must be the most advanced of those.
 */
export function decideFailover(
  record: FailoverQuorumStatus | undefined,
  failedPrimary: string,
  promotable: readonly string[],
): QuorumDecision {
  if (record === undefined) return { allowed: false, reason: 'there is no FailoverQuorum object' };
  const w = record.standbyNumber ?? 0;
  const listed = new Set(record.standbyNames ?? []);
  if (w <= 0 || listed.size === 0) {
    return {
      allowed: false,
      reason: 'the FailoverQuorum holds no synchronous replication setup (reset, or not yet recorded by the primary)',
    };
  }
  if (record.primary !== failedPrimary) {
    // Another primary's setup says nothing about the commits this one acknowledged.
    return {
      allowed: false,
      reason: `the FailoverQuorum was recorded by ${record.primary ?? 'no primary'}, not by ${failedPrimary}`,
    };
  }
  listed.delete(failedPrimary);
  const eligible = [...new Set(promotable)].filter((name) => listed.has(name)).sort();
  const r = eligible.length;
  const n = listed.size;
  if (r + w > n) return { allowed: true, r, w, n, eligible };
  return {
    allowed: false,
    reason:
      `quorum check failed: R + W > N does not hold (R=${r} [${eligible.join(', ')}], W=${w}, ` +
      `N=${n} [${[...listed].sort().join(', ')}])`,
  };
}

export type QuorumGate =
  | { allowed: true; eligible: (s: InstanceState) => boolean }
  | { allowed: false; wait: ReconcileResult };

const everyone: QuorumGate = { allowed: true, eligible: () => true };

/**
 * The failover gate: without failoverQuorum every candidate may be promoted; with it, the decision
 * on the stored FailoverQuorum. A held-back failover is logged and shown as the phase reason.
 */
export async function failoverQuorumGate(
  ctx: ClusterContext,
  failedPrimary: string,
  candidates: readonly InstanceState[],
): Promise<QuorumGate> {
  if (!isFailoverQuorumActive(ctx)) return everyone;
  let decision: QuorumDecision;
  try {
    decision = decideFailover(
      await readRecord(ctx),
      failedPrimary,
      candidates.map((c) => c.name),
    );
  } catch (err) {
    decision = { allowed: false, reason: `cannot read the FailoverQuorum: ${apiErrorMessage(err)}` };
  }
  if (decision.allowed) {
    const { r, w, n, eligible } = decision;
    ctx.log.info({ failed: failedPrimary, r, w, n, eligible }, 'quorum check passed: R + W > N');
    const names = new Set(eligible);
    return { allowed: true, eligible: (s) => names.has(s.name) };
  }
  const reason = `Failover from ${failedPrimary} held back: ${decision.reason}`;
  if (ctx.cluster.status?.phaseReason !== reason) {
    ctx.log.warn({ failed: failedPrimary, reason: decision.reason }, 'failover held back by the failover quorum');
    ctx.cluster = await writeStatus(ctx.objects, ctx.cluster, { phaseReason: reason });
  }
  return { allowed: false, wait: { requeueAfterMs: RECHECK_MS } };
}

async function readRecord(ctx: ClusterContext): Promise<FailoverQuorumStatus | undefined> {
  try {
    const stored = await ctx.objects.read({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: ctx.name, namespace: ctx.namespace },
    });
    return (stored as Pick<FailoverQuorum, 'status'>).status ?? {};
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
