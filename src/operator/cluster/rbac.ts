// The identity of the instance pods: ServiceAccount, Role and RoleBinding named after the cluster,
// so each instance manager can read its Cluster and secrets through the API server, and nothing more;
// and the primary Lease they coordinate through (created once: its holder is theirs to change).
import { buildPrimaryLease, buildRole, buildRoleBinding, buildServiceAccount } from '../specs/rbac.ts';
import { applyObject, createIfMissing } from './apply.ts';
import type { ClusterContext } from './context.ts';

export async function reconcileRbac(ctx: ClusterContext): Promise<void> {
  const account = buildServiceAccount(ctx.cluster, ctx.inheritance);
  if (account !== undefined) await applyObject(ctx, account);
  await applyObject(ctx, buildRole(ctx.cluster, ctx.inheritance));
  await applyObject(ctx, buildRoleBinding(ctx.cluster, ctx.inheritance));
  await createIfMissing(ctx, buildPrimaryLease(ctx.cluster, ctx.inheritance));
}
