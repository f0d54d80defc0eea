// Status conditions other than Ready (which follows the phase): set or removed by type, written
// through the status subresource only when they differ from what the Cluster already says.
import type { ClusterStatus } from '../../api/v1/cluster-types.ts';
import { updateStatus } from '../../kube/patch.ts';
import type { ClusterContext } from './context.ts';
import { type StatusCondition, setCondition } from './phases.ts';
import { clusterRef, type StoredCluster } from './status-writer.ts';

export type WantedCondition = Omit<StatusCondition, 'lastTransitionTime'>;

const same = (have: StatusCondition | undefined, want: WantedCondition | undefined): boolean =>
  have === undefined || want === undefined
    ? have === want
    : have.status === want.status && have.reason === want.reason && have.message === want.message;

/** The conditions with each type of `wanted` set, or removed where its value is undefined. */
export function withConditions(
  conditions: readonly StatusCondition[] | undefined,
  wanted: Readonly<Record<string, WantedCondition | undefined>>,
  now: Date = new Date(),
): StatusCondition[] {
  let list = [...(conditions ?? [])];
  for (const [type, condition] of Object.entries(wanted)) {
    list = condition === undefined ? list.filter((c) => c.type !== type) : setCondition(list, condition, now);
  }
  return list;
}

/** Bring the conditions named in `wanted` to their values (undefined: absent); ctx.cluster follows. */
export async function reconcileConditions(
  ctx: ClusterContext,
  wanted: Readonly<Record<string, WantedCondition | undefined>>,
): Promise<void> {
  const current = (ctx.cluster.status?.conditions ?? []) as unknown as StatusCondition[];
  const changed = Object.entries(wanted).some(
    ([type, want]) =>
      !same(
        current.find((c) => c.type === type),
        want,
      ),
  );
  if (!changed) return;
  const stored = await updateStatus<StoredCluster>(ctx.objects, clusterRef(ctx.cluster), (cluster) => {
    const status: ClusterStatus = cluster.status ?? {};
    const conditions = withConditions(status.conditions as unknown as StatusCondition[] | undefined, wanted);
    return { ...status, conditions: conditions as unknown as ClusterStatus['conditions'] };
  });
  ctx.cluster = { ...ctx.cluster, status: stored.status };
}
