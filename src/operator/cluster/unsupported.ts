// Features of the Cluster API this operator does not implement yet. A Cluster asking for one fails
// at once, with a message naming the field, rather than starting without it (a recovery that
// silently becomes initdb, WAL that is never archived...). The table is the one source: the
// reconciler applies it, docs/api-support.md lists it and the API field walk
// (test/api-field-walk.test.ts) counts its fields as accounted for.
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { isReplicaCluster } from '../../api/v1/cluster-validation-postgres.ts';
import { ANNOTATIONS } from '../specs/labels.ts';

export interface UnsupportedFeature {
  field: string;
  detail: string;
}

/** One feature not built yet: where a Cluster asks for it, and what will bring it. */
export interface UnsupportedRule {
  /** The field named in the message; the field walk takes it as covering everything under it. */
  field: string;
  /** The refused value, when the field's other values work (its default does); the detail starts with it. */
  value?: string;
  detail: string;
  /** The feature to come that will remove the line. */
  comesWith: string;
  askedBy: (cluster: Cluster) => boolean;
}

const annotation = (cluster: Cluster, name: string): string | undefined => cluster.metadata?.annotations?.[name];

export const UNSUPPORTED_RULES: readonly UnsupportedRule[] = [
  {
    field: `metadata.annotations[${ANNOTATIONS.hibernation}]`,
    value: 'on',
    detail: 'on (hibernation: every instance stopped, the volumes kept) is not supported yet',
    comesWith: 'declarative hibernation',
    askedBy: (c) => annotation(c, ANNOTATIONS.hibernation) === 'on',
  },
  {
    field: `metadata.annotations[${ANNOTATIONS.reconcilePodSpec}]`,
    value: 'disabled',
    detail: 'disabled (instance pods left as they are when their spec changes) is not supported yet',
    comesWith: 'pod spec reconciliation control',
    askedBy: (c) => annotation(c, ANNOTATIONS.reconcilePodSpec) === 'disabled',
  },
  {
    field: 'spec.imageCatalogRef',
    detail: 'image catalogs are not supported yet',
    comesWith: 'image catalogs',
    askedBy: (c) => c.spec.imageCatalogRef !== undefined,
  },
  {
    field: 'spec.postgresql.ldap',
    detail: 'LDAP authentication is not supported yet',
    comesWith: 'LDAP authentication',
    askedBy: (c) => c.spec.postgresql?.ldap !== undefined,
  },
  {
    field: 'spec.postgresql.extensions',
    detail: 'extensions mounted from images are not supported yet',
    comesWith: 'image volume extensions',
    askedBy: (c) => (c.spec.postgresql?.extensions ?? []).length > 0,
  },
  {
    field: 'spec.replicationSlots.highAvailability.synchronizeLogicalDecoding',
    value: 'true',
    detail: 'true (logical decoding slots synchronized to the replicas) is not supported yet',
    comesWith: 'logical decoding slot synchronization',
    askedBy: (c) => c.spec.replicationSlots?.highAvailability?.synchronizeLogicalDecoding === true,
  },
  {
    field: 'spec.bootstrap.recovery',
    detail: 'bootstrap from a backup is not supported yet',
    comesWith: 'backup and recovery',
    askedBy: (c) => c.spec.bootstrap?.recovery !== undefined,
  },
  {
    field: 'spec.bootstrap.pg_basebackup',
    detail: 'bootstrap by cloning another cluster is not supported yet',
    comesWith: 'bootstrap from another cluster',
    askedBy: (c) => c.spec.bootstrap?.pg_basebackup !== undefined,
  },
  {
    field: 'spec.bootstrap.initdb.import',
    detail: 'importing databases at bootstrap is not supported yet',
    comesWith: 'database import',
    askedBy: (c) => c.spec.bootstrap?.initdb?.import !== undefined,
  },
  {
    field: 'spec.replica',
    detail: 'replica clusters are not supported yet',
    comesWith: 'replica clusters',
    askedBy: isReplicaCluster,
  },
  {
    field: 'spec.storage.resizeInUseVolumes',
    value: 'false',
    detail: 'false (resizing volumes offline) is not supported yet: volumes are expanded while in use',
    comesWith: 'offline volume resizing',
    askedBy: (c) => c.spec.storage?.resizeInUseVolumes === false,
  },
  {
    field: 'spec.walStorage',
    detail: 'a separate WAL volume is not supported yet',
    comesWith: 'a separate WAL volume',
    askedBy: (c) => c.spec.walStorage !== undefined,
  },
  {
    field: 'spec.backup.volumeSnapshot',
    detail: 'backups to volume snapshots are not supported yet',
    comesWith: 'backup and recovery',
    askedBy: (c) => c.spec.backup?.volumeSnapshot !== undefined,
  },
  {
    field: 'spec.backup.barmanObjectStore',
    detail: 'WAL archiving and backups to an object store are not supported yet',
    comesWith: 'backup and recovery',
    askedBy: (c) => c.spec.backup?.barmanObjectStore !== undefined,
  },
  {
    field: 'spec.nodeMaintenanceWindow.reusePVC',
    value: 'false',
    detail: 'false (recreating an instance on a new volume during node maintenance) is not supported yet',
    comesWith: 'node maintenance without volume reuse',
    askedBy: (c) => c.spec.nodeMaintenanceWindow?.reusePVC === false,
  },
  {
    field: 'spec.managed.roles',
    detail: 'managed roles are not supported yet',
    comesWith: 'declarative roles',
    askedBy: (c) => (c.spec.managed?.roles ?? []).length > 0,
  },
  {
    field: 'spec.tablespaces',
    detail: 'tablespaces are not supported yet',
    comesWith: 'declarative tablespaces',
    askedBy: (c) => (c.spec.tablespaces ?? []).length > 0,
  },
  {
    field: 'spec.plugins',
    detail: 'CNPG-I plugins are not supported yet (a WAL archiver plugin would fail every archive_command)',
    comesWith: 'CNPG-I plugins',
    askedBy: (c) => (c.spec.plugins ?? []).some((p) => p.enabled !== false),
  },
];

/** Every unsupported feature the Cluster uses, in the table's order; empty when it can be run. */
export function unsupportedFeatures(cluster: Cluster): UnsupportedFeature[] {
  return UNSUPPORTED_RULES.filter((r) => r.askedBy(cluster)).map(({ field, detail }) => ({ field, detail }));
}

/** One line naming every unsupported field, for the Cluster's phaseReason. */
export function unsupportedMessage(features: readonly UnsupportedFeature[]): string {
  return features.map((f) => `${f.field}: ${f.detail}`).join('; ');
}
