// Owner references: the link that lets the garbage collector delete what a controller created, and
// that lets a controller find the owner of an object it watches.
import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

/** The identity of an owner: its type and metadata (with the uid the API server gave it). */
export interface OwnerObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; uid?: string } | undefined;
}

/** A controller reference to `owner`, blocking its foreground deletion until this object is gone. */
export function controllerReference(owner: OwnerObject): V1OwnerReference {
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!name || !uid) {
    throw new Error(`cannot reference ${owner.kind} ${name ?? '(unnamed)'} as owner: it has no name or uid yet`);
  }
  return { apiVersion: owner.apiVersion, kind: owner.kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * Make `owner` the controller of the object described by `meta`, replacing any reference to the same
 * owner and clearing the controller flag of others (an object has at most one controller).
 */
export function setControllerReference(meta: V1ObjectMeta, owner: OwnerObject): V1ObjectMeta {
  const ref = controllerReference(owner);
  const others = (meta.ownerReferences ?? [])
    .filter((r) => r.uid !== ref.uid)
    .map((r) => (r.controller ? { ...r, controller: false } : r));
  meta.ownerReferences = [...others, ref];
  return meta;
}

/** The controller reference of an object, if any. */
export function controllerOf(obj: KubernetesObject): V1OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The group of an apiVersion (`postgresql.cnpg.io/v1` → `postgresql.cnpg.io`, `v1` → ''). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The name of the controller of `obj` when it is of the given kind and group (any version), as a
 * controller maps an owned object to the key of its owner.
 */
export function controllerNameOfKind(obj: KubernetesObject, kind: string, group: string): string | undefined {
  const ref = controllerOf(obj);
  if (ref === undefined || ref.kind !== kind || apiGroup(ref.apiVersion) !== group) return undefined;
  return ref.name;
}
