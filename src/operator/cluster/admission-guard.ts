// The admission guard: the reconciler runs the same defaulting and validation as the API server's
// webhooks (and `cnpg validate`), because a Cluster can reach the operator without them (webhooks
// not installed, or objects stored before they were). An invalid Cluster is reported in its status
// with upstream's phase and the validation messages, and nothing is created for it.
import { admit } from '../../api/v1/admission.ts';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { kindDefinition } from '../../api/v1/kinds.ts';
import { mergePatchFor } from '../../kube/patch.ts';
import { podPatchProblem } from '../specs/pod-patch.ts';
import { generatedInstancePod } from '../specs/pods.ts';

export type GuardOutcome =
  /** The defaulted Cluster, and the spec patch when the stored spec lacks defaults. */
  { valid: true; cluster: Cluster; specPatch: unknown } | { valid: false; messages: string[] };

const CLUSTER = kindDefinition('Cluster');

/** Admit the stored Cluster as if it were created now (the old object is not known here). */
export function guardCluster(stored: Cluster): GuardOutcome {
  if (CLUSTER === undefined) throw new Error('the Cluster kind is not registered');
  const result = admit(CLUSTER, stored);
  if (result.errors.length > 0 || result.object === undefined) {
    return { valid: false, messages: result.errors.map(String) };
  }
  const cluster = result.object as unknown as Cluster;
  // The webhook checks the podPatch on a stand-in pod (the API layer cannot build pods); upstream's
  // webhook checks it on the real instance pod, which the operator can build.
  const podPatch = podPatchProblem(cluster, () => generatedInstancePod(cluster, 1, { role: 'primary' }));
  if (podPatch !== undefined) return { valid: false, messages: [podPatch] };
  return { valid: true, cluster, specPatch: mergePatchFor(stored.spec, cluster.spec) };
}
