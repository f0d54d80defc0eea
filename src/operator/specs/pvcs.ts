// The PersistentVolumeClaims of an instance: PGDATA (`<instance>`), WAL (`<instance>-wal`) and one
// per tablespace (`<instance>-tbs-<name>`), built from their StorageConfiguration as upstream does:
// the pvcTemplate is the base, then storageClass and size override it, ReadWriteOnce by default.
import type { V1ObjectMeta, V1PersistentVolumeClaim, V1TypedLocalObjectReference } from '@kubernetes/client-node';
import type { Cluster, StorageConfiguration } from '../../api/v1/cluster-types.ts';
import { canonicalQuantity, compareQuantities, isValidQuantity } from '../../api/v1/quantity.ts';
import {
  ANNOTATIONS,
  type InheritanceOptions,
  LABELS,
  MANAGER_NAME,
  PVC_STATUSES,
  type PvcStatus,
  setInheritedDataAndOwnership,
} from './labels.ts';
import { clusterName, clusterNamespace, instanceName, type PvcRole, pvcName } from './names.ts';

/** Upstream's error when a PVC would have no usable storage request. */
export class InvalidStorageSizeError extends Error {
  readonly pvc: string;
  constructor(pvc: string) {
    super('invalid storage size');
    this.pvc = pvc;
  }
}

/** The storage configuration behind a PVC role; throws when the cluster does not define it. */
export function storageConfigurationFor(cluster: Cluster, role: PvcRole, tablespace?: string): StorageConfiguration {
  switch (role) {
    case 'PG_DATA':
      return cluster.spec.storage ?? {};
    case 'PG_WAL':
      if (cluster.spec.walStorage === undefined) throw new Error('the cluster has no walStorage');
      return cluster.spec.walStorage;
    case 'PG_TABLESPACE': {
      const tbs = cluster.spec.tablespaces?.find((t) => t.name === tablespace);
      if (tbs === undefined) {
        throw new Error(
          `storage configuration doesn't exist for the given PVC role: PG_TABLESPACE and label ${tablespace}`,
        );
      }
      return tbs.storage;
    }
  }
}

/** A new PGDATA volume must be initialized (initdb, join...); WAL and tablespace volumes are ready. */
export function initialPvcStatus(role: PvcRole): PvcStatus {
  return role === 'PG_DATA' ? PVC_STATUSES.initializing : PVC_STATUSES.ready;
}

export interface PvcRequest {
  serial: number;
  role: PvcRole;
  tablespace?: string;
  /** Defaults to the role's initial status. */
  status?: PvcStatus;
  /** Snapshot or PVC to clone the volume from (recovery from volume snapshots). */
  source?: V1TypedLocalObjectReference;
}

/** The labels that identify the PVCs of one role of one instance. */
export function pvcLabels(instance: string, role: PvcRole, tablespace?: string): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.instanceName]: instance,
    [LABELS.pvcRole]: role,
    [LABELS.appManagedBy]: MANAGER_NAME,
  };
  if (role === 'PG_TABLESPACE' && tablespace) labels[LABELS.tablespaceName] = tablespace;
  return labels;
}

/** One PVC of an instance; throws InvalidStorageSizeError when it would request no storage. */
export function buildPvc(
  cluster: Cluster,
  req: PvcRequest,
  opts: InheritanceOptions,
): V1PersistentVolumeClaim & { metadata: V1ObjectMeta } {
  const instance = instanceName(clusterName(cluster), req.serial);
  const name = pvcName(instance, req.role, req.tablespace);
  const storage = storageConfigurationFor(cluster, req.role, req.tablespace);
  const spec = structuredClone(storage.pvcTemplate ?? {});
  const metadata: V1ObjectMeta = {
    name,
    namespace: clusterNamespace(cluster),
    annotations: {
      [ANNOTATIONS.nodeSerial]: String(req.serial),
      [ANNOTATIONS.pvcStatus]: req.status ?? initialPvcStatus(req.role),
    },
    labels: pvcLabels(instance, req.role, req.tablespace),
  };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  if (req.source !== undefined) spec.dataSource = req.source;
  if (spec.accessModes === undefined || spec.accessModes.length === 0) spec.accessModes = ['ReadWriteOnce'];
  if (storage.storageClass !== undefined) spec.storageClassName = storage.storageClass;
  if (storage.size) {
    if (!isValidQuantity(storage.size)) throw new InvalidStorageSizeError(name);
    spec.resources = {
      ...spec.resources,
      requests: { ...spec.resources?.requests, storage: canonicalQuantity(storage.size) },
    };
  }
  const requested = spec.resources?.requests?.storage;
  if (requested === undefined || !isValidQuantity(requested) || compareQuantities(requested, 0) === 0) {
    throw new InvalidStorageSizeError(name);
  }
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec };
}

/** Every PVC an instance needs, PGDATA first, then WAL, then tablespaces in spec order. */
export function buildInstancePvcs(
  cluster: Cluster,
  serial: number,
  opts: InheritanceOptions,
): (V1PersistentVolumeClaim & { metadata: V1ObjectMeta })[] {
  const pvcs = [buildPvc(cluster, { serial, role: 'PG_DATA' }, opts)];
  if (cluster.spec.walStorage !== undefined) pvcs.push(buildPvc(cluster, { serial, role: 'PG_WAL' }, opts));
  for (const tbs of cluster.spec.tablespaces ?? []) {
    pvcs.push(buildPvc(cluster, { serial, role: 'PG_TABLESPACE', tablespace: tbs.name }, opts));
  }
  return pvcs;
}

/**
 * The storage request an existing PVC should be raised to, or undefined when it already asks for at
 * least what its configuration wants (volumes grow, never shrink).
 */
export function storageToExpand(
  existing: V1PersistentVolumeClaim,
  desired: V1PersistentVolumeClaim,
): string | undefined {
  const want = desired.spec?.resources?.requests?.storage;
  if (want === undefined) return undefined;
  const have = existing.spec?.resources?.requests?.storage;
  if (have !== undefined && isValidQuantity(have) && compareQuantities(have, want) >= 0) return undefined;
  return want;
}
