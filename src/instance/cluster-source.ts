// Where the instance manager gets its Cluster: a file (`--cluster-file`, re-read on SIGHUP and
// POST /pg/reload), or, as upstream's instance manager does in a pod, the API server, reached with
// the pod's ServiceAccount (in-cluster configuration) and watched so that changes (status.instanceNames,
// parameters, the fencing annotation...) are applied as they happen.
import { CustomObjectsApi, type KubeConfig, Watch } from '@kubernetes/client-node';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { GROUP } from '../api/v1/kind-definition.ts';
import { inClusterKubeConfig } from '../kube/client.ts';
import type { Logger } from '../log/logger.ts';
import { admitCluster, loadCluster } from './cluster-file.ts';
import { errorMessage, InstanceError } from './errors.ts';

export interface ClusterSource {
  /** What the Cluster is read from, for messages. */
  readonly description: string;
  /** The API server it comes from, which the manager's other clients use too; undefined for a file. */
  readonly kubeConfig: KubeConfig | undefined;
  /** The current Cluster, admitted; InstanceError when it cannot be read or is invalid. */
  load(): Promise<Cluster>;
  /**
   * Resolves when the source answers (the isolation check's probe of the API server). Unlike
   * `load`, it applies nothing, so it must not count as a version the manager has seen.
   */
  reachable(): Promise<void>;
  /**
   * Calls `onChange` with every new valid version until the returned function is called. A file
   * source has nothing to watch (SIGHUP tells the manager to re-read it).
   */
  watch(onChange: (cluster: Cluster) => void, log: Logger): () => void;
}

export function fileClusterSource(path: string, expectedName: string | undefined): ClusterSource {
  return {
    description: `the Cluster file ${path}`,
    kubeConfig: undefined,
    load: () => Promise.resolve(loadCluster(path, expectedName)),
    reachable: () => Promise.resolve(),
    watch: () => () => undefined,
  };
}

/** How long to wait before reading the Cluster again after a watch ended or failed. */
const REWATCH_DELAY_MS = 1000;

/** The pod's in-cluster configuration: its ServiceAccount token and CA, under the pod root locally. */
function podKubeConfig(): KubeConfig {
  const kc = inClusterKubeConfig();
  if (kc === undefined) {
    throw new InstanceError(
      'cannot read the Cluster from the API server: not running in a pod (no KUBERNETES_SERVICE_HOST or ' +
        'ServiceAccount token); pass --cluster-file',
    );
  }
  return kc;
}

interface RawObject {
  metadata?: { resourceVersion?: string };
}

export function apiClusterSource(kc: KubeConfig, namespace: string, name: string): ClusterSource {
  const description = `Cluster ${namespace}/${name}`;
  const api = kc.makeApiClient(CustomObjectsApi);
  let lastVersion: string | undefined;

  const get = async (): Promise<RawObject> => {
    try {
      return (await api.getNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural: 'clusters',
        name,
      })) as RawObject;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) throw new InstanceError(`${description} does not exist`);
      throw new InstanceError(`cannot read ${description} from the API server: ${errorMessage(err)}`);
    }
  };

  return {
    description,
    kubeConfig: kc,
    async load() {
      const raw = await get();
      const cluster = admitCluster(raw, description, name);
      lastVersion = raw.metadata?.resourceVersion;
      return cluster;
    },
    async reachable() {
      await get();
    },
    watch(onChange, log) {
      let stopped = false;
      let abort: AbortController | undefined;
      let lastError = '';
      const deliver = (raw: RawObject) => {
        const version = raw.metadata?.resourceVersion;
        if (version !== undefined && version === lastVersion) return;
        lastVersion = version;
        try {
          onChange(admitCluster(raw, description, name));
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'ignoring an invalid version of the Cluster');
        }
      };
      const reportOnce = (what: string, err: unknown) => {
        const message = `${what}: ${errorMessage(err)}`;
        if (message !== lastError) log.warn({ err: message }, 'Cluster watch interrupted; reading it again');
        lastError = message;
      };
      // Read, then watch from that version; when the watch ends or fails, read again. A watch the
      // API server refuses still leaves a read every REWATCH_DELAY_MS.
      const cycle = async () => {
        while (!stopped) {
          try {
            const raw = await get();
            deliver(raw);
            await new Promise<void>((resolve) => {
              new Watch(kc)
                .watch(
                  `/apis/${GROUP}/v1/namespaces/${namespace}/clusters`,
                  { fieldSelector: `metadata.name=${name}`, resourceVersion: raw.metadata?.resourceVersion },
                  (type, obj: RawObject) => {
                    if (type === 'ADDED' || type === 'MODIFIED') deliver(obj);
                  },
                  (err: unknown) => {
                    if (err !== null && err !== undefined && !stopped) reportOnce('watch', err);
                    resolve();
                  },
                )
                .then(
                  (controller) => {
                    abort = controller;
                    if (stopped) controller.abort();
                  },
                  (err: unknown) => {
                    reportOnce('watch', err);
                    resolve();
                  },
                );
            });
          } catch (err) {
            reportOnce('read', err);
          }
          if (!stopped) await new Promise((resolve) => setTimeout(resolve, REWATCH_DELAY_MS));
        }
      };
      void cycle();
      return () => {
        stopped = true;
        abort?.abort();
      };
    },
  };
}

/** The source the options name: the file when given, else the API server through in-cluster config. */
export function clusterSourceFor(opts: {
  clusterFile?: string;
  clusterName?: string;
  namespace: string;
}): ClusterSource {
  if (opts.clusterFile !== undefined) return fileClusterSource(opts.clusterFile, opts.clusterName);
  if (opts.clusterName === undefined) throw new InstanceError('missing --cluster-file or --cluster-name');
  return apiClusterSource(podKubeConfig(), opts.namespace, opts.clusterName);
}
