// The credential secrets: `<cluster>-app` and, with superuser access, `<cluster>-superuser`. They
// are created once and never rewritten (a new password would lock clients out); secrets the user
// names in the spec are the user's and are only checked for existence by the instances.
import { buildApplicationSecret, buildSuperuserSecret } from '../specs/secrets.ts';
import { createIfMissing } from './apply.ts';
import type { ClusterContext } from './context.ts';

export async function reconcileSecrets(ctx: ClusterContext): Promise<void> {
  for (const secret of [
    buildApplicationSecret(ctx.cluster, ctx.inheritance),
    buildSuperuserSecret(ctx.cluster, ctx.inheritance),
  ]) {
    if (secret !== undefined) await createIfMissing(ctx, secret);
  }
}
