// Deployments driven to pods, as the deployment and replica-set controllers of
// kube-controller-manager would (the local API server has no ReplicaSets: pods are owned by their
// Deployment directly and carry `pod-template-hash`). Rolling updates surge and retire pods
// within maxSurge/maxUnavailable; Recreate removes the old pods first.
import { createHash } from 'node:crypto';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { controllerOf, controllerReference } from '../../kube/owner.ts';
import { WorkQueue } from '../../kube/work-queue.ts';
import { isNotFound } from '../../kube/patch.ts';
import { MERGE_PATCH, objectKey, randomSuffix, stableJson, startInformer, type WatchedCache } from './kube.ts';
import { kubeTime } from './pod-worker.ts';

const HASH_LABEL = 'pod-template-hash';

/** A stable hash of the pod template (names pods and tells new ones from old). */
export function templateHash(d: V1Deployment): string {
  return createHash('sha256')
    .update(stableJson(d.spec?.template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

/** maxSurge / maxUnavailable: an absolute number or a percentage of `replicas`. */
export function scaledValue(
  v: number | string | undefined,
  replicas: number,
  fallback: string,
  roundUp: boolean,
): number {
  const value = v ?? fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number(value) || 0;
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

const isReady = (p: V1Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export class DeploymentController {
  readonly #kc: KubeConfig;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #log: Logger;
  readonly #queue: WorkQueue;
  #deployments: WatchedCache<V1Deployment> | undefined;
  #pods: WatchedCache<V1Pod> | undefined;

  constructor(kc: KubeConfig, log: Logger) {
    this.#kc = kc;
    this.#apps = kc.makeApiClient(AppsV1Api);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#log = log;
    this.#queue = new WorkQueue({ name: 'deployments', handler: (key) => this.#reconcile(key), logger: log });
  }

  async start(): Promise<void> {
    this.#pods = await startInformer<V1Pod>(
      this.#kc,
      '/api/v1/pods',
      () => this.#core.listPodForAllNamespaces({ labelSelector: HASH_LABEL }),
      this.#log,
      (inf) => inf.on('change', (p) => this.#podChanged(p)),
    );
    this.#deployments = await startInformer<V1Deployment>(
      this.#kc,
      '/apis/apps/v1/deployments',
      () => this.#apps.listDeploymentForAllNamespaces(),
      this.#log,
      (inf) => inf.on('change', (d) => this.#queue.add(objectKey(d))),
    );
  }

  async stop(): Promise<void> {
    await this.#queue.shutDown();
    await this.#deployments?.stop();
    await this.#pods?.stop();
  }

  #podChanged(pod: V1Pod): void {
    const uid = controllerOf(pod)?.uid;
    const owner = this.#deployments?.list(pod.metadata?.namespace).find((d) => d.metadata?.uid === uid);
    if (owner !== undefined) this.#queue.add(objectKey(owner));
  }

  async #reconcile(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const d = this.#deployments?.get(name, namespace);
    if (d === undefined || d.metadata?.deletionTimestamp !== undefined) return;
    const uid = d.metadata?.uid;
    // Read from the API server, not the cache: the cache may not show the pods created last round yet.
    const pods = await this.#core.listNamespacedPod({ namespace, labelSelector: HASH_LABEL });
    const owned = pods.items.filter((p) => controllerOf(p)?.uid === uid);
    const live = owned.filter((p) => p.metadata?.deletionTimestamp === undefined);
    const hash = templateHash(d);
    const current = live.filter((p) => p.metadata?.labels?.[HASH_LABEL] === hash);
    const old = live.filter((p) => p.metadata?.labels?.[HASH_LABEL] !== hash);
    const replicas = d.spec?.replicas ?? 1;
    const rolling = d.spec?.strategy?.type !== 'Recreate';
    const surge = rolling ? scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge, replicas, '25%', true) : 0;
    const unavailable = rolling
      ? scaledValue(d.spec?.strategy?.rollingUpdate?.maxUnavailable, replicas, '25%', false)
      : replicas;
    const maxUnavailable = surge === 0 && unavailable === 0 ? 1 : unavailable;

    if (!rolling && old.length > 0) {
      await Promise.all(old.map((p) => this.#deletePod(p)));
    } else if (rolling || owned.length === current.length) {
      // New pods, up to replicas + surge in all.
      const room = Math.max(0, Math.min(replicas - current.length, replicas + surge - live.length));
      for (let i = 0; i < room; i++) await this.#createPod(d, hash);
      // Old pods retire while enough pods stay available.
      const minAvailable = Math.max(0, replicas - maxUnavailable);
      let available = live.filter(isReady).length;
      const retire = [...old].sort((a, b) => Number(isReady(a)) - Number(isReady(b)));
      for (const p of retire) {
        const ready = isReady(p);
        if (ready && available - 1 < minAvailable) break;
        await this.#deletePod(p);
        if (ready) available--;
      }
      // Too many current pods (scaled down): the unready go first.
      const extra = [...current]
        .sort((a, b) => Number(isReady(a)) - Number(isReady(b)))
        .slice(0, Math.max(0, current.length - replicas));
      for (const p of extra) await this.#deletePod(p);
    }
    await this.#updateStatus(d, live, current, replicas, maxUnavailable);
  }

  async #createPod(d: V1Deployment, hash: string): Promise<void> {
    const namespace = d.metadata?.namespace ?? 'default';
    const tpl = d.spec?.template ?? {};
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...tpl.metadata,
        name: `${d.metadata?.name}-${hash}-${randomSuffix()}`,
        namespace,
        labels: { ...tpl.metadata?.labels, [HASH_LABEL]: hash },
        ownerReferences: [controllerReference({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata })],
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

  async #updateStatus(
    d: V1Deployment,
    live: V1Pod[],
    current: V1Pod[],
    replicas: number,
    maxUnavailable: number,
  ): Promise<void> {
    const ready = live.filter(isReady).length;
    const updatedReady = current.filter(isReady).length;
    const available = ready >= replicas - maxUnavailable;
    const complete = current.length === replicas && updatedReady === replicas && live.length === replicas;
    const prev = d.status?.conditions ?? [];
    const cond = (type: string, ok: boolean, reason: string, message: string) => {
      const status = ok ? 'True' : 'False';
      const before = prev.find((c) => c.type === type);
      const transition =
        before?.status === status && before.lastTransitionTime
          ? kubeTime(new Date(before.lastTransitionTime))
          : kubeTime();
      return { type, status, reason, message, lastUpdateTime: kubeTime(), lastTransitionTime: transition };
    };
    const name = d.metadata?.name ?? '';
    const status = {
      observedGeneration: d.metadata?.generation ?? 1,
      replicas: live.length,
      updatedReplicas: current.length,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, replicas - ready),
      conditions: [
        cond(
          'Available',
          available,
          available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        ),
        cond(
          'Progressing',
          true,
          complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          complete
            ? `ReplicaSet "${name}-${templateHash(d)}" has successfully progressed.`
            : `ReplicaSet "${name}-${templateHash(d)}" is progressing.`,
        ),
      ],
    };
    const same =
      d.status?.observedGeneration === status.observedGeneration &&
      d.status?.replicas === status.replicas &&
      d.status?.updatedReplicas === status.updatedReplicas &&
      (d.status?.readyReplicas ?? 0) === status.readyReplicas &&
      prev.length === 2 &&
      status.conditions.every((c) =>
        prev.some((p) => p.type === c.type && p.status === c.status && p.reason === c.reason),
      );
    if (same) return;
    try {
      await this.#apps.patchNamespacedDeploymentStatus(
        { name, namespace: d.metadata?.namespace ?? 'default', body: { status } },
        MERGE_PATCH,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
