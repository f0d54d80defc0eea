// spec.podSelectorRefs resolved to addresses (upstream's podselector reconciler): for each named
// selector, the addresses of the pods it selects in the Cluster's namespace, written to
// status.podSelectorRefs, which every instance manager reads to expand `${podselector:NAME}` in
// pg_hba. The list keeps the spec's order and each address list is sorted and unique, so an
// unchanged set of pods never rewrites the status.
import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster, PodSelectorRefStatus } from '../../api/v1/cluster-types.ts';
import { type Labels, LabelSelectorError, matchesSelector, selectorString } from '../../kube/label-selector.ts';
import type { ClusterContext } from './context.ts';

/** Whether any of the Cluster's podSelectorRefs selects a pod with these labels. */
export function selectsPod(cluster: Cluster, labels: Labels | undefined): boolean {
  // `spec?.`: a Cluster of the informer's cache is as stored, not yet admitted by this operator.
  return (cluster.spec?.podSelectorRefs ?? []).some((ref) => matchesSelector(labels, ref.selector));
}

/**
 * The addresses pods answer on, as upstream counts them: every address of a pod that has one and
 * is not being deleted. Pods that have finished (Succeeded, Failed) count no more: their address
 * may already be another pod's.
 */
export function podAddresses(pods: readonly V1Pod[]): string[] {
  const ips = new Set<string>();
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp !== undefined) continue;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const listed = (pod.status?.podIPs ?? []).map((p) => p.ip);
    for (const ip of listed.length > 0 ? listed : [pod.status?.podIP]) if (ip) ips.add(ip);
  }
  return [...ips].sort();
}

/** status.podSelectorRefs for the Cluster's spec, read from the API server; undefined when it has none. */
export async function resolvePodSelectorRefs(ctx: ClusterContext): Promise<PodSelectorRefStatus[] | undefined> {
  const refs = ctx.cluster.spec.podSelectorRefs ?? [];
  if (refs.length === 0) return undefined;
  return Promise.all(
    refs.map(async (ref): Promise<PodSelectorRefStatus> => {
      let labelSelector: string;
      try {
        labelSelector = selectorString(ref.selector);
      } catch (err) {
        // Admission refuses such a selector; one stored before that rule selects nothing.
        if (!(err instanceof LabelSelectorError)) throw err;
        ctx.log.error({ podSelectorRef: ref.name, err: err.message }, 'invalid label selector: it selects no pod');
        return { name: ref.name };
      }
      const pods = await ctx.core.listNamespacedPod({ namespace: ctx.namespace, labelSelector });
      const ips = podAddresses(pods.items);
      return ips.length === 0 ? { name: ref.name } : { name: ref.name, ips };
    }),
  );
}
