// Events on the Cluster a pass works on, with upstream's reasons where upstream records one.
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { API_VERSION } from '../../api/v1/kind-definition.ts';
import type { EventRecorder, EventType } from '../../kube/events.ts';
import type { ClusterContext } from './context.ts';

/** Record an event on `cluster` (its identity as stored: name, namespace, uid, resourceVersion). */
export function recordOn(recorder: EventRecorder, cluster: Cluster, type: EventType, reason: string, message: string) {
  const { name, namespace, uid, resourceVersion } = cluster.metadata ?? {};
  recorder.event(
    { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name, namespace, uid, resourceVersion } },
    type,
    reason,
    message,
  );
}

/** Record an event on the Cluster of this pass. */
export function clusterEvent(ctx: ClusterContext, type: EventType, reason: string, message: string): void {
  recordOn(ctx.recorder, ctx.cluster, type, reason, message);
}
