// Client-node APIs for a kubeconfig file: what every client of an API server (the operator, the
// plugin, the local runtime's node agent and service proxy) starts from.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  ApiextensionsV1Api,
  PolicyV1Api,
} from '@kubernetes/client-node';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The API server's configuration inside a pod, from its projected ServiceAccount; undefined when
 * not in a pod. Under the local runtime container paths live under $CNPG_POD_ROOT
 * (docs/local-runtime.md).
 */
export function inClusterKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig | undefined {
  if (!env.KUBERNETES_SERVICE_HOST) return undefined;
  const root = env.CNPG_POD_ROOT ?? '';
  if (!existsSync(join(root, SERVICE_ACCOUNT_DIR, 'token'))) return undefined;
  const kc = new KubeConfig();
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
