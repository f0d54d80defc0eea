// The services: `-rw`, `-ro`, `-r` (and `-any` when configured) kept as built, disabled default
// services removed, and the user's `managed.services.additional` patched or replaced per their
// update strategy.
import { isNotFound, mergePatchFor } from '../../kube/patch.ts';
import {
  buildDefaultServices,
  buildManagedServices,
  type ServiceWithMeta,
  serviceUpdateStrategy,
} from '../specs/services.ts';
import { applyObject, deleteIfExists } from './apply.ts';
import type { ClusterContext } from './context.ts';

export async function reconcileServices(ctx: ClusterContext): Promise<void> {
  for (const { service, enabled } of buildDefaultServices(ctx.cluster, ctx.inheritance)) {
    if (enabled) await applyObject(ctx, service);
    else await deleteIfExists(ctx, { apiVersion: 'v1', kind: 'Service', name: service.metadata.name ?? '' });
  }
  for (const service of buildManagedServices(ctx.cluster, ctx.inheritance)) {
    if (serviceUpdateStrategy(service) === 'replace') await replaceIfDifferent(ctx, service);
    else await applyObject(ctx, service);
  }
}

/** The `replace` strategy: a service whose spec differs is deleted and created again. */
async function replaceIfDifferent(ctx: ClusterContext, service: ServiceWithMeta): Promise<void> {
  const name = service.metadata.name ?? '';
  try {
    const current = await ctx.core.readNamespacedService({ name, namespace: ctx.namespace });
    if (mergePatchFor(current.spec, service.spec) === undefined) return;
    await deleteIfExists(ctx, { apiVersion: 'v1', kind: 'Service', name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await applyObject(ctx, service);
}
