// Rolling out pod changes (a new image, resources, environment, a `cnpg restart CLUSTER`): the
// replicas' pods are recreated one at a time on their PVCs, then the primary's, as
// `primaryUpdateStrategy` (unsupervised, or wait for the user) and `primaryUpdateMethod`
// (switchover to a replica first, or recreate the primary in place) say.
import { deleteIfExists } from './apply.ts';
import { primaryHost } from './bootstrap.ts';
import type { ClusterContext } from './context.ts';
import { clusterEvent } from './events.ts';
import { switchoverToBestReplica } from './high-availability.ts';
import type { InstanceState } from './instance-status.ts';
import { PHASES } from '../../api/v1/cluster-phases.ts';
import { desiredPod, podDrift } from './pods.ts';
import type { InstanceGroup } from './resources.ts';
import type { RolloutOutcome } from './rolling-restart.ts';
import { registerPhase } from './status-writer.ts';

export async function rolloutPodChanges(
  ctx: ClusterContext,
  groups: InstanceGroup[],
  states: InstanceState[],
): Promise<RolloutOutcome> {
  const host = await primaryHost(ctx);
  const primaryName = ctx.cluster.status?.currentPrimary;
  const drifted = groups
    .filter((g) => g.pod !== undefined)
    .map((g) => ({ group: g, reason: podDrift(g.pod as NonNullable<typeof g.pod>, desiredPod(ctx, g, host)) }))
    .filter((d): d is { group: InstanceGroup; reason: string } => d.reason !== undefined);
  const replica = drifted
    .filter((d) => d.group.name !== primaryName)
    .sort((a, b) => a.group.serial - b.group.serial)[0];
  if (replica !== undefined) {
    await recreate(
      ctx,
      replica.group.name,
      PHASES.upgrading,
      `Recreating pod ${replica.group.name}: ${replica.reason}`,
    );
    return 'restarted';
  }
  const primary = drifted.find((d) => d.group.name === primaryName);
  if (primary === undefined || primaryName === undefined) return 'none';
  const spec = ctx.cluster.spec;
  if (spec.primaryUpdateStrategy === 'supervised') {
    const reason =
      `The primary ${primaryName} needs its pod recreated (${primary.reason}): primaryUpdateStrategy is ` +
      'supervised (promote a replica, or delete the pod, to proceed)';
    if (ctx.cluster.status?.phaseReason !== reason)
      await registerPhase(ctx.objects, ctx.cluster, PHASES.waitingForUser, reason);
    return 'waiting';
  }
  if (
    spec.primaryUpdateMethod === 'switchover' &&
    (await switchoverToBestReplica(ctx, states, primaryName, primary.reason))
  ) {
    return 'restarted';
  }
  await recreate(
    ctx,
    primaryName,
    PHASES.inplaceDeletePrimary,
    `Recreating primary pod ${primaryName}: ${primary.reason}`,
  );
  return 'restarted';
}

async function recreate(ctx: ClusterContext, pod: string, phase: string, reason: string): Promise<void> {
  await registerPhase(ctx.objects, ctx.cluster, phase, reason);
  ctx.log.info({ pod }, reason);
  clusterEvent(ctx, 'Normal', 'UpgradingInstance', reason);
  await deleteIfExists(ctx, { apiVersion: 'v1', kind: 'Pod', name: pod });
}
