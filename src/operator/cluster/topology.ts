// `status.topology`: where the instances run, as upstream extracts it on every pass: the distinct
// nodes the instance pods are scheduled on (`nodesUsed`), and for each pod the failure-domain labels
// the spec names, read from the pod (`synchronous.podFailureDomainKeys`) or from its Node
// (`synchronous.nodeFailureDomainKeys`, else `syncReplicaElectionConstraint.nodeLabelsAntiAffinity`).
// Then the SyncReplicationTopologySatisfied condition, when failure-domain keys are set.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Cluster, Topology } from '../../api/v1/cluster-types.ts';
import { SYNC_TOPOLOGY_CONDITION } from '../../api/v1/cluster-validation-postgres.ts';
import { isNotFound } from '../../kube/patch.ts';
import { crossDomainConstraintSatisfied } from '../../postgres/synchronous-standby-names.ts';
import type { ClusterContext } from './context.ts';
import type { StatusCondition } from './phases.ts';

/** The label keys the topology records: from the pods, or from their nodes (never both). */
export function topologyLabelKeys(cluster: Cluster): { pod: string[]; node: string[] } {
  const postgresql = cluster.spec.postgresql;
  const sync = postgresql?.synchronous;
  const pod = sync?.podFailureDomainKeys ?? [];
  const node = sync?.nodeFailureDomainKeys ?? [];
  if (pod.length > 0 || node.length > 0) return { pod, node };
  return { pod: [], node: postgresql?.syncReplicaElectionConstraint?.nodeLabelsAntiAffinity ?? [] };
}

/**
 * The topology of `pods` (`nodes`: the Nodes they run on, by name). A pod lacking a pod label, or a
 * scheduled pod whose Node is unknown when node labels are wanted, fails the whole extraction (an
 * empty topology): merging it into a made-up domain would defeat the constraint.
 */
export function podsTopology(
  pods: readonly V1Pod[],
  nodes: ReadonlyMap<string, V1Node>,
  keys: { pod: readonly string[]; node: readonly string[] },
): Topology {
  const instances: Record<string, Record<string, string>> = {};
  const used = new Set<string>();
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const nodeName = pod.spec?.nodeName ?? '';
    const labels: Record<string, string> = {};
    instances[name] = labels;
    // A pod not scheduled yet uses no node.
    if (nodeName !== '') used.add(nodeName);
    for (const key of keys.pod) {
      const value = pod.metadata?.labels?.[key];
      if (value === undefined) return {};
      labels[key] = value;
    }
    if (keys.node.length === 0) continue;
    const node = nodes.get(nodeName);
    if (node === undefined) return {};
    for (const key of keys.node) labels[key] = node.metadata?.labels?.[key] ?? '';
  }
  return {
    ...(Object.keys(instances).length > 0 ? { instances } : {}),
    ...(used.size > 0 ? { nodesUsed: used.size } : {}),
    successfullyExtracted: true,
  };
}

/** The Nodes the pods are scheduled on, read only when node labels are wanted. */
async function nodesOf(ctx: ClusterContext, pods: readonly V1Pod[]): Promise<Map<string, V1Node>> {
  const nodes = new Map<string, V1Node>();
  const names = new Set(pods.map((p) => p.spec?.nodeName ?? '').filter((n) => n !== ''));
  for (const name of names) {
    try {
      nodes.set(name, await ctx.core.readNode({ name }));
    } catch (err) {
      // A drained and deleted node: the extraction fails, as upstream's.
      if (!isNotFound(err)) throw err;
      ctx.log.debug({ node: name }, 'node not found, skipping pod topology matching');
    }
  }
  return nodes;
}

/** The cluster's topology now, for `status.topology`. */
export async function observedTopology(ctx: ClusterContext, pods: readonly V1Pod[]): Promise<Topology> {
  const keys = topologyLabelKeys(ctx.cluster);
  const nodes = keys.node.length > 0 ? await nodesOf(ctx, pods) : new Map<string, V1Node>();
  return podsTopology(pods, nodes, keys);
}

/** Upstream's reasons for SyncReplicationTopologySatisfied. */
export const SYNC_TOPOLOGY_REASONS = {
  satisfied: 'Satisfied',
  notExtracted: 'TopologyNotExtracted',
  insufficient: 'InsufficientCrossDomainReplicas',
} as const;

/**
 * SyncReplicationTopologySatisfied for the Cluster's status (spec, currentPrimary, instances and
 * topology as stored); undefined when no failure-domain keys are set (the condition is removed).
 */
export function syncTopologyCondition(cluster: Cluster): Omit<StatusCondition, 'lastTransitionTime'> | undefined {
  const sync = cluster.spec.postgresql?.synchronous;
  if ((sync?.podFailureDomainKeys ?? []).length === 0 && (sync?.nodeFailureDomainKeys ?? []).length === 0) {
    return undefined;
  }
  const condition = (status: 'True' | 'False', reason: string, message: string) => ({
    type: SYNC_TOPOLOGY_CONDITION,
    status,
    reason,
    message,
  });
  const topology = cluster.status?.topology;
  if (topology?.successfullyExtracted !== true) {
    return condition(
      'False',
      SYNC_TOPOLOGY_REASONS.notExtracted,
      'Topology labels could not be extracted from pods or nodes.',
    );
  }
  if (topology.instances?.[cluster.status?.currentPrimary ?? ''] === undefined) {
    return condition(
      'False',
      SYNC_TOPOLOGY_REASONS.notExtracted,
      'Topology information for the primary instance is not available.',
    );
  }
  if (crossDomainConstraintSatisfied(cluster) === true) {
    return condition(
      'True',
      SYNC_TOPOLOGY_REASONS.satisfied,
      'Enough electable synchronous standbys are in a different failure domain than the primary.',
    );
  }
  return condition(
    'False',
    SYNC_TOPOLOGY_REASONS.insufficient,
    'Not enough electable synchronous standbys in a different failure domain than the primary; ' +
      'the failure domain constraint is not applied.',
  );
}
