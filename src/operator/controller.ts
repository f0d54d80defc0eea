// The operator process (`cnpg controller`, upstream's `manager controller`): informers on Clusters
// and on what they own, a work queue that never runs one Cluster twice at once and retries with
// back-off, optional leader election on upstream's Lease, the health endpoints the Deployment
// probes, the metrics endpoint, and the Events recorded on Clusters. It runs from a kubeconfig or,
// inside a pod, from the service account (in-cluster).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/v1/kind-definition.ts';
import { podNamespace } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { controllerKey, Informer, ownKey, type ResourceRef } from '../kube/informer.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import { apiErrorMessage, KubeObjectApi } from '../kube/patch.ts';
import { WorkQueue } from '../kube/work-queue.ts';
import { componentLogger, type Logger } from '../log/logger.ts';
import { InstanceClient, type InstanceClientOptions } from './cluster/instance-client.ts';
import { PodSelectorEvents } from './cluster/pod-selector-events.ts';
import { PrimaryMonitor } from './cluster/primary-monitor.ts';
import { ClusterReconciler } from './cluster/reconciler.ts';
import { type HttpEndpoint, serveHttp } from './http-endpoint.ts';
import { OPERATOR_VERSION } from './install/version.ts';
import { OperatorMetrics, startMetricsServer } from './metrics.ts';
import { LABELS } from './specs/labels.ts';

/** Upstream's leader election ID: the Lease every operator replica competes for. */
export const LEADER_ELECTION_ID = 'db9c8771.cnpg.io';
export const DEFAULT_MAX_CONCURRENT_RECONCILES = 10;
const PRIMARY_STATUS_TIMEOUT_MS = 700;
/** The Cluster controller's name (controller-runtime's: the kind, lower case), in metrics and logs. */
export const CLUSTER_CONTROLLER = 'cluster';
/** `source.component` of the Events on Clusters, upstream's recorder name. */
export const EVENT_SOURCE = 'cloudnative-pg';
/** How long a stopping operator waits for the Events still being written. */
const EVENT_FLUSH_MS = 2_000;

const CLUSTERS: ResourceRef = { apiVersion: `${GROUP}/${VERSION}`, kind: 'Cluster', plural: 'clusters' };
const PODS: ResourceRef = { apiVersion: 'v1', kind: 'Pod', plural: 'pods' };
/** The kinds a Cluster owns; their events wake the Cluster up. */
const OWNED: ResourceRef[] = [
  PODS,
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
];

/** The namespace the operator runs in (where its Lease lives). */
export function operatorNamespace(kc: KubeConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPERATOR_NAMESPACE) return env.OPERATOR_NAMESPACE;
  return podNamespace(env) ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** Watch only this namespace (default: every namespace). */
  namespace?: string;
  maxConcurrentReconciles?: number;
  /** Compete for the Lease before reconciling (several replicas: one active). */
  leaderElection?: { namespace: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number };
  /** `/healthz` and `/readyz` (controller-runtime's health probe server); none when absent. */
  healthProbe?: { host: string; port: number };
  /** `/metrics` (controller-runtime's metrics server); none when absent. */
  metrics?: { host: string; port: number };
  /** The operator image instance pods copy the manager from. */
  operatorImage?: string;
  instanceClient?: InstanceClientOptions;
  /** Reconciler timing (see ClusterReconcilerOptions). */
  pollMs?: number;
  healthyResyncMs?: number;
  logger?: Logger;
}

export interface RunningController {
  /** The health probe server's address, when one runs. */
  healthAddress: { host: string; port: number } | undefined;
  /** The metrics server's address, when one runs. */
  metricsAddress: { host: string; port: number } | undefined;
  /** Resolves once this process leads (or at once without leader election) and its caches synced. */
  ready: Promise<void>;
  /** Resolves when this process lost the lease it held (the caller should exit, as upstream does). */
  lostLeadership: Promise<void>;
  stop(): Promise<void>;
}

export async function startController(opts: ControllerOptions): Promise<RunningController> {
  const log = opts.logger ?? componentLogger('controller');
  const kc = opts.kubeConfig;
  const core = kc.makeApiClient(CoreV1Api);
  const recorder = new EventRecorder({ core, component: EVENT_SOURCE, log });
  const metrics = new OperatorMetrics();
  const reconciler = new ClusterReconciler({
    kubeConfig: kc,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    objects: KubeObjectApi.forConfig(kc),
    inheritance: { operatorVersion: OPERATOR_VERSION },
    ...(opts.operatorImage === undefined ? {} : { operatorImage: opts.operatorImage }),
    instances: new InstanceClient(opts.instanceClient),
    recorder,
    log,
    ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
    ...(opts.healthyResyncMs === undefined ? {} : { healthyResyncMs: opts.healthyResyncMs }),
  });
  const workers = new Workers(kc, opts, reconciler, metrics, log);

  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  let lostResolve: () => void = () => {};
  const lostLeadership = new Promise<void>((resolve) => {
    lostResolve = resolve;
  });
  // Ready once the caches synced; a standby replica waiting for the lease is ready too (as upstream,
  // whose readiness is the webhook server's, served by every replica).
  let synced = false;
  let standby = opts.leaderElection !== undefined;
  const health =
    opts.healthProbe === undefined ? undefined : await startHealthServer(opts.healthProbe, () => synced || standby);
  let metricsServer: HttpEndpoint | undefined;
  try {
    metricsServer = opts.metrics === undefined ? undefined : await startMetricsServer(metrics, opts.metrics);
  } catch (err) {
    await health?.close();
    throw err;
  }
  const addresses = { healthAddress: health?.address, metricsAddress: metricsServer?.address };

  const begin = async () => {
    await workers.start();
    synced = true;
    log.info({ namespace: opts.namespace ?? '*' }, 'controller started');
    readyResolve();
  };

  const stopServers = async () => {
    // The last passes' Events, if the API server takes them in time.
    await Promise.race([recorder.flush(), new Promise((resolve) => setTimeout(resolve, EVENT_FLUSH_MS).unref())]);
    await Promise.all([health?.close(), metricsServer?.close()]);
  };
  if (opts.leaderElection === undefined) {
    await begin();
    return {
      ...addresses,
      ready,
      lostLeadership,
      stop: async () => {
        await workers.stop();
        await stopServers();
      },
    };
  }
  const le = opts.leaderElection;
  let stopping = false;
  const elector = new LeaderElector({
    api: kc.makeApiClient(CoordinationV1Api),
    namespace: le.namespace,
    name: LEADER_ELECTION_ID,
    identity: le.identity ?? `${hostname()}_${randomUUID()}`,
    ...(le.leaseDurationMs === undefined ? {} : { leaseDurationMs: le.leaseDurationMs }),
    ...(le.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: le.renewDeadlineMs }),
    onStartedLeading: () => {
      standby = false;
      log.info({ lease: `${le.namespace}/${LEADER_ELECTION_ID}` }, 'acquired the lease: leading');
      begin().catch((err: unknown) => log.error({ err }, 'could not start the controller'));
    },
    onStoppedLeading: () => {
      synced = false;
      if (stopping) return;
      log.error('lost the lease: stopping');
      void workers.stop().then(lostResolve);
    },
    logger: log,
  });
  void elector.run();
  return {
    ...addresses,
    ready,
    lostLeadership,
    stop: async () => {
      stopping = true;
      // Release the lease (a successor need not wait for it to expire) once nothing reconciles.
      await workers.stop();
      await elector.stop();
      await stopServers();
    },
  };
}

/** The informers and the queue: started when this process may reconcile, stopped when it may not. */
class Workers {
  readonly #kc: KubeConfig;
  readonly #opts: ControllerOptions;
  readonly #reconciler: ClusterReconciler;
  readonly #metrics: OperatorMetrics;
  readonly #log: Logger;
  #queue: WorkQueue | undefined;
  #informers: Informer<KubernetesObject>[] = [];
  #monitor: PrimaryMonitor | undefined;

  constructor(
    kc: KubeConfig,
    opts: ControllerOptions,
    reconciler: ClusterReconciler,
    metrics: OperatorMetrics,
    log: Logger,
  ) {
    this.#kc = kc;
    this.#opts = opts;
    this.#reconciler = reconciler;
    this.#metrics = metrics;
    this.#log = log;
    metrics.addController(
      CLUSTER_CONTROLLER,
      opts.maxConcurrentReconciles ?? DEFAULT_MAX_CONCURRENT_RECONCILES,
      () => this.#queue,
    );
  }

  async start(): Promise<void> {
    const queue = new WorkQueue({
      name: CLUSTER_CONTROLLER,
      handler: (key) =>
        this.#metrics.reconcile(CLUSTER_CONTROLLER, async () => {
          try {
            return await this.#reconciler.reconcile(key);
          } catch (err) {
            // The queue logs the failure and retries; the API's message is what tells what went wrong.
            throw new Error(`reconciling Cluster ${key}: ${apiErrorMessage(err)}`);
          }
        }),
      maxConcurrent: this.#opts.maxConcurrentReconciles ?? DEFAULT_MAX_CONCURRENT_RECONCILES,
      backoff: { baseMs: 100, maxMs: 30_000 },
      logger: this.#log,
      metrics: this.#metrics.queueMetrics(CLUSTER_CONTROLLER),
    });
    this.#queue = queue;
    const common = {
      kubeConfig: this.#kc,
      ...(this.#opts.namespace === undefined ? {} : { namespace: this.#opts.namespace }),
      logger: this.#log,
    };
    const clusters = new Informer<KubernetesObject>({ ...common, resource: CLUSTERS });
    clusters.enqueueTo(queue, ownKey);
    const toCluster = controllerKey('Cluster', GROUP);
    const owned = OWNED.map((resource) => {
      const inf = new Informer<KubernetesObject>({
        ...common,
        resource,
        // Only what carries the cluster label can be a Cluster's: the rest of the namespace is noise.
        labelSelector: { matchExpressions: [{ key: LABELS.cluster, operator: 'Exists' }] },
      });
      inf.enqueueTo(queue, toCluster);
      return inf;
    });
    // Any pod may be selected by a Cluster's podSelectorRefs: the pods no Cluster owns are watched
    // too, and pod events (ours and those) wake the Clusters whose selectors pick the pod.
    const otherPods = new Informer<KubernetesObject>({
      ...common,
      resource: PODS,
      labelSelector: { matchExpressions: [{ key: LABELS.cluster, operator: 'DoesNotExist' }] },
    });
    const selected = new PodSelectorEvents((namespace) => clusters.list({ namespace }));
    for (const pods of [otherPods, ...owned.filter((i) => i.resource === PODS)]) {
      pods.on((event, pod) => {
        for (const key of selected.clustersToWake(event, pod)) queue.add(key);
      });
    }
    this.#informers = [clusters, ...owned, otherPods];
    await Promise.all(this.#informers.map((i) => i.start()));
    this.#monitor = new PrimaryMonitor({
      clusters,
      core: this.#kc.makeApiClient(CoreV1Api),
      // Short: a frozen primary must count as failed within the confirmation window.
      instances: new InstanceClient({ ...this.#opts.instanceClient, statusTimeoutMs: PRIMARY_STATUS_TIMEOUT_MS }),
      failures: this.#reconciler.primaryFailures,
      onFailure: (key) => queue.add(key),
      log: this.#log,
    });
    this.#monitor.start();
  }

  async stop(): Promise<void> {
    this.#monitor?.stop();
    this.#monitor = undefined;
    const informers = this.#informers;
    this.#informers = [];
    await Promise.all(informers.map((i) => i.stop()));
    await this.#queue?.shutDown();
    this.#queue = undefined;
  }
}

/** `/healthz` answers while the process runs; `/readyz` when `ready()` says so. */
function startHealthServer(at: { host: string; port: number }, ready: () => boolean): Promise<HttpEndpoint> {
  return serveHttp(at, (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const ok = path === '/healthz' || (path === '/readyz' && ready());
    const known = path === '/healthz' || path === '/readyz';
    res.writeHead(known ? (ok ? 200 : 500) : 404, { 'content-type': 'text/plain' });
    res.end(known ? (ok ? 'ok' : 'not ready') : 'not found');
  });
}
