// Features of the Cluster API this operator does not implement yet. A Cluster asking for one fails
// at once, with a message naming the field, rather than starting without it (a recovery that
// silently becomes initdb, WAL that is never archived...).
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { isReplicaCluster } from '../../api/v1/cluster-validation-postgres.ts';

export interface UnsupportedFeature {
  field: string;
  detail: string;
}

/** Every unsupported feature the Cluster uses, in spec order; empty when it can be run. */
export function unsupportedFeatures(cluster: Cluster): UnsupportedFeature[] {
  const spec = cluster.spec;
  const found: UnsupportedFeature[] = [];
  const add = (field: string, detail: string) => found.push({ field, detail });
  const bootstrap = spec.bootstrap;
  if (bootstrap?.recovery !== undefined) add('spec.bootstrap.recovery', 'bootstrap from a backup is not supported yet');
  if (bootstrap?.pg_basebackup !== undefined) {
    add('spec.bootstrap.pg_basebackup', 'bootstrap by cloning another cluster is not supported yet');
  }
  if (bootstrap?.initdb?.import !== undefined) {
    add('spec.bootstrap.initdb.import', 'importing databases at bootstrap is not supported yet');
  }
  if (isReplicaCluster(cluster)) add('spec.replica', 'replica clusters are not supported yet');
  if (spec.walStorage !== undefined) add('spec.walStorage', 'a separate WAL volume is not supported yet');
  if ((spec.tablespaces ?? []).length > 0) add('spec.tablespaces', 'tablespaces are not supported yet');
  if (spec.backup?.barmanObjectStore !== undefined) {
    add('spec.backup.barmanObjectStore', 'WAL archiving and backups to an object store are not supported yet');
  }
  if (spec.imageCatalogRef !== undefined) add('spec.imageCatalogRef', 'image catalogs are not supported yet');
  if (spec.postgresql?.ldap !== undefined) add('spec.postgresql.ldap', 'LDAP authentication is not supported yet');
  if ((spec.managed?.roles ?? []).length > 0) add('spec.managed.roles', 'managed roles are not supported yet');
  return found;
}

/** One line naming every unsupported field, for the Cluster's phaseReason. */
export function unsupportedMessage(features: readonly UnsupportedFeature[]): string {
  return features.map((f) => `${f.field}: ${f.detail}`).join('; ');
}
