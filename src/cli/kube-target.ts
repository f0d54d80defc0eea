// What every plugin verb resolves first: the kubeconfig (--kubeconfig, else $KUBECONFIG or
// ~/.kube/config, as kubectl) and the namespace (-n, else the context's, else `default`).
import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { loadKubeConfig } from '../kube/client.ts';
import { API_VERSION } from '../api/v1/kind-definition.ts';
import { apiErrorMessage, isNotFound } from '../kube/patch.ts';

export interface KubeTargetFlags {
  namespace?: string;
  kubeconfig?: string;
}

export function withKubeTargetOptions(command: Command): Command {
  return command
    .option('-n, --namespace <ns>', 'the Cluster namespace (default: the kubeconfig context namespace)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)');
}

export function kubeTarget(flags: KubeTargetFlags): { kc: KubeConfig; namespace: string } {
  let kc: KubeConfig;
  if (flags.kubeconfig !== undefined) {
    try {
      kc = loadKubeConfig(flags.kubeconfig);
    } catch (err) {
      throw new Error(`cannot read the kubeconfig ${flags.kubeconfig}: ${err instanceof Error ? err.message : err}`);
    }
  } else {
    kc = new KubeConfig();
    kc.loadFromDefault();
  }
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { kc, namespace };
}

/** Runs a verb's action: its error becomes one `error: ...` line and exit status 1. */
export async function runVerb(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

/** The reference of Cluster `namespace/name` for the object API. */
export function clusterRef(namespace: string, name: string) {
  return { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name, namespace } };
}

/** An instance given as its name or its serial (`2` is `<cluster>-2`), as upstream's plugin takes it. */
export function instanceName(cluster: string, given: string): string {
  return /^\d+$/.test(given) ? `${cluster}-${given}` : given;
}

/** Runs `action` on Cluster `namespace/cluster`: a missing Cluster and API errors become plain messages. */
export async function onCluster<T>(namespace: string, cluster: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (isNotFound(err)) throw new Error(`cluster ${namespace}/${cluster} not found`);
    throw err instanceof Error && !('code' in err) ? err : new Error(apiErrorMessage(err));
  }
}
