// What a Cluster owns right now, read from the API server at the start of each pass (not from a
// lagging cache: a pass must see the PVCs and Jobs the previous one created, or it would create a
// second instance), grouped by instance: its PVCs, its pod and its bootstrap jobs.
import type { V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { GROUP } from '../../api/v1/kind-definition.ts';
import { controllerNameOfKind } from '../../kube/owner.ts';
import { ANNOTATIONS, LABELS, type PvcStatus } from '../specs/labels.ts';
import type { ClusterContext } from './context.ts';

export interface InstanceGroup {
  serial: number;
  /** `<cluster>-<serial>`: pod, PGDATA PVC and host name. */
  name: string;
  pvcs: V1PersistentVolumeClaim[];
  /** The PGDATA PVC's `cnpg.io/pvcStatus` (initializing until its bootstrap job completed). */
  pvcStatus: PvcStatus | undefined;
  pod: V1Pod | undefined;
  jobs: V1Job[];
}

export interface ManagedResources {
  pods: V1Pod[];
  jobs: V1Job[];
  pvcs: V1PersistentVolumeClaim[];
  /** One group per instance that has PVCs or a pod, by serial. */
  groups: InstanceGroup[];
}

/** The serial of an instance name `<cluster>-<n>`, or undefined when it is not one of this cluster's. */
export function serialOf(cluster: string, instance: string | undefined): number | undefined {
  if (instance === undefined || !instance.startsWith(`${cluster}-`)) return undefined;
  const n = Number(instance.slice(cluster.length + 1));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export async function listManagedResources(ctx: ClusterContext): Promise<ManagedResources> {
  const { namespace, name } = ctx;
  const labelSelector = `${LABELS.cluster}=${name}`;
  const [podList, jobList, pvcList] = await Promise.all([
    ctx.core.listNamespacedPod({ namespace, labelSelector }),
    ctx.batch.listNamespacedJob({ namespace, labelSelector }),
    ctx.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
  ]);
  const ours = <T extends V1Pod | V1Job | V1PersistentVolumeClaim>(items: T[]) =>
    items.filter((o) => controllerNameOfKind(o, 'Cluster', GROUP) === name);
  const pods = ours(podList.items).filter((p) => p.metadata?.labels?.[LABELS.podRole] === 'instance');
  const jobs = ours(jobList.items);
  const pvcs = ours(pvcList.items);
  return { pods, jobs, pvcs, groups: groupByInstance(name, pods, jobs, pvcs) };
}

function groupByInstance(
  cluster: string,
  pods: V1Pod[],
  jobs: V1Job[],
  pvcs: V1PersistentVolumeClaim[],
): InstanceGroup[] {
  const groups = new Map<number, InstanceGroup>();
  const group = (serial: number): InstanceGroup => {
    let g = groups.get(serial);
    if (g === undefined) {
      g = { serial, name: `${cluster}-${serial}`, pvcs: [], pvcStatus: undefined, pod: undefined, jobs: [] };
      groups.set(serial, g);
    }
    return g;
  };
  for (const pvc of pvcs) {
    const labels = pvc.metadata?.labels;
    const serial = serialOf(cluster, labels?.[LABELS.instanceName]);
    if (serial === undefined) continue;
    const g = group(serial);
    g.pvcs.push(pvc);
    if (labels?.[LABELS.pvcRole] === 'PG_DATA') {
      g.pvcStatus = pvc.metadata?.annotations?.[ANNOTATIONS.pvcStatus] as PvcStatus | undefined;
    }
  }
  for (const pod of pods) {
    const serial = serialOf(cluster, pod.metadata?.name);
    if (serial !== undefined) group(serial).pod = pod;
  }
  for (const job of jobs) {
    const serial = serialOf(cluster, job.metadata?.labels?.[LABELS.instanceName]) ?? serialOfJobName(cluster, job);
    if (serial === undefined) continue;
    // A job alone does not make an instance: its PVCs do.
    groups.get(serial)?.jobs.push(job);
  }
  return [...groups.values()].sort((a, b) => a.serial - b.serial);
}

/** `<cluster>-<n>-<role>` names the job of instance n. */
function serialOfJobName(cluster: string, job: V1Job): number | undefined {
  const name = job.metadata?.name ?? '';
  const dash = name.lastIndexOf('-');
  return dash < 0 ? undefined : serialOf(cluster, name.slice(0, dash));
}

const conditionTrue = (job: V1Job, type: string) =>
  (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

export const isJobComplete = (job: V1Job): boolean => conditionTrue(job, 'Complete');
export const isJobFailed = (job: V1Job): boolean => conditionTrue(job, 'Failed');
export const isJobRunning = (job: V1Job): boolean => !isJobComplete(job) && !isJobFailed(job);

export const isPodReady = (pod: V1Pod | undefined): boolean =>
  (pod?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const isPodTerminated = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** A pod that exists, is not being deleted and has not terminated (upstream's IsPodActive). */
export const isPodActive = (pod: V1Pod | undefined): pod is V1Pod =>
  pod !== undefined && !isPodDeleting(pod) && !isPodTerminated(pod);

export const isPodDeleting = (pod: V1Pod | undefined): boolean => pod?.metadata?.deletionTimestamp !== undefined;
