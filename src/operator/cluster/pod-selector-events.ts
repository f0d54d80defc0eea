// Which Clusters a pod event concerns through their podSelectorRefs (upstream maps pod events the
// same way, with a predicate on addresses, labels and deletion). The informer hands over the new
// object only, so what each pod looked like and which Clusters it was selected by are remembered,
// for the pods some Cluster selects: a pod that stops matching wakes the Clusters it left, and a
// pod whose addresses, labels and deletion did not change (a probe, a condition) wakes no one.
// With no Cluster using podSelectorRefs in the pod's namespace, nothing is remembered or woken.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { type InformerEvent, objectKey } from '../../kube/informer.ts';
import { podAddresses, selectsPod } from './pod-selector-refs.ts';

interface Selected {
  /** What the addresses depend on: addresses, labels, deletion, phase. */
  fingerprint: string;
  clusters: string[];
}

export class PodSelectorEvents {
  readonly #clustersIn: (namespace: string) => readonly KubernetesObject[];
  readonly #selected = new Map<string, Selected>();

  /** `clustersIn` lists the Clusters of a namespace (the Cluster informer's cache). */
  constructor(clustersIn: (namespace: string) => readonly KubernetesObject[]) {
    this.#clustersIn = clustersIn;
  }

  /** The keys of the Clusters to reconcile for this event on `pod`. */
  clustersToWake(event: InformerEvent, pod: V1Pod): string[] {
    const key = objectKey(pod);
    const before = this.#selected.get(key);
    const now = event === 'delete' ? [] : this.#selectingClusters(pod);
    if (now.length === 0) this.#selected.delete(key);
    if (event === 'delete') return before?.clusters ?? [];
    const fingerprint = JSON.stringify([podAddresses([pod]), pod.metadata?.labels ?? {}]);
    if (now.length > 0) this.#selected.set(key, { fingerprint, clusters: now });
    if (before?.fingerprint === fingerprint && sameKeys(before.clusters, now)) return [];
    return [...new Set([...(before?.clusters ?? []), ...now])];
  }

  #selectingClusters(pod: V1Pod): string[] {
    const namespace = pod.metadata?.namespace ?? '';
    return this.#clustersIn(namespace)
      .filter((c) => selectsPod(c as Cluster, pod.metadata?.labels))
      .map(objectKey)
      .sort();
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
