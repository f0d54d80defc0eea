// The PVCs of the instances: created before anything runs on them (PGDATA starts `initializing`
// and becomes `ready` once its bootstrap job completed), kept when pods go, grown when the storage
// configuration asks for more, and removed with their instance on scale-down.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS, PVC_STATUSES } from '../specs/labels.ts';
import { buildInstancePvcs, buildPvc, storageToExpand } from '../specs/pvcs.ts';
import type { PvcRole } from '../specs/names.ts';
import { createIfMissing, deleteIfExists, MERGE_PATCH } from './apply.ts';
import type { ClusterContext } from './context.ts';
import type { InstanceGroup } from './resources.ts';

/** Create every PVC a new instance needs (PGDATA `initializing`). */
export async function createInstancePvcs(ctx: ClusterContext, serial: number): Promise<void> {
  for (const pvc of buildInstancePvcs(ctx.cluster, serial, ctx.inheritance)) await createIfMissing(ctx, pvc);
}

/** Mark the PGDATA PVC of an instance ready: its data directory now holds a usable PostgreSQL. */
export async function markPvcReady(ctx: ClusterContext, group: InstanceGroup): Promise<void> {
  for (const pvc of group.pvcs) {
    if (pvc.metadata?.annotations?.[ANNOTATIONS.pvcStatus] === PVC_STATUSES.ready) continue;
    await ctx.core.patchNamespacedPersistentVolumeClaim(
      {
        name: pvc.metadata?.name ?? '',
        namespace: ctx.namespace,
        body: { metadata: { annotations: { [ANNOTATIONS.pvcStatus]: PVC_STATUSES.ready } } },
      },
      MERGE_PATCH,
    );
    ctx.log.info({ pvc: pvc.metadata?.name }, 'PVC ready');
  }
}

/** Raise the storage request of PVCs whose configuration now asks for more. */
export async function expandPvcs(ctx: ClusterContext, pvcs: V1PersistentVolumeClaim[]): Promise<void> {
  for (const pvc of pvcs) {
    const labels = pvc.metadata?.labels ?? {};
    const serial = Number(pvc.metadata?.annotations?.[ANNOTATIONS.nodeSerial]);
    const role = labels[LABELS.pvcRole] as PvcRole | undefined;
    if (!Number.isInteger(serial) || role === undefined) continue;
    if (role === 'PG_WAL' && ctx.cluster.spec.walStorage === undefined) continue;
    let desired: V1PersistentVolumeClaim;
    try {
      desired = buildPvc(ctx.cluster, { serial, role, tablespace: labels[LABELS.tablespaceName] }, ctx.inheritance);
    } catch {
      continue; // the role is no longer configured (a tablespace removed): nothing to grow
    }
    const size = storageToExpand(pvc, desired);
    if (size === undefined) continue;
    await ctx.core.patchNamespacedPersistentVolumeClaim(
      {
        name: pvc.metadata?.name ?? '',
        namespace: ctx.namespace,
        body: { spec: { resources: { requests: { storage: size } } } },
      },
      MERGE_PATCH,
    );
    ctx.log.info({ pvc: pvc.metadata?.name, size }, 'PVC expanded');
  }
}

/** Delete every PVC of an instance (its data is gone for good: scale-down). */
export async function deleteInstancePvcs(ctx: ClusterContext, group: InstanceGroup): Promise<void> {
  for (const pvc of group.pvcs) {
    await deleteIfExists(ctx, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: pvc.metadata?.name ?? '' });
  }
}
