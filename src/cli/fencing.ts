// `cnpg fencing on|off CLUSTER INSTANCE|*`: the `cnpg.io/fencedInstances` annotation, a JSON list
// of instance names (`*` fences every instance), which the instance managers obey: a fenced
// instance stops PostgreSQL and stays not ready; a fenced primary causes no failover.
import type { Command } from 'commander';
import { FENCE_ALL, FENCED_INSTANCES_ANNOTATION, parseFencedInstances } from '../api/v1/fencing.ts';
import { KubeObjectApi } from '../kube/patch.ts';
import {
  clusterRef,
  instanceName,
  type KubeTargetFlags,
  onCluster,
  kubeTarget,
  runVerb,
  withKubeTargetOptions,
} from './kube-target.ts';
import { PatchStrategy } from '@kubernetes/client-node';

/** The annotation's new list after fencing (`on`) or unfencing `instance`. */
export function nextFencedList(current: string | undefined, instance: string, on: boolean): string[] {
  const fenced = parseFencedInstances(current);
  if (fenced === undefined) {
    throw new Error(`the ${FENCED_INSTANCES_ANNOTATION} annotation is not a JSON list: ${current}`);
  }
  const names = new Set(fenced);
  if (on) names.add(instance);
  else if (instance === FENCE_ALL) names.clear();
  else names.delete(instance);
  return [...names].sort();
}

async function setFencing(kc: KubeObjectApi, namespace: string, cluster: string, given: string, on: boolean) {
  const ref = clusterRef(namespace, cluster);
  const instance = given === '*' ? '*' : instanceName(cluster, given);
  await onCluster(namespace, cluster, async () => {
    const current = await kc.read(ref);
    const annotations = current.metadata?.annotations ?? {};
    const names = (current as { status?: { instanceNames?: string[] } }).status?.instanceNames ?? [];
    if (instance !== '*' && !names.includes(instance)) {
      throw new Error(`instance ${instance} is not part of cluster ${namespace}/${cluster}`);
    }
    const list = nextFencedList(annotations[FENCED_INSTANCES_ANNOTATION], instance, on);
    await kc.patch(
      {
        ...ref,
        metadata: {
          ...ref.metadata,
          resourceVersion: current.metadata?.resourceVersion,
          annotations: { [FENCED_INSTANCES_ANNOTATION]: list.length > 0 ? JSON.stringify(list) : null },
        },
      } as never,
      undefined,
      undefined,
      'cnpg-plugin',
      undefined,
      PatchStrategy.MergePatch,
    );
  });
  return instance;
}

export function registerFencingCommand(program: Command): void {
  const fencing = program.command('fencing').description('fence instances (PostgreSQL stopped) or lift the fence');
  for (const on of [true, false]) {
    withKubeTargetOptions(
      fencing
        .command(on ? 'on' : 'off')
        .description(on ? 'fence INSTANCE (or * for every instance)' : 'lift the fence of INSTANCE (or * for all)')
        .argument('<cluster>', 'the Cluster name')
        .argument('<instance>', 'an instance name, a serial such as 2, or *'),
    ).action((cluster: string, given: string, flags: KubeTargetFlags) =>
      runVerb(async () => {
        const { kc, namespace } = kubeTarget(flags);
        const instance = await setFencing(KubeObjectApi.forConfig(kc), namespace, cluster, given, on);
        process.stdout.write(`${instance} ${on ? 'fenced' : 'unfenced'} in cluster ${namespace}/${cluster}\n`);
      }),
    );
  }
}
