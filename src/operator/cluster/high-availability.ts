// Keeping a primary: failover when the current primary fails, switchover when the user (or a
// rolling update) names another target. Upstream's protocol through the status: `targetPrimary`
// becomes `pending` while a failover picks the most advanced replica, then names it; the former
// primary's instance manager sees that it is no longer the target, stops PostgreSQL and rejoins
// as a standby. The role labels move as soon as roles change, so `-rw` follows at once.
import type { ReconcileResult } from '../../kube/work-queue.ts';
import { compareLsn } from '../../postgres/lsn.ts';
import { INSTANCE_ROLES, instanceRoleLabels } from '../specs/labels.ts';
import { DEFAULT_START_DELAY, DEFAULT_STOP_DELAY } from '../specs/pods.ts';
import { MERGE_PATCH } from './apply.ts';
import type { ClusterContext } from './context.ts';
import { clusterEvent } from './events.ts';
import type { InstanceState } from './instance-status.ts';
import { PENDING_FAILOVER, PHASES } from '../../api/v1/cluster-phases.ts';
import { FENCE_ALL, FENCED_INSTANCES_ANNOTATION, parseFencedInstances } from '../../api/v1/fencing.ts';
import { microTime } from './status.ts';
import { writeStatus } from './status-writer.ts';
import { failoverQuorumGate, type QuorumGate } from './failover-quorum.ts';

/**
 * How long a primary must keep failing before a failover: a single missed status read (a GC pause,
 * a slow disk) must not cost a promotion. The operator's primary monitor reads every 250 ms.
 */
export const FAILURE_CONFIRM_MS = 1_000;
/** How long a switchover waits for the target to receive the old primary's last WAL. */
const CATCH_UP_TIMEOUT_MS = 60_000;
const QUICK = { requeueAfterMs: 200 } as const;

/**
 * When each cluster's primary was first seen failing (in memory: a new leader starts afresh), by
 * the primary monitor's checks or by a reconcile pass, whichever saw it first: a pass reading a
 * frozen primary's status waits out a longer timeout than the monitor's checks.
 */
export class PrimaryFailures {
  readonly #since = new Map<string, number>();

  seen(key: string, at: number): void {
    if (!this.#since.has(key)) this.#since.set(key, at);
  }

  failingFor(key: string, now: number): number {
    const since = this.#since.get(key) ?? now;
    this.#since.set(key, since);
    return now - since;
  }

  clear(key: string): void {
    this.#since.delete(key);
  }
}

/**
 * Whether a primary that does not answer is being restarted on purpose (the operator deleted its pod,
 * or its instance manager restarts PostgreSQL) and still has time to come back: as upstream, a
 * planned restart is no failure. The wait is bounded by what the pod itself is allowed, stopDelay to
 * stop and startDelay to start (past that the kubelet gives up on it too), plus failoverDelay; a
 * primary still silent then is failed over.
 */
function plannedRestartHolds(ctx: ClusterContext, failingMs: number, delayMs: number): boolean {
  const phase = ctx.cluster.status?.phase;
  if (phase !== PHASES.inplaceDeletePrimary && phase !== PHASES.inplacePrimaryRestart) return false;
  const spec = ctx.cluster.spec;
  const allowedMs = ((spec.stopDelay ?? DEFAULT_STOP_DELAY) + (spec.startDelay ?? DEFAULT_START_DELAY)) * 1000;
  if (failingMs < allowedMs + delayMs) return true;
  ctx.log.warn(
    { primary: ctx.cluster.status?.currentPrimary, failingMs },
    'the primary did not come back from its restart',
  );
  return false;
}

/** The instances named in the `cnpg.io/fencedInstances` annotation (`*` is every instance). */
export function fencedInstances(ctx: ClusterContext): { all: boolean; names: Set<string> } {
  const names = new Set(parseFencedInstances(ctx.cluster.metadata?.annotations?.[FENCED_INSTANCES_ANNOTATION]) ?? []);
  return { all: names.has(FENCE_ALL), names };
}

const isFenced = (ctx: ClusterContext, name: string) => {
  const f = fencedInstances(ctx);
  return f.all || f.names.has(name);
};

/** One HA step; a result when this pass must stop here (a role change is under way). */
export async function reconcilePrimary(
  ctx: ClusterContext,
  states: InstanceState[],
  failures: PrimaryFailures,
): Promise<ReconcileResult | undefined> {
  const status = ctx.cluster.status ?? {};
  const current = status.currentPrimary;
  const target = status.targetPrimary;
  const key = `${ctx.namespace}/${ctx.name}`;
  if (current === undefined || target === undefined) return undefined; // still bootstrapping
  if (target === PENDING_FAILOVER) return promoteMostAdvanced(ctx, candidates(ctx, states, current), current);
  if (target !== current) return switchTo(ctx, states, current, target);

  const primary = states.find((s) => s.name === current);
  const delayMs = (ctx.cluster.spec.failoverDelay ?? 0) * 1000;
  const answering = primary?.report?.isPrimary === true || isFenced(ctx, current);
  if (answering || plannedRestartHolds(ctx, failures.failingFor(key, Date.now()), delayMs)) {
    if (answering) failures.clear(key);
    if (status.currentPrimaryFailingSinceTimestamp !== undefined) {
      await writeStatus(ctx.objects, ctx.cluster, { currentPrimaryFailingSinceTimestamp: undefined });
    }
    return undefined;
  }
  const promotable = candidates(ctx, states, current);
  if (promotable.length === 0) return undefined; // nobody could take over
  const failingMs = failures.failingFor(key, Date.now());
  if (status.currentPrimaryFailingSinceTimestamp === undefined) {
    await writeStatus(ctx.objects, ctx.cluster, {
      currentPrimaryFailingSinceTimestamp: new Date(Date.now() - failingMs).toISOString(),
    });
  }
  if (failingMs < FAILURE_CONFIRM_MS + delayMs) return QUICK;
  const quorum = await failoverQuorumGate(ctx, current, promotable);
  if (!quorum.allowed) return quorum.wait; // the primary may still come back: nothing marked pending
  failures.clear(key);
  const reason = primary?.error ?? 'pod not running';
  ctx.log.warn({ primary: current, reason, failingMs }, 'primary failed: failing over');
  clusterEvent(ctx, 'Normal', 'FailingOver', `Current primary isn't healthy, initiating a failover from ${current}`);
  // First make sure -rw no longer reaches it, then record the pending failover.
  await setRole(ctx, current, INSTANCE_ROLES.replica);
  ctx.cluster = await writeStatus(ctx.objects, ctx.cluster, {
    targetPrimary: PENDING_FAILOVER,
    targetPrimaryTimestamp: new Date().toISOString(),
    phase: PHASES.failingOver,
    phaseReason: `Failing over from ${current}`,
  });
  return promoteMostAdvanced(ctx, promotable, current, quorum);
}

/**
 * Starts a switchover to the best replica (a primary update with `primaryUpdateMethod:
 * switchover`); false when no replica could take over.
 */
export async function switchoverToBestReplica(
  ctx: ClusterContext,
  states: InstanceState[],
  primary: string,
  reason: string,
): Promise<boolean> {
  const [chosen] = candidates(ctx, states, primary)
    .filter((s) => s.ready)
    .sort(electionOrder);
  if (chosen === undefined) return false;
  ctx.log.info({ from: primary, to: chosen.name, reason }, 'switching over to update the primary');
  clusterEvent(ctx, 'Normal', 'Switchover', `Initiating switchover to ${chosen.name} to upgrade ${primary}`);
  ctx.cluster = await writeStatus(ctx.objects, ctx.cluster, {
    targetPrimary: chosen.name,
    targetPrimaryTimestamp: new Date().toISOString(),
    phase: PHASES.switchover,
    phaseReason: `Switching over to ${chosen.name}: ${reason}`,
  });
  return true;
}

/** Replicas that may become primary: answering, not fenced, not the failed primary. */
function candidates(ctx: ClusterContext, states: InstanceState[], failed: string): InstanceState[] {
  return states.filter(
    (s) =>
      s.name !== failed &&
      s.report !== undefined &&
      !s.report.isPrimary &&
      s.podIP !== undefined &&
      !isFenced(ctx, s.name),
  );
}

/** Upstream's election: streaming replicas first, then the most WAL received, then replayed. */
function electionOrder(a: InstanceState, b: InstanceState): number {
  const ra = a.report;
  const rb = b.report;
  if ((ra?.isWalReceiverActive ?? false) !== (rb?.isWalReceiverActive ?? false))
    return ra?.isWalReceiverActive ? -1 : 1;
  return (
    compareLsn(rb?.receivedLsn, ra?.receivedLsn) ||
    compareLsn(rb?.replayLsn, ra?.replayLsn) ||
    a.name.localeCompare(b.name)
  );
}

/** `gate`: the quorum decision this pass already made; a pass resuming a pending failover decides anew. */
async function promoteMostAdvanced(
  ctx: ClusterContext,
  promotable: InstanceState[],
  failed: string,
  gate?: QuorumGate,
): Promise<ReconcileResult> {
  const quorum = gate ?? (await failoverQuorumGate(ctx, failed, promotable));
  if (!quorum.allowed) return quorum.wait;
  const [chosen] = promotable.filter(quorum.eligible).sort(electionOrder);
  if (chosen === undefined) {
    ctx.log.warn({ failed }, 'failover pending: no replica can be promoted yet');
    return { requeueAfterMs: 1_000 };
  }
  ctx.log.info(
    { from: failed, to: chosen.name, lsn: chosen.report?.receivedLsn },
    'promoting the most advanced replica',
  );
  clusterEvent(ctx, 'Normal', 'FailoverTarget', `Failing over from ${failed} to ${chosen.name}`);
  ctx.cluster = await writeStatus(ctx.objects, ctx.cluster, {
    targetPrimary: chosen.name,
    targetPrimaryTimestamp: new Date().toISOString(),
    phase: PHASES.failingOver,
    phaseReason: `Failing over from ${failed} to ${chosen.name}`,
  });
  await promote(ctx, chosen);
  return QUICK;
}

/** A switchover to `target`: the old primary steps down, the target catches up and is promoted. */
async function switchTo(
  ctx: ClusterContext,
  states: InstanceState[],
  current: string,
  target: string,
): Promise<ReconcileResult> {
  const next = states.find((s) => s.name === target);
  if (next?.report?.isPrimary === true) return QUICK; // promoted: the status catches up this pass
  if (next?.report === undefined || next.podIP === undefined) {
    ctx.log.warn({ target, reason: next?.error ?? 'no such instance' }, 'switchover waits for its target');
    return { requeueAfterMs: 1_000 };
  }
  const old = states.find((s) => s.name === current);
  let lsn: string | undefined;
  if (old?.report?.isPrimary === true && old.podIP !== undefined) {
    // The target must be streaming from the old primary before it stops, or it would miss the
    // last WAL (after an interrupted failover the old primary may have lost its label: give it back).
    if (next.report.isWalReceiverActive !== true) {
      await setRole(ctx, current, INSTANCE_ROLES.primary);
      ctx.log.info({ target }, 'switchover waits for its target to stream from the primary');
      return { requeueAfterMs: 500 };
    }
    if (ctx.cluster.status?.phase !== PHASES.switchover) {
      ctx.cluster = await writeStatus(ctx.objects, ctx.cluster, {
        phase: PHASES.switchover,
        phaseReason: `Switching over to ${target}`,
      });
    }
    ctx.log.info({ from: current, to: target }, 'switchover: the primary steps down');
    clusterEvent(ctx, 'Normal', 'SwitchingOver', `Switching over from ${current} to ${target}`);
    // The label moves only once it stopped: the standbys stream through -rw, and the service
    // closes the connections of a pod it no longer selects, which would cut them off the last WAL.
    lsn = (await ctx.instances.stepDown(old.podIP, target)).lsn;
    await setRole(ctx, current, INSTANCE_ROLES.replica);
  }
  if (lsn !== undefined) await waitForWal(ctx, next.podIP, lsn);
  await promote(ctx, next);
  return QUICK;
}

/** Waits until the replica at `podIP` has received WAL up to `lsn`. */
async function waitForWal(ctx: ClusterContext, podIP: string, lsn: string): Promise<void> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const report = await ctx.instances.status(podIP).catch(() => undefined);
    const received = report?.receivedLsn ?? report?.replayLsn;
    if (received !== undefined && compareLsn(received, lsn) >= 0) return;
    if (Date.now() > deadline) throw new Error(`the switchover target did not receive the WAL up to ${lsn} in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function promote(ctx: ClusterContext, chosen: InstanceState): Promise<void> {
  await ctx.instances.promote(chosen.podIP as string);
  await setRole(ctx, chosen.name, INSTANCE_ROLES.primary);
  // Recorded now rather than by the next pass, which may first wait out a frozen instance's status
  // timeout: the standbys reconnect to the new primary when they see it.
  ctx.cluster = await writeStatus(ctx.objects, ctx.cluster, {
    currentPrimary: chosen.name,
    currentPrimaryTimestamp: microTime(new Date()),
  });
  ctx.log.info({ primary: chosen.name }, 'new primary promoted');
  clusterEvent(ctx, 'Normal', 'Promoted', `Instance ${chosen.name} promoted to primary`);
}

async function setRole(ctx: ClusterContext, pod: string, role: string): Promise<void> {
  try {
    await ctx.core.patchNamespacedPod(
      { name: pod, namespace: ctx.namespace, body: { metadata: { labels: instanceRoleLabels(role) } } },
      MERGE_PATCH,
    );
  } catch (err) {
    // A deleted pod reaches no client anyway.
    ctx.log.debug({ pod, err: err instanceof Error ? err.message : String(err) }, 'role label not changed');
  }
}
