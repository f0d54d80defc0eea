// The role labels (`cnpg.io/instanceRole` and its deprecated twin `role`) follow what each
// instance reports, so the `-rw` Service selects the primary and `-ro` the replicas. A pod that does
// not answer keeps its labels: the operator acts on facts, not on silence. Only the target primary
// is labelled primary: a former primary that still runs as one (a thawed or reconnected instance,
// before it notices it was replaced) must not receive the service's connections.
import { INSTANCE_ROLES, instanceRoleLabels, instanceRoleOf, LABELS } from '../specs/labels.ts';
import { MERGE_PATCH } from './apply.ts';
import type { ClusterContext } from './context.ts';
import type { InstanceState } from './instance-status.ts';

export async function reconcileRoleLabels(ctx: ClusterContext, states: InstanceState[]): Promise<void> {
  for (const state of states) {
    if (state.report === undefined) continue;
    const primary = state.report.isPrimary && state.name === ctx.cluster.status?.targetPrimary;
    const role = primary ? INSTANCE_ROLES.primary : INSTANCE_ROLES.replica;
    const labels = state.pod.metadata?.labels;
    if (instanceRoleOf(labels) === role && labels?.[LABELS.instanceRole] === role) continue;
    await ctx.core.patchNamespacedPod(
      { name: state.name, namespace: ctx.namespace, body: { metadata: { labels: instanceRoleLabels(role) } } },
      MERGE_PATCH,
    );
    ctx.log.info({ pod: state.name, role }, 'instance role label updated');
  }
}
