// Noticing a failed primary within a second: the reconciler looks at a healthy cluster only every
// few seconds and a dead process produces no API event (the kubelet's probes take tens of seconds
// to turn a pod unready), so the leader asks each cluster's primary for its status several times a
// second and hands the cluster to the reconciler as soon as an answer is missing or wrong. The
// reconciler confirms the failure (FAILURE_CONFIRM_MS) before acting on it.
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import type { Informer } from '../../kube/informer.ts';
import type { Logger } from '../../log/logger.ts';
import { clusterServerCA } from './certificates.ts';
import type { PrimaryFailures } from './high-availability.ts';
import type { InstanceClient } from './instance-client.ts';

export interface PrimaryMonitorOptions {
  clusters: Informer<KubernetesObject>;
  core: CoreV1Api;
  /** A client with a short status timeout; bound to each cluster's CA here. */
  instances: InstanceClient;
  /** Where failures are timed from (the reconciler confirms them): noted here, cleared on an answer. */
  failures: PrimaryFailures;
  /** Called with `namespace/name` of a cluster whose primary did not answer as one. */
  onFailure: (key: string) => void;
  intervalMs?: number;
  log: Logger;
}

export const PRIMARY_CHECK_INTERVAL_MS = 250;
/** How long a cluster's CA is trusted before it is read again (it changes only on rotation). */
const CA_REFRESH_MS = 60_000;

export class PrimaryMonitor {
  readonly #opts: PrimaryMonitorOptions;
  readonly #inFlight = new Set<string>();
  readonly #clients = new Map<string, { client: InstanceClient; until: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: PrimaryMonitorOptions) {
    this.#opts = opts;
  }

  start(): void {
    this.#timer = setInterval(() => this.#checkAll(), this.#opts.intervalMs ?? PRIMARY_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #checkAll(): void {
    for (const obj of this.#opts.clusters.list()) {
      const cluster = obj as Cluster;
      const status = cluster.status;
      const primary = status?.currentPrimary;
      // Only a settled primary is watched: role changes are the reconciler's own business.
      if (primary === undefined || primary !== status?.targetPrimary) continue;
      const ip = status.instancesReportedState?.[primary]?.ip;
      const key = `${cluster.metadata?.namespace ?? ''}/${cluster.metadata?.name ?? ''}`;
      if (ip === undefined || this.#inFlight.has(key)) continue;
      this.#inFlight.add(key);
      this.#clientFor(key, cluster)
        .then((client) => (client === undefined ? undefined : client.status(ip)))
        .then(
          (report) => (report === undefined ? 'unknown' : report.isPrimary === true ? 'primary' : 'failed'),
          () => 'failed',
        )
        .then((outcome) => {
          if (outcome === 'primary') this.#opts.failures.clear(key);
          if (outcome !== 'failed') return;
          this.#opts.failures.seen(key, Date.now());
          this.#opts.onFailure(key);
        })
        .catch((err: unknown) => this.#opts.log.debug({ err }, 'primary check failed'))
        .finally(() => this.#inFlight.delete(key));
    }
  }

  /** The client trusting this cluster's CA; undefined while the CA cannot be read (nothing to check). */
  async #clientFor(key: string, cluster: Cluster): Promise<InstanceClient | undefined> {
    const cached = this.#clients.get(key);
    if (cached !== undefined && cached.until > Date.now()) return cached.client;
    const ca = await clusterServerCA(this.#opts.core, cluster).catch(() => undefined);
    if (ca === undefined) return undefined;
    const client = this.#opts.instances.withServerCA(ca);
    this.#clients.set(key, { client, until: Date.now() + CA_REFRESH_MS });
    return client;
  }
}
