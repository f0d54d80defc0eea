// Client-node APIs for a kubeconfig file: what every client of an API server (the operator, the
// plugin, the local runtime's node agent and service proxy) starts from.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster as KubeCluster } from '@kubernetes/client-node';
import type { AgentOptions } from 'node:https';
import { buildConnector } from 'undici';
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type DispatcherOptions,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  ApiextensionsV1Api,
  PolicyV1Api,
} from '@kubernetes/client-node';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * A kubeconfig whose connections leave from a given local address. In a pod every connection leaves
 * from the pod's address; under the local runtime pods share the host's loopback, so a pod's
 * connections to the API server would otherwise come from 127.0.0.1 and survive a cut of the pod's
 * own address (docs/local-runtime.md).
 */
class SourceBoundKubeConfig extends KubeConfig {
  readonly #localAddress: string;

  constructor(localAddress: string) {
    super();
    this.#localAddress = localAddress;
  }

  override createDispatcherOptions(cluster: KubeCluster | null, agentOptions: AgentOptions): DispatcherOptions {
    const options = super.createDispatcherOptions(cluster, agentOptions);
    if (options.type !== 'agent') return options;
    // undici takes the source address from its client, not from the TLS options: wrap its connector.
    const connect = buildConnector(options.connect as buildConnector.BuildOptions);
    const localAddress = this.#localAddress;
    const bound: buildConnector.connector = (opts, callback) => connect({ ...opts, localAddress }, callback);
    // client-node hands `connect` to undici's Agent unchanged, which accepts a connector function.
    return { ...options, connect: bound as unknown as typeof options.connect };
  }
}

/**
 * The API server's configuration inside a pod, from its projected ServiceAccount; undefined when
 * not in a pod. Under the local runtime container paths live under $CNPG_POD_ROOT and connections
 * leave from $CNPG_POD_IP (docs/local-runtime.md).
 */
export function inClusterKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig | undefined {
  if (!env.KUBERNETES_SERVICE_HOST) return undefined;
  const root = env.CNPG_POD_ROOT ?? '';
  if (!existsSync(join(root, SERVICE_ACCOUNT_DIR, 'token'))) return undefined;
  const kc = env.CNPG_POD_IP ? new SourceBoundKubeConfig(env.CNPG_POD_IP) : new KubeConfig();
  kc.loadFromCluster(root);
  return kc;
}

/** The namespace of the pod we run in, from its ServiceAccount, when in a pod. */
export function podNamespace(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = join(env.CNPG_POD_ROOT ?? '', SERVICE_ACCOUNT_DIR, 'namespace');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export function loadKubeConfig(path: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (context !== undefined) kc.setCurrentContext(context);
  return kc;
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  coordination: CoordinationV1Api;
  policy: PolicyV1Api;
  rbac: RbacAuthorizationV1Api;
  apiextensions: ApiextensionsV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

export function kubeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    apiextensions: kc.makeApiClient(ApiextensionsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}
