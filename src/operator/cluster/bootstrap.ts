// Creating instances: the first one by an initdb Job on fresh PVCs, every further one by a join Job
// cloning the current primary; the serial is reserved in the status (latestGeneratedNode) before
// anything is created, so serials are never reused even if a pass fails halfway.
import { serviceReadWriteName } from '../specs/names.ts';
import { bootstrapJob, type BootstrapJobKind } from '../specs/jobs.ts';
import { createIfMissing } from './apply.ts';
import type { ClusterContext } from './context.ts';
import { clusterEvent } from './events.ts';
import { PHASES } from '../../api/v1/cluster-phases.ts';
import { createInstancePvcs } from './pvcs.ts';
import { type StoredCluster, writeStatus } from './status-writer.ts';

/**
 * Where instances reach the primary: the `-rw` Service's cluster IP. Upstream uses the Service's
 * DNS name; the IP works wherever the name does, and also where no cluster DNS exists (the local
 * runtime).
 */
export async function primaryHost(ctx: ClusterContext): Promise<string> {
  const name = serviceReadWriteName(ctx.name);
  const service = await ctx.core.readNamespacedService({ name, namespace: ctx.namespace });
  const ip = service.spec?.clusterIP;
  return ip && ip !== 'None' ? ip : name;
}

/** Reserve the next serial and create the PVCs and bootstrap Job of a new instance. */
async function createInstance(
  ctx: ClusterContext,
  kind: BootstrapJobKind,
  source?: { instance: string; host: string },
): Promise<StoredCluster> {
  const serial = (ctx.cluster.status?.latestGeneratedNode ?? 0) + 1;
  const instance = `${ctx.name}-${serial}`;
  const stored = await writeStatus(
    ctx.objects,
    ctx.cluster,
    kind === 'initdb'
      ? {
          latestGeneratedNode: serial,
          phase: PHASES.setupPrimary,
          phaseReason: 'Creating primary instance',
          targetPrimary: instance,
        }
      : { latestGeneratedNode: serial, phase: PHASES.creatingReplica, phaseReason: 'Creating replica' },
  );
  ctx.log.info({ instance, kind }, kind === 'initdb' ? 'creating the primary instance' : 'creating a new replica');
  clusterEvent(
    ctx,
    'Normal',
    'CreatingInstance',
    kind === 'initdb' ? 'Primary instance (initdb)' : `Creating instance ${instance}`,
  );
  await createInstancePvcs(ctx, serial);
  const job = bootstrapJob(ctx.cluster, serial, kind, {
    ...(source === undefined ? {} : { primaryInstance: source.instance }),
    primaryHost: source?.host ?? (await primaryHost(ctx)),
    inheritance: ctx.inheritance,
    ...(ctx.operatorImage === undefined ? {} : { operatorImage: ctx.operatorImage }),
  });
  await createIfMissing(ctx, job);
  return stored;
}

/** The first instance: initdb on new PVCs; it becomes the target primary. */
export function createPrimaryInstance(ctx: ClusterContext): Promise<StoredCluster> {
  return createInstance(ctx, 'initdb');
}

/**
 * A further instance: a replica cloned from the current primary, reached at its pod address (the
 * instance that just reported itself primary; the `-rw` Service only forwards once the primary's
 * readiness probe passed, which would delay every new replica by a probe period).
 */
export function joinReplicaInstance(ctx: ClusterContext, primary: string, primaryIP: string): Promise<StoredCluster> {
  return createInstance(ctx, 'join', { instance: primary, host: primaryIP });
}
