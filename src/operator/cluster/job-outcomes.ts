// Why a bootstrap job failed, in one line for the Cluster's phaseReason: the pod's status message
// (e.g. a PostgreSQL major that is not installed) or the last `error:` line of its log, so a bad
// bootstrap stops at once with its reason rather than waiting forever.
import type { V1Job } from '@kubernetes/client-node';
import type { ClusterContext } from './context.ts';

/** The label Kubernetes puts on a Job's pods. */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** One line explaining why `job` failed. */
export async function jobFailureReason(ctx: ClusterContext, job: V1Job): Promise<string> {
  const name = job.metadata?.name ?? '';
  const pods = await ctx.core.listNamespacedPod({
    namespace: ctx.namespace,
    labelSelector: `${JOB_NAME_LABEL}=${name}`,
  });
  const failed = pods.items.filter((p) => p.status?.phase === 'Failed');
  const pod = failed[failed.length - 1];
  let detail = pod?.status?.message ?? '';
  if (pod !== undefined && detail === '') {
    const container = pod.spec?.containers[0]?.name;
    try {
      const log = await ctx.core.readNamespacedPodLog({
        name: pod.metadata?.name ?? '',
        namespace: ctx.namespace,
        ...(container === undefined ? {} : { container }),
        tailLines: 50,
      });
      detail = lastErrorLine(String(log));
    } catch {
      // No log to read (the container never started): the job's condition says what is known.
    }
  }
  if (detail === '') {
    const failedCondition = (job.status?.conditions ?? []).find((c) => c.type === 'Failed' && c.status === 'True');
    detail = failedCondition?.message ?? 'the job failed';
  }
  return `job ${name} failed: ${detail}`;
}

/** The last `error: ...` line a `cnpg instance` command printed, else the last non-empty line. */
export function lastErrorLine(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const error = [...lines].reverse().find((l) => l.startsWith('error: '));
  return error ?? lines[lines.length - 1] ?? '';
}
