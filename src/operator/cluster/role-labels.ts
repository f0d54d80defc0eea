// The role labels (`cnpg.io/instanceRole` and its deprecated twin `role`) follow what each
// instance reports, so the `-rw` Service selects the primary and `-ro` the replicas. A pod that does
// not answer keeps its labels: the operator acts on facts, not on silence. Only the target primary
// is labelled primary: a former primary that still runs as one (a thawed or reconnected instance,
// before it notices it was replaced) must not receive the service's connections. A fenced instance
// has no role label.
import { INSTANCE_ROLES, instanceRoleLabels, instanceRoleOf, LABELS } from '../specs/labels.ts';
import { MERGE_PATCH } from './apply.ts';
import type { ClusterContext } from './context.ts';
import { fencedInstances } from './high-availability.ts';
import type { InstanceState } from './instance-status.ts';

export async function reconcileRoleLabels(ctx: ClusterContext, states: InstanceState[]): Promise<void> {
  const fenced = fencedInstances(ctx);
  for (const state of states) {
    if (fenced.all || fenced.names.has(state.name)) {
      await dropRoleLabels(ctx, state);
      continue;
    }
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

/**
 * A fenced instance leaves the `-rw` and `-ro` selectors as soon as the fence is seen, rather than
 * after its readiness probe notices PostgreSQL stopped (up to a probe period later); the labels
 * come back from its report once the fence is lifted.
 */
async function dropRoleLabels(ctx: ClusterContext, state: InstanceState): Promise<void> {
  const labels = state.pod.metadata?.labels ?? {};
  if (labels[LABELS.instanceRole] === undefined && labels[LABELS.role] === undefined) return;
  await ctx.core.patchNamespacedPod(
    {
      name: state.name,
      namespace: ctx.namespace,
      body: { metadata: { labels: { [LABELS.instanceRole]: null, [LABELS.role]: null } } },
    },
    MERGE_PATCH,
  );
  ctx.log.info({ pod: state.name }, 'fenced instance: role labels removed');
}
