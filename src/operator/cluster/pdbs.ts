// PodDisruptionBudgets: `<cluster>-primary` and `<cluster>` (replicas) as the spec wants them,
// deleted when it does not (enablePDB false, fewer than three instances, maintenance windows).
import { desiredPdbs } from '../specs/pdbs.ts';
import { primaryPdbName, replicasPdbName } from '../specs/names.ts';
import { applyObject, deleteIfExists } from './apply.ts';
import type { ClusterContext } from './context.ts';

export async function reconcilePdbs(ctx: ClusterContext): Promise<void> {
  const { primary, replicas } = desiredPdbs(ctx.cluster, ctx.inheritance);
  const pairs = [
    [primary, primaryPdbName(ctx.name)],
    [replicas, replicasPdbName(ctx.name)],
  ] as const;
  for (const [pdb, name] of pairs) {
    if (pdb !== undefined) await applyObject(ctx, pdb);
    else await deleteIfExists(ctx, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name });
  }
}
