// The state of every instance, from its own `/pg/status`, read concurrently with a short timeout so
// an unreachable pod delays a pass by one timeout, not one per pod.
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterContext } from './context.ts';
import type { InstanceStatusReport } from './instance-client.ts';
import { isPodDeleting, isPodReady } from './resources.ts';

export interface InstanceState {
  name: string;
  pod: V1Pod;
  podIP: string | undefined;
  ready: boolean;
  /** The instance's report, when it answered. */
  report?: InstanceStatusReport;
  /** Why there is no report. */
  error?: string;
}

export async function collectInstanceStates(ctx: ClusterContext, pods: V1Pod[]): Promise<InstanceState[]> {
  const live = pods.filter((p) => !isPodDeleting(p));
  return Promise.all(
    live.map(async (pod): Promise<InstanceState> => {
      const name = pod.metadata?.name ?? '';
      const podIP = pod.status?.podIP;
      const base = { name, pod, podIP, ready: isPodReady(pod) };
      if (podIP === undefined || pod.status?.phase !== 'Running') return { ...base, error: 'pod not running' };
      try {
        return { ...base, report: await ctx.instances.status(podIP) };
      } catch (err) {
        return { ...base, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** Instances that answered `/pg/status`. */
export const reporting = (states: readonly InstanceState[]): InstanceState[] =>
  states.filter((s) => s.report !== undefined);

/** The instances reporting themselves primary. */
export const primaries = (states: readonly InstanceState[]): InstanceState[] =>
  states.filter((s) => s.report?.isPrimary === true);

/**
 * The major of the data directories, as the instances report it (PG_VERSION): the primary's when it
 * answers, else any instance's; undefined when none reports one.
 */
export function reportedDataMajor(states: readonly InstanceState[]): number | undefined {
  const known = states.filter((s) => s.report?.pgDataMajorVersion !== undefined);
  return (known.find((s) => s.report?.isPrimary) ?? known[0])?.report?.pgDataMajorVersion;
}

/** Upstream's instancesStatus buckets: healthy (ready and reporting), replicating, failed. */
export function instancesStatusMap(states: readonly InstanceState[]): Record<string, string[]> {
  const healthy: string[] = [];
  const failed: string[] = [];
  for (const s of states) (s.report !== undefined && s.ready ? healthy : failed).push(s.name);
  const out: Record<string, string[]> = {};
  if (healthy.length > 0) out.healthy = healthy.sort();
  if (failed.length > 0) out.failed = failed.sort();
  return out;
}
