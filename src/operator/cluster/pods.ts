// Instance pods: one per instance whose data directory is ready, created on its existing PVCs, so
// a deleted pod comes back on its own data and rejoins; pods that ended (Succeeded/Failed) are
// deleted so they can be created again.
import { instancePod } from '../specs/pods.ts';
import { PVC_STATUSES } from '../specs/labels.ts';
import { createIfMissing, deleteIfExists } from './apply.ts';
import { primaryHost } from './bootstrap.ts';
import type { ClusterContext } from './context.ts';
import { type InstanceGroup, isPodDeleting, isPodTerminated } from './resources.ts';

/** Delete the instance pods that terminated; returns whether any was. */
export async function deleteTerminatedPods(ctx: ClusterContext, groups: InstanceGroup[]): Promise<boolean> {
  let deleted = false;
  for (const { pod } of groups) {
    if (pod === undefined || isPodDeleting(pod) || !isPodTerminated(pod)) continue;
    ctx.log.info({ pod: pod.metadata?.name, phase: pod.status?.phase }, 'deleting terminated pod');
    deleted = (await deleteIfExists(ctx, { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '' })) || deleted;
  }
  return deleted;
}

/**
 * Create the pod of every instance whose PGDATA is ready and that has none. The target primary
 * starts labelled primary, the others replica (the labels follow the instances' reports later).
 * Returns the names of the pods created.
 */
export async function createMissingPods(ctx: ClusterContext, groups: InstanceGroup[]): Promise<string[]> {
  const missing = groups.filter((g) => g.pod === undefined && g.pvcStatus === PVC_STATUSES.ready);
  if (missing.length === 0) return [];
  const host = await primaryHost(ctx);
  const targetPrimary = ctx.cluster.status?.targetPrimary;
  const created: string[] = [];
  for (const group of missing) {
    const pod = instancePod(ctx.cluster, group.serial, {
      role: group.name === targetPrimary ? 'primary' : 'replica',
      primaryHost: host,
      inheritance: ctx.inheritance,
      ...(ctx.operatorImage === undefined ? {} : { operatorImage: ctx.operatorImage }),
    });
    if (await createIfMissing(ctx, pod)) created.push(group.name);
  }
  return created;
}
