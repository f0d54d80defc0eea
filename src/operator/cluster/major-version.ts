// A spec image of another PostgreSQL major than the data directories' is not rolled out (in-place
// major upgrades are not built yet; the pods keep the running image: specs/postgres-image.ts). This
// step says so where users look: upstream's "Cluster upgrade delayed" phase with the reason, and a
// `MajorVersionUpgrade` condition; both go once the spec asks for the running major again. The
// pods' `app.kubernetes.io/version` label follows the major each data directory reports.
import { PHASES } from '../../api/v1/cluster-phases.ts';
import { LABELS } from '../specs/labels.ts';
import { heldMajorChange, heldMajorChangeMessage } from '../specs/postgres-image.ts';
import { MERGE_PATCH } from './apply.ts';
import type { ClusterContext } from './context.ts';
import type { InstanceState } from './instance-status.ts';
import { reconcileConditions } from './status-conditions.ts';
import { registerPhase } from './status-writer.ts';

const MAJOR_UPGRADE_CONDITION = 'MajorVersionUpgrade';
const MAJOR_UPGRADE_NOT_SUPPORTED = 'NotSupportedYet';

/**
 * Records a held major change in the phase and the condition (true: the cluster waits for the
 * user), or removes the condition of one the user took back (false: go on to the healthy state).
 * Writes only what differs from the stored status.
 */
export async function reportMajorVersionChange(ctx: ClusterContext): Promise<boolean> {
  const held = heldMajorChange(ctx.cluster);
  const message = held === undefined ? undefined : heldMajorChangeMessage(held);
  await reconcileConditions(ctx, {
    [MAJOR_UPGRADE_CONDITION]:
      message === undefined
        ? undefined
        : { type: MAJOR_UPGRADE_CONDITION, status: 'False', reason: MAJOR_UPGRADE_NOT_SUPPORTED, message },
  });
  if (message === undefined) return false;
  const status = ctx.cluster.status;
  if (status?.phase !== PHASES.upgradeDelayed || status.phaseReason !== message) {
    ctx.log.warn({ ...held }, 'PostgreSQL major version change not rolled out: not supported yet');
    const stored = await registerPhase(ctx.objects, ctx.cluster, PHASES.upgradeDelayed, message);
    ctx.cluster = { ...ctx.cluster, status: stored.status };
  }
  return true;
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
