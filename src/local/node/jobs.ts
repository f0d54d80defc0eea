// Jobs driven to pods, as the job controller of kube-controller-manager would: up to
// `parallelism` pods at a time until `completions` succeeded, failed pods retried up to
// `backoffLimit`, `activeDeadlineSeconds` and `suspend` honoured, and the Job's conditions
// (Complete / Failed, with SuccessCriteriaMet / FailureTarget) set as Kubernetes 1.31+ does.
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { controllerOf, controllerReference } from '../../kube/owner.ts';
import { WorkQueue } from '../../kube/work-queue.ts';
import { isNotFound } from '../../kube/patch.ts';
import { MERGE_PATCH, objectKey, randomSuffix, startInformer, type WatchedCache } from './kube.ts';
import { kubeTime } from './pod-worker.ts';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

const phaseOf = (p: V1Pod): string => p.status?.phase ?? 'Pending';

export class JobController {
  readonly #kc: KubeConfig;
  readonly #batch: BatchV1Api;
  readonly #core: CoreV1Api;
  readonly #log: Logger;
  readonly #queue: WorkQueue;
  #jobs: WatchedCache<V1Job> | undefined;
  #pods: WatchedCache<V1Pod> | undefined;

  constructor(kc: KubeConfig, log: Logger) {
    this.#kc = kc;
    this.#batch = kc.makeApiClient(BatchV1Api);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#log = log;
    this.#queue = new WorkQueue({ name: 'jobs', handler: (key) => this.#reconcile(key), logger: log });
  }

  async start(): Promise<void> {
    this.#pods = await startInformer<V1Pod>(
      this.#kc,
      '/api/v1/pods',
      () => this.#core.listPodForAllNamespaces({ labelSelector: JOB_NAME_LABEL }),
      this.#log,
      (inf) => inf.on('change', (p) => this.#podChanged(p)),
    );
    this.#jobs = await startInformer<V1Job>(
      this.#kc,
      '/apis/batch/v1/jobs',
      () => this.#batch.listJobForAllNamespaces(),
      this.#log,
      (inf) => inf.on('change', (j) => this.#queue.add(objectKey(j))),
    );
  }

  async stop(): Promise<void> {
    await this.#queue.shutDown();
    await this.#jobs?.stop();
    await this.#pods?.stop();
  }

  #podChanged(pod: V1Pod): void {
    const name = pod.metadata?.labels?.[JOB_NAME_LABEL];
    if (name !== undefined) this.#queue.add(`${pod.metadata?.namespace ?? ''}/${name}`);
  }

  async #reconcile(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const job = this.#jobs?.get(name, namespace);
    if (job === undefined || job.metadata?.deletionTimestamp !== undefined) return;
    const finished = (job.status?.conditions ?? []).some(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    const uid = job.metadata?.uid;
    const list = await this.#core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${name}` });
    const pods = list.items.filter((p) => controllerOf(p)?.uid === uid);
    const active = pods.filter(
      (p) => p.metadata?.deletionTimestamp === undefined && !['Succeeded', 'Failed'].includes(phaseOf(p)),
    );
    const succeeded = pods.filter((p) => phaseOf(p) === 'Succeeded').length;
    const failed = pods.filter((p) => phaseOf(p) === 'Failed').length;
    const spec = job.spec;
    const parallelism = spec?.parallelism ?? 1;
    const completions = spec?.completions ?? (spec?.parallelism === undefined ? 1 : undefined);
    const backoffLimit = spec?.backoffLimit ?? 6;
    const startTime = job.status?.startTime === undefined ? kubeTime() : kubeTime(new Date(job.status.startTime));
    const now = kubeTime();

    let failure: { reason: string; message: string } | undefined;
    let complete = false;
    if (!finished) {
      if (failed > backoffLimit)
        failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      const deadline = spec?.activeDeadlineSeconds;
      if (deadline !== undefined && Date.now() - Date.parse(startTime) >= deadline * 1000) {
        failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      } else if (deadline !== undefined) {
        this.#queue.addAfter(key, Date.parse(startTime) + deadline * 1000 - Date.now() + 50);
      }
      complete =
        failure === undefined &&
        (completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions);
      if (failure !== undefined || complete || spec?.suspend === true) {
        await Promise.all(active.map((p) => this.#deletePod(p)));
      } else {
        const remaining = completions === undefined ? (succeeded > 0 ? 0 : parallelism) : completions - succeeded;
        const want = Math.min(parallelism, remaining) - active.length;
        for (let i = 0; i < want; i++) await this.#createPod(job);
      }
    }

    const conditions = [...(job.status?.conditions ?? [])];
    const addCondition = (type: string, reason?: string, message?: string): void => {
      if (conditions.some((c) => c.type === type)) return;
      conditions.push({
        type,
        status: 'True',
        ...(reason === undefined ? {} : { reason }),
        ...(message === undefined ? {} : { message }),
        lastProbeTime: now as unknown as Date,
        lastTransitionTime: now as unknown as Date,
      });
    };
    if (failure !== undefined) {
      addCondition('FailureTarget', failure.reason, failure.message);
      addCondition('Failed', failure.reason, failure.message);
    } else if (complete) {
      addCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      addCondition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
    }
    const ready = active.filter((p) =>
      (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    const status = {
      startTime,
      active: finished || complete || failure !== undefined ? 0 : active.length,
      succeeded,
      failed,
      ready: ready.length,
      terminating: pods.filter((p) => p.metadata?.deletionTimestamp !== undefined).length,
      conditions,
      ...(complete ? { completionTime: now } : {}),
    };
    const s = job.status;
    const same =
      s?.startTime !== undefined &&
      (s.active ?? 0) === status.active &&
      (s.succeeded ?? 0) === succeeded &&
      (s.failed ?? 0) === failed &&
      (s.ready ?? 0) === status.ready &&
      (s.terminating ?? 0) === status.terminating &&
      (s.conditions ?? []).length === conditions.length;
    if (same) return;
    try {
      await this.#batch.patchNamespacedJobStatus({ name, namespace, body: { status } }, MERGE_PATCH);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #createPod(job: V1Job): Promise<void> {
    const namespace = job.metadata?.namespace ?? 'default';
    const name = job.metadata?.name ?? '';
    const uid = job.metadata?.uid ?? '';
    const tpl = job.spec?.template ?? {};
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...tpl.metadata,
        name: `${name}-${randomSuffix()}`,
        namespace,
        labels: {
          ...tpl.metadata?.labels,
          [JOB_NAME_LABEL]: name,
          'job-name': name,
          [CONTROLLER_UID_LABEL]: uid,
          'controller-uid': uid,
        },
        ownerReferences: [controllerReference({ apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata })],
      },
      spec: tpl.spec ?? { containers: [] },
    };
    await this.#core.createNamespacedPod({ namespace, body: pod });
  }

  async #deletePod(p: V1Pod): Promise<void> {
    try {
      await this.#core.deleteNamespacedPod({
        name: p.metadata?.name ?? '',
        namespace: p.metadata?.namespace ?? 'default',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
