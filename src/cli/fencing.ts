// `cnpg fencing on|off CLUSTER INSTANCE|*`: the `cnpg.io/fencedInstances` annotation, a JSON list
// of instance names (`*` fences every instance), which the instance managers obey: a fenced
// instance stops PostgreSQL and stays not ready; a fenced primary causes no failover.
import type { Command } from 'commander';
import { API_VERSION } from '../api/v1/kind-definition.ts';
import { KubeObjectApi } from '../kube/patch.ts';
import {
  instanceName,
  type KubeTargetFlags,
  onCluster,
  kubeTarget,
  runVerb,
  withKubeTargetOptions,
} from './kube-target.ts';
import { PatchStrategy } from '@kubernetes/client-node';

export const FENCED_INSTANCES = 'cnpg.io/fencedInstances';

/** The annotation's new list after fencing (`on`) or unfencing `instance`. */
export function nextFencedList(current: string | undefined, instance: string, on: boolean): string[] {
  let list: unknown = [];
  try {
    list = current ? JSON.parse(current) : [];
  } catch {
    throw new Error(`the ${FENCED_INSTANCES} annotation is not a JSON list: ${current}`);
  }
  if (!Array.isArray(list)) throw new Error(`the ${FENCED_INSTANCES} annotation is not a JSON list: ${current}`);
  const names = new Set(list.filter((n): n is string => typeof n === 'string'));
  if (on) names.add(instance);
  else if (instance === '*') names.clear();
  else names.delete(instance);
  return [...names].sort();
}

async function setFencing(kc: KubeObjectApi, namespace: string, cluster: string, given: string, on: boolean) {
  const ref = { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: cluster, namespace } };
  const instance = given === '*' ? '*' : instanceName(cluster, given);
  await onCluster(namespace, cluster, async () => {
    const current = await kc.read(ref);
    const annotations = current.metadata?.annotations ?? {};
    const names = (current as { status?: { instanceNames?: string[] } }).status?.instanceNames ?? [];
    if (instance !== '*' && !names.includes(instance)) {
      throw new Error(`instance ${instance} is not part of cluster ${namespace}/${cluster}`);
    }
    const list = nextFencedList(annotations[FENCED_INSTANCES], instance, on);
    await kc.patch(
      {
        ...ref,
        metadata: {
          ...ref.metadata,
          resourceVersion: current.metadata?.resourceVersion,
          annotations: { [FENCED_INSTANCES]: list.length > 0 ? JSON.stringify(list) : null },
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
