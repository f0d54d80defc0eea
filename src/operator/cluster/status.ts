// The observed part of a Cluster's status, from what the cluster owns and what its instances
// report: counts, names, the primary, the timeline, the services, the selector the scale
// subresource publishes, the image in use and the one the data directories run with.
import { LABELS, PVC_STATUSES, POD_ROLES } from '../specs/labels.ts';
import { serviceReadName, serviceReadWriteName } from '../specs/names.ts';
import { instanceImage, nextPgDataImageInfo } from '../specs/postgres-image.ts';
import type { ClusterContext } from './context.ts';
import { instancesStatusMap, type InstanceState, primaries, reportedDataMajor } from './instance-status.ts';
import type { ManagedResources } from './resources.ts';
import { isJobRunning, isPodReady } from './resources.ts';
import type { StatusChanges } from './status-writer.ts';

export function observedStatus(
  ctx: ClusterContext,
  resources: ManagedResources,
  states: readonly InstanceState[],
  now: Date = new Date(),
): StatusChanges {
  const current = ctx.cluster.status ?? {};
  const withPvcs = resources.groups.filter((g) => g.pvcs.length > 0);
  const names = withPvcs.map((g) => g.name).sort();
  const reportingPrimaries = primaries(states);
  // Two instances may report primary for a moment (a replaced primary that has not stepped down
  // yet): the target is the one that counts.
  const primary =
    reportingPrimaries.length === 1
      ? reportingPrimaries[0]
      : reportingPrimaries.find((s) => s.name === current.targetPrimary);
  const currentPrimary = primary?.name ?? current.currentPrimary;
  const pvcNames = (status: string) =>
    withPvcs.flatMap((g) => (g.pvcStatus === status ? g.pvcs.map((p) => p.metadata?.name ?? '') : [])).sort();
  const image = instanceImage(ctx.cluster);
  const pgDataImageInfo = nextPgDataImageInfo(ctx.cluster, reportedDataMajor(states));
  const reported: Record<string, { isPrimary: boolean; timeLineID?: number; ip?: string }> = {};
  for (const s of states) {
    if (s.report === undefined) continue;
    reported[s.name] = {
      isPrimary: s.report.isPrimary,
      ...(s.report.timeLineID === undefined ? {} : { timeLineID: s.report.timeLineID }),
      ...(s.podIP === undefined ? {} : { ip: s.podIP }),
    };
  }
  const changes: StatusChanges = {
    instances: withPvcs.length,
    readyInstances: resources.pods.filter(isPodReady).length,
    instanceNames: names,
    instancesStatus: instancesStatusMap(states),
    instancesReportedState: reported,
    writeService: serviceReadWriteName(ctx.name),
    readService: serviceReadName(ctx.name),
    selector: `${LABELS.cluster}=${ctx.name},${LABELS.podRole}=${POD_ROLES.instance}`,
    image,
    ...(pgDataImageInfo === undefined ? {} : { pgDataImageInfo }),
    pvcCount: resources.pvcs.length,
    jobCount: resources.jobs.filter(isJobRunning).length,
    healthyPVC: pvcNames(PVC_STATUSES.ready),
    initializingPVC: pvcNames(PVC_STATUSES.initializing),
  };
  if (currentPrimary !== undefined) {
    changes.currentPrimary = currentPrimary;
    if (currentPrimary !== current.currentPrimary) changes.currentPrimaryTimestamp = microTime(now);
    if (!current.targetPrimary) changes.targetPrimary = currentPrimary;
  }
  if (primary?.report?.timeLineID !== undefined) changes.timelineID = primary.report.timeLineID;
  if (primary?.report?.systemID) changes.systemID = primary.report.systemID;
  return changes;
}

/** Upstream's status timestamps: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
