// Creating, patching and deleting the objects a Cluster owns, tolerating the races a controller
// meets: an object created meanwhile by a previous pass, or already gone when deleted.
import { type KubernetesObject, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createOrPatch, identity, isAlreadyExists, isNotFound, type NamedObject } from '../../kube/patch.ts';
import type { ClusterContext } from './context.ts';

export const FIELD_MANAGER = 'cloudnative-pg';

/** Request options making a typed client's patch a JSON merge patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Bring the object to the desired state (create or patch the fields we set); logs what changed. */
export async function applyObject(ctx: ClusterContext, desired: KubernetesObject): Promise<void> {
  const obj = desired as NamedObject;
  const { outcome } = await createOrPatch(ctx.objects, obj, { fieldManager: FIELD_MANAGER });
  if (outcome !== 'unchanged') ctx.log.info({ kind: obj.kind, name: obj.metadata.name }, `${obj.kind} ${outcome}`);
}

/** Create the object unless it exists; an existing one is left as it is. Returns whether it was created. */
export async function createIfMissing(ctx: ClusterContext, desired: KubernetesObject): Promise<boolean> {
  const obj = desired as NamedObject;
  try {
    await ctx.objects.read(identity(obj));
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await ctx.objects.create(obj, undefined, undefined, FIELD_MANAGER);
    ctx.log.info({ kind: obj.kind, name: obj.metadata.name }, `${obj.kind} created`);
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

/** Delete the object if it exists (background propagation: its dependents follow). */
export async function deleteIfExists(
  ctx: ClusterContext,
  ref: { apiVersion: string; kind: string; name: string },
): Promise<boolean> {
  try {
    await ctx.objects.delete(
      { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ctx.namespace } },
      undefined,
      undefined,
      undefined,
      undefined,
      'Background',
    );
    ctx.log.info({ kind: ref.kind, name: ref.name }, `${ref.kind} deleted`);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
