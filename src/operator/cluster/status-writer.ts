// Writing a Cluster's status: the fields a reconcile pass computed, merged into the stored status
// through the status subresource (optimistic concurrency, retried on conflicts), with the Ready
// condition following the phase as upstream's RegisterPhase keeps it.
import type { Cluster, ClusterStatus } from '../../api/v1/cluster-types.ts';
import { API_VERSION } from '../../api/v1/kind-definition.ts';
import { type KubeObjectApi, type NamedObject, updateStatus } from '../../kube/patch.ts';
import { readyConditionFor, type StatusCondition, setCondition } from './phases.ts';

export type StoredCluster = Cluster & NamedObject;

/** The status fields one pass sets; `undefined` values remove the field. */
export type StatusChanges = { [K in keyof ClusterStatus]?: ClusterStatus[K] | undefined };

export function clusterRef(cluster: Cluster): NamedObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: cluster.metadata?.name ?? '', namespace: cluster.metadata?.namespace ?? '' },
  };
}

/** The stored status with `changes` applied (and the Ready condition matching the phase). */
export function applyStatusChanges(current: ClusterStatus | undefined, changes: StatusChanges): ClusterStatus {
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  if (changes.phase !== undefined) {
    const conditions = setCondition(next.conditions as StatusCondition[] | undefined, readyConditionFor(changes.phase));
    next.conditions = conditions;
  }
  return next as ClusterStatus;
}

/** Merge `changes` into the stored status; returns the Cluster as stored afterwards. */
export async function writeStatus(
  api: KubeObjectApi,
  cluster: Cluster,
  changes: StatusChanges,
): Promise<StoredCluster> {
  return updateStatus<StoredCluster>(api, clusterRef(cluster), (current) =>
    applyStatusChanges(current.status, changes),
  );
}

/** Upstream's RegisterPhase: the phase, its reason, and the Ready condition. */
export function registerPhase(
  api: KubeObjectApi,
  cluster: Cluster,
  phase: string,
  reason = '',
): Promise<StoredCluster> {
  return writeStatus(api, cluster, { phase, phaseReason: reason === '' ? undefined : reason });
}
