// `cnpg restart CLUSTER [INSTANCE]` and `cnpg reload CLUSTER`, as upstream's plugin does them:
// - restart CLUSTER sets `kubectl.kubernetes.io/restartedAt` on the Cluster: every pod is recreated,
//   replicas first, the primary as primaryUpdateStrategy/primaryUpdateMethod say;
// - restart CLUSTER INSTANCE on the primary sets the phase `Primary instance is being restarted
//   in-place` (the operator restarts it without a switchover); on a replica it deletes the pod;
// - reload CLUSTER sets `cnpg.io/reloadedAt`: the instance managers apply the configuration again.
import { CoreV1Api, PatchStrategy } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { KubeObjectApi, updateStatus } from '../kube/patch.ts';
import { PHASES, USER_RESTART_REASON } from '../api/v1/cluster-phases.ts';
import type { StoredCluster } from '../operator/cluster/status-writer.ts';
import { ANNOTATIONS } from '../operator/specs/labels.ts';
import {
  clusterRef,
  instanceName,
  type KubeTargetFlags,
  onCluster,
  kubeTarget,
  runVerb,
  withKubeTargetOptions,
} from './kube-target.ts';

async function annotateCluster(objects: KubeObjectApi, namespace: string, name: string, key: string): Promise<void> {
  await objects.patch(
    { ...clusterRef(namespace, name), metadata: { name, namespace, annotations: { [key]: new Date().toISOString() } } },
    undefined,
    undefined,
    'cnpg-plugin',
    undefined,
    PatchStrategy.MergePatch,
  );
}

async function restartInstance(
  objects: KubeObjectApi,
  core: CoreV1Api,
  namespace: string,
  cluster: string,
  instance: string,
): Promise<string> {
  const current = await objects.read<StoredCluster>(clusterRef(namespace, cluster));
  if (!(current.status?.instanceNames ?? []).includes(instance)) {
    throw new Error(`instance ${instance} is not part of cluster ${namespace}/${cluster}`);
  }
  if (current.status?.currentPrimary !== instance) {
    await core.deleteNamespacedPod({ name: instance, namespace });
    return `pod ${instance} deleted: it restarts on its own volume`;
  }
  await updateStatus<StoredCluster>(objects, clusterRef(namespace, cluster), (c) => ({
    ...c.status,
    phase: PHASES.inplacePrimaryRestart,
    phaseReason: USER_RESTART_REASON,
  }));
  return `primary ${instance} restart requested`;
}

export function registerRestartCommands(program: Command): void {
  withKubeTargetOptions(
    program
      .command('restart')
      .description('rolling restart of every instance, or the restart of INSTANCE (name or serial)')
      .argument('<cluster>', 'the Cluster name')
      .argument('[instance]', 'one instance to restart'),
  ).action((cluster: string, given: string | undefined, flags: KubeTargetFlags) =>
    runVerb(async () => {
      const { kc, namespace } = kubeTarget(flags);
      const objects = KubeObjectApi.forConfig(kc);
      const message = await onCluster(namespace, cluster, async () => {
        if (given === undefined) {
          await annotateCluster(objects, namespace, cluster, ANNOTATIONS.restartedAt);
          return `rolling restart of cluster ${namespace}/${cluster} requested`;
        }
        return restartInstance(objects, kc.makeApiClient(CoreV1Api), namespace, cluster, instanceName(cluster, given));
      });
      process.stdout.write(`${message}\n`);
    }),
  );
  withKubeTargetOptions(
    program
      .command('reload')
      .description('make every instance apply its configuration again')
      .argument('<cluster>', 'the Cluster name'),
  ).action((cluster: string, flags: KubeTargetFlags) =>
    runVerb(async () => {
      const { kc, namespace } = kubeTarget(flags);
      await onCluster(namespace, cluster, () =>
        annotateCluster(KubeObjectApi.forConfig(kc), namespace, cluster, ANNOTATIONS.reloadedAt),
      );
      process.stdout.write(`reload of cluster ${namespace}/${cluster} requested\n`);
    }),
  );
}
