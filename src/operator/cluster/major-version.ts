// A spec image of another PostgreSQL major than the data directories' is not rolled out (in-place
// major upgrades are not built yet; the pods keep the running image: specs/postgres-image.ts). This
// step says so where users look: upstream's "Cluster upgrade delayed" phase with the reason, and a
// `MajorVersionUpgrade` condition; both go once the spec asks for the running major again. The
// pods' `app.kubernetes.io/version` label follows the major each data directory reports.
import { PHASES } from '../../api/v1/cluster-phases.ts';
import type { ClusterStatus } from '../../api/v1/cluster-types.ts';
import { updateStatus } from '../../kube/patch.ts';
import { LABELS } from '../specs/labels.ts';
import { heldMajorChange, heldMajorChangeMessage } from '../specs/postgres-image.ts';
import { MERGE_PATCH } from './apply.ts';
import type { ClusterContext } from './context.ts';
import type { InstanceState } from './instance-status.ts';
import { type StatusCondition, setCondition } from './phases.ts';
import { applyStatusChanges, clusterRef, type StoredCluster } from './status-writer.ts';

const MAJOR_UPGRADE_CONDITION = 'MajorVersionUpgrade';
const MAJOR_UPGRADE_NOT_SUPPORTED = 'NotSupportedYet';

/**
 * Records a held major change in the phase and the condition (true: the cluster waits for the
 * user), or removes the condition of one the user took back (false: go on to the healthy state).
 */
export async function reportMajorVersionChange(ctx: ClusterContext): Promise<boolean> {
  const held = heldMajorChange(ctx.cluster);
  const hasCondition = (ctx.cluster.status?.conditions ?? []).some((c) => c.type === MAJOR_UPGRADE_CONDITION);
  if (held === undefined && !hasCondition) return false;
  const message = held === undefined ? undefined : heldMajorChangeMessage(held);
  if (message !== undefined && ctx.cluster.status?.phaseReason !== message) {
    ctx.log.warn({ ...held }, 'PostgreSQL major version change not rolled out: not supported yet');
  }
  const stored = await updateStatus<StoredCluster>(ctx.objects, clusterRef(ctx.cluster), (current) => {
    // The wire carries conditions as StatusCondition (client-node types their times as Date).
    const next: Record<string, unknown> =
      message === undefined
        ? { ...current.status }
        : { ...applyStatusChanges(current.status, { phase: PHASES.upgradeDelayed, phaseReason: message }) };
    const conditions = (next.conditions ?? []) as StatusCondition[];
    next.conditions =
      message === undefined
        ? conditions.filter((c) => c.type !== MAJOR_UPGRADE_CONDITION)
        : setCondition(conditions, {
            type: MAJOR_UPGRADE_CONDITION,
            status: 'False',
            reason: MAJOR_UPGRADE_NOT_SUPPORTED,
            message,
          });
    return next as ClusterStatus;
  });
  ctx.cluster = { ...ctx.cluster, status: stored.status };
  return message !== undefined;
}

/**
 * The version label of each instance pod says the major its data directory reports (a pod made
 * before the first report carries the image tag's, which the local runtime may not run).
 */
export async function reconcileVersionLabels(ctx: ClusterContext, states: readonly InstanceState[]): Promise<void> {
  for (const state of states) {
    const major = state.report?.pgDataMajorVersion;
    if (major === undefined || state.pod.metadata?.labels?.[LABELS.appVersion] === String(major)) continue;
    await ctx.core.patchNamespacedPod(
      {
        name: state.name,
        namespace: ctx.namespace,
        body: { metadata: { labels: { [LABELS.appVersion]: String(major) } } },
      },
      MERGE_PATCH,
    );
    ctx.log.info({ pod: state.name, major }, 'instance version label updated');
  }
}
