// `cnpg promote CLUSTER INSTANCE`: a switchover, asked as upstream's plugin asks it: the Cluster's
// status names the new target primary and the operator does the rest (the primary steps down,
// the target catches up and is promoted, the former primary follows it).
import type { Command } from 'commander';
import { PHASES } from '../api/v1/cluster-phases.ts';
import { KubeObjectApi, updateStatus } from '../kube/patch.ts';
import type { StoredCluster } from '../operator/cluster/status-writer.ts';
import {
  clusterRef,
  instanceName,
  type KubeTargetFlags,
  onCluster,
  kubeTarget,
  runVerb,
  withKubeTargetOptions,
} from './kube-target.ts';

export async function requestSwitchover(
  objects: KubeObjectApi,
  namespace: string,
  cluster: string,
  instance: string,
): Promise<void> {
  const ref = clusterRef(namespace, cluster);
  await onCluster(namespace, cluster, () =>
    updateStatus<StoredCluster>(objects, ref, (current) => {
      const status = current.status ?? {};
      if (!(status.instanceNames ?? []).includes(instance)) {
        throw new Error(`instance ${instance} is not part of cluster ${namespace}/${cluster}`);
      }
      if (status.currentPrimary === instance && status.targetPrimary === instance) {
        throw new Error(`instance ${instance} is already the primary of cluster ${namespace}/${cluster}`);
      }
      if (status.targetPrimary !== status.currentPrimary) {
        throw new Error(`cluster ${namespace}/${cluster} is already changing primary (to ${status.targetPrimary})`);
      }
      return {
        ...status,
        targetPrimary: instance,
        targetPrimaryTimestamp: new Date().toISOString(),
        phase: PHASES.switchover,
        phaseReason: `Switching over to ${instance}`,
      };
    }),
  );
}

export function registerPromoteCommand(program: Command): void {
  withKubeTargetOptions(
    program
      .command('promote')
      .description('switch the primary over to INSTANCE (a name, or a serial such as 2)')
      .argument('<cluster>', 'the Cluster name')
      .argument('<instance>', 'the instance to promote'),
  ).action((cluster: string, given: string, flags: KubeTargetFlags) =>
    runVerb(async () => {
      const { kc, namespace } = kubeTarget(flags);
      const instance = instanceName(cluster, given);
      await requestSwitchover(KubeObjectApi.forConfig(kc), namespace, cluster, instance);
      process.stdout.write(`Switchover of cluster ${namespace}/${cluster} to ${instance} requested\n`);
    }),
  );
}
