// Instance pods: one per instance whose data directory is ready, created on its existing PVCs, so
// a deleted pod comes back on its own data and rejoins; pods that ended (Succeeded/Failed) are
// deleted so they can be created again.
import { instancePod } from '../specs/pods.ts';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATIONS, PVC_STATUSES } from '../specs/labels.ts';
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
  const created: string[] = [];
  for (const group of missing) {
    if (await createIfMissing(ctx, desiredPod(ctx, group, host))) created.push(group.name);
  }
  return created;
}

/** The pod an instance should run in now (`host`: where it reaches the primary). */
export function desiredPod(ctx: ClusterContext, group: InstanceGroup, host: string): V1Pod {
  const pod = instancePod(ctx.cluster, group.serial, {
    role: group.name === ctx.cluster.status?.targetPrimary ? 'primary' : 'replica',
    primaryHost: host,
    inheritance: ctx.inheritance,
    ...(ctx.operatorImage === undefined ? {} : { operatorImage: ctx.operatorImage }),
  });
  // `cnpg restart CLUSTER` (kubectl rollout restart's annotation) rolls every pod, as upstream.
  const restartedAt = ctx.cluster.metadata?.annotations?.[ANNOTATIONS.restartedAt];
  if (restartedAt !== undefined && pod.metadata !== undefined) {
    pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATIONS.restartedAt]: restartedAt };
  }
  return pod;
}

/** Why a running pod differs from the one its instance should run in; undefined when it does not. */
export function podDrift(running: V1Pod, desired: V1Pod): string | undefined {
  const have = running.metadata?.annotations ?? {};
  const want = desired.metadata?.annotations ?? {};
  if (have[ANNOTATIONS.podSpec] !== want[ANNOTATIONS.podSpec]) return 'the pod specification changed';
  if (have[ANNOTATIONS.restartedAt] !== want[ANNOTATIONS.restartedAt]) return 'a restart was requested';
  return undefined;
}
