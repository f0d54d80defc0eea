// PodDisruptionBudgets: `<cluster>-primary` keeps the primary up during voluntary disruptions, and
// `<cluster>` lets at most one replica go at a time (only with three instances or more, since a
// two-instance cluster must be able to drain its only replica's node).
import type { V1ObjectMeta, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { type InheritanceOptions, INSTANCE_ROLES, LABELS, setInheritedDataAndOwnership } from './labels.ts';
import { clusterName, clusterNamespace, primaryPdbName, replicasPdbName } from './names.ts';

export type PdbWithMeta = V1PodDisruptionBudget & { metadata: V1ObjectMeta };

function pdb(cluster: Cluster, name: string, role: string, minAvailable: number, opts: InheritanceOptions) {
  const metadata: V1ObjectMeta = { name, namespace: clusterNamespace(cluster) };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  const result: PdbWithMeta = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata,
    spec: {
      selector: { matchLabels: { [LABELS.cluster]: clusterName(cluster), [LABELS.instanceRole]: role } },
      minAvailable,
    },
  };
  return result;
}

/** The primary's PDB: one primary must stay available. */
export function buildPrimaryPdb(cluster: Cluster, opts: InheritanceOptions): PdbWithMeta {
  return pdb(cluster, primaryPdbName(clusterName(cluster)), INSTANCE_ROLES.primary, 1, opts);
}

/** The replicas' PDB (instances - 2 available), or undefined below three instances. */
export function buildReplicasPdb(cluster: Cluster, opts: InheritanceOptions): PdbWithMeta | undefined {
  const instances = cluster.spec.instances;
  if (instances < 3) return undefined;
  return pdb(cluster, replicasPdbName(clusterName(cluster)), INSTANCE_ROLES.replica, instances - 2, opts);
}

export interface DesiredPdbs {
  /** undefined: the reconciler deletes `<cluster>-primary` if it exists. */
  primary: PdbWithMeta | undefined;
  /** undefined: the reconciler deletes `<cluster>` if it exists. */
  replicas: PdbWithMeta | undefined;
}

/**
 * The PDBs the cluster should have: none with `enablePDB: false`; during a node maintenance window
 * that reuses PVCs, no replica PDB, and no primary PDB either for a single instance (or the node
 * could never be drained).
 */
export function desiredPdbs(cluster: Cluster, opts: InheritanceOptions): DesiredPdbs {
  if (cluster.spec.enablePDB === false) return { primary: undefined, replicas: undefined };
  const window = cluster.spec.nodeMaintenanceWindow;
  const inMaintenance = window?.inProgress === true && window.reusePVC !== false;
  if (inMaintenance) {
    return { primary: cluster.spec.instances === 1 ? undefined : buildPrimaryPdb(cluster, opts), replicas: undefined };
  }
  return { primary: buildPrimaryPdb(cluster, opts), replicas: buildReplicasPdb(cluster, opts) };
}
