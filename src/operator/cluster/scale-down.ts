// Scale-down: with more instances than `spec.instances`, the highest-numbered replica goes, never
// the primary. Its pod is stopped first (PostgreSQL shuts down cleanly on its data), then its PVCs
// and jobs are deleted; the primary drops its replication slot once the name leaves
// `status.instanceNames`.
import { deleteIfExists } from './apply.ts';
import type { ClusterContext } from './context.ts';
import { clusterEvent } from './events.ts';
import { deleteInstancePvcs } from './pvcs.ts';
import { type InstanceGroup, isPodDeleting } from './resources.ts';

/** The instance to remove: the highest serial that is neither the current nor the target primary. */
export function sacrificialInstance(
  groups: readonly InstanceGroup[],
  primaries: ReadonlySet<string>,
): InstanceGroup | undefined {
  return [...groups].reverse().find((g) => !primaries.has(g.name));
}

/** One step of removing `victim`; resolves once something was done (the caller requeues). */
export async function removeInstance(ctx: ClusterContext, victim: InstanceGroup): Promise<void> {
  const pod = victim.pod;
  if (pod !== undefined) {
    if (!isPodDeleting(pod)) {
      ctx.log.info({ instance: victim.name }, 'scaling down: deleting the instance pod');
      clusterEvent(ctx, 'Normal', 'ScaleDown', `Scaling down - removing instance: ${victim.name}`);
      await deleteIfExists(ctx, { apiVersion: 'v1', kind: 'Pod', name: victim.name });
    }
    return;
  }
  ctx.log.info({ instance: victim.name }, 'scaling down: deleting the instance PVCs and jobs');
  for (const job of victim.jobs) {
    await deleteIfExists(ctx, { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name ?? '' });
  }
  await deleteInstancePvcs(ctx, victim);
}
