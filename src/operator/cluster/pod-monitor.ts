// The Cluster's PodMonitor (`monitoring.enablePodMonitor`), as upstream keeps it: created, then
// patched to the desired spec on every pass (labels and annotations merged, others' kept), deleted
// when disabled if this Cluster owns it. Only where the API server serves monitoring.coreos.com/v1
// PodMonitors: otherwise upstream only logs, and this operator also says so in the PodMonitorCreated
// condition, without failing the cluster.
import { PatchStrategy } from '@kubernetes/client-node';
import { GROUP } from '../../api/v1/kind-definition.ts';
import { controllerNameOfKind } from '../../kube/owner.ts';
import { identity, isNotFound, mergePatchFor, replacingMergePatch } from '../../kube/patch.ts';
import {
  desiredPodMonitor,
  isPodMonitorEnabled,
  POD_MONITOR_API_VERSION,
  POD_MONITOR_KIND,
  POD_MONITOR_PLURAL,
  type PodMonitor,
} from '../specs/pod-monitor.ts';
import { deleteIfExists, FIELD_MANAGER } from './apply.ts';
import type { ClusterContext } from './context.ts';
import { reconcileConditions, type WantedCondition } from './status-conditions.ts';

export const POD_MONITOR_CONDITION = 'PodMonitorCreated';
export const POD_MONITOR_REASONS = { created: 'PodMonitorCreated', notServed: 'PodMonitorCRDNotServed' } as const;

/** The condition when the kind is not served and the spec asks for a PodMonitor. */
export function notServedCondition(): WantedCondition {
  return {
    type: POD_MONITOR_CONDITION,
    status: 'False',
    reason: POD_MONITOR_REASONS.notServed,
    message:
      `spec.monitoring.enablePodMonitor is true, but the API server does not serve ${POD_MONITOR_PLURAL}.` +
      `${POD_MONITOR_API_VERSION.split('/')[0]} (${POD_MONITOR_API_VERSION}): the PodMonitor CRD of the ` +
      'Prometheus Operator is not installed, so no PodMonitor was created',
  };
}

function createdCondition(name: string): WantedCondition {
  return {
    type: POD_MONITOR_CONDITION,
    status: 'True',
    reason: POD_MONITOR_REASONS.created,
    message: `PodMonitor ${name} is up to date`,
  };
}

async function readPodMonitor(ctx: ClusterContext, desired: PodMonitor): Promise<PodMonitor | undefined> {
  try {
    return await ctx.objects.read<PodMonitor>(identity(desired));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function reconcilePodMonitor(ctx: ClusterContext): Promise<void> {
  const enabled = isPodMonitorEnabled(ctx.cluster);
  // Off, and no condition left from when it was on: this Cluster keeps no PodMonitor, and the
  // discovery request and read below would be spent on every pass of every Cluster.
  if (!enabled && !(ctx.cluster.status?.conditions ?? []).some((c) => c.type === POD_MONITOR_CONDITION)) return;
  // Discovery on every pass, as upstream: the CRD may be installed or removed at any time.
  if (!(await ctx.objects.serves(POD_MONITOR_API_VERSION, POD_MONITOR_KIND))) {
    if (enabled) ctx.log.warn('PodMonitor CRD not present. Cannot create the PodMonitor object');
    await reconcileConditions(ctx, { [POD_MONITOR_CONDITION]: enabled ? notServedCondition() : undefined });
    return;
  }
  const desired = desiredPodMonitor(ctx.cluster, ctx.inheritance);
  const current = await readPodMonitor(ctx, desired);
  if (!enabled) {
    if (current !== undefined && controllerNameOfKind(current, 'Cluster', GROUP) === ctx.name) {
      await deleteIfExists(ctx, { apiVersion: POD_MONITOR_API_VERSION, kind: POD_MONITOR_KIND, name: ctx.name });
    }
    await reconcileConditions(ctx, { [POD_MONITOR_CONDITION]: undefined });
    return;
  }
  if (current === undefined) {
    await ctx.objects.create(desired, undefined, undefined, FIELD_MANAGER);
    ctx.log.info({ podMonitor: desired.metadata.name }, 'PodMonitor created');
  } else {
    await patchPodMonitor(ctx, current, desired);
  }
  await reconcileConditions(ctx, { [POD_MONITOR_CONDITION]: createdCondition(desired.metadata.name) });
}

/** The spec as desired exactly; labels and annotations merged (others' kept); owners left alone. */
async function patchPodMonitor(ctx: ClusterContext, current: PodMonitor, desired: PodMonitor): Promise<void> {
  const metadata = mergePatchFor(
    { labels: current.metadata?.labels ?? {}, annotations: current.metadata?.annotations ?? {} },
    { labels: desired.metadata.labels, annotations: desired.metadata.annotations },
  );
  const spec = replacingMergePatch(current.spec ?? {}, desired.spec);
  if (metadata === undefined && spec === undefined) return;
  const id = identity(desired);
  const body = {
    ...id,
    metadata: { ...(metadata as object | undefined), ...id.metadata },
    ...(spec === undefined ? {} : { spec }),
  };
  await ctx.objects.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
  ctx.log.info({ podMonitor: desired.metadata.name }, 'PodMonitor patched');
}
