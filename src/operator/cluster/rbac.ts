// The identity of the instance pods: ServiceAccount, Role and RoleBinding named after the cluster,
// so each instance manager can read its Cluster and secrets through the API server, and nothing more.
import { buildRole, buildRoleBinding, buildServiceAccount } from '../specs/rbac.ts';
import { applyObject } from './apply.ts';
import type { ClusterContext } from './context.ts';

export async function reconcileRbac(ctx: ClusterContext): Promise<void> {
  const account = buildServiceAccount(ctx.cluster, ctx.inheritance);
  if (account !== undefined) await applyObject(ctx, account);
  await applyObject(ctx, buildRole(ctx.cluster, ctx.inheritance));
  await applyObject(ctx, buildRoleBinding(ctx.cluster, ctx.inheritance));
}
