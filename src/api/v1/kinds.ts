// The eleven kinds of postgresql.cnpg.io/v1: for each, its CRD facts (names, scope, printer columns,
// subresources) and its admission (defaulting and validating webhooks), as upstream declares them.
import type { AdmissionResult } from './admission-result.ts';
import { defaultBackup } from './backup-defaults.ts';
import { BackupSchema } from './backup-types.ts';
import { validateBackup } from './backup-validation.ts';
import { defaultCluster } from './cluster-defaults.ts';
import { ClusterSchema } from './cluster-types.ts';
import { validateCluster, validateClusterUpdate } from './cluster-validation.ts';
import { defaultDatabase } from './database-defaults.ts';
import { DatabaseRoleSchema } from './database-role-types.ts';
import { DatabaseSchema } from './database-types.ts';
import { validateDatabase } from './database-validation.ts';
import { FailoverQuorumSchema } from './failover-quorum-types.ts';
import { ClusterImageCatalogSchema, ImageCatalogSchema } from './image-catalog-types.ts';
import type { AdmissionContext, KindDefinition, PrinterColumn } from './kind-definition.ts';
import { PoolerSchema } from './pooler-types.ts';
import { validatePooler } from './pooler-validation.ts';
import { PublicationSchema } from './publication-types.ts';
import { defaultScheduledBackup } from './scheduled-backup-defaults.ts';
import { ScheduledBackupSchema } from './scheduled-backup-types.ts';
import { validateScheduledBackup } from './scheduled-backup-validation.ts';
import { SubscriptionSchema } from './subscription-types.ts';

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const clusterName: PrinterColumn = { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' };
/** The columns of the declarative kinds that manage one PostgreSQL object. */
const managedObjectColumns: PrinterColumn[] = [
  age,
  clusterName,
  { name: 'PG Name', type: 'string', jsonPath: '.spec.name' },
  { name: 'Applied', type: 'boolean', jsonPath: '.status.applied' },
  {
    name: 'Message',
    type: 'string',
    jsonPath: '.status.message',
    description: 'Latest reconciliation message',
  },
];

/** Adapts a typed webhook function to the untyped admission pipeline (the schema was checked first). */
const typed =
  <T>(f: (obj: T, ctx: AdmissionContext) => AdmissionResult) =>
  (obj: unknown, ctx: AdmissionContext) =>
    f(obj as T, ctx);

export const KINDS: KindDefinition[] = [
  {
    kind: 'Cluster',
    plural: 'clusters',
    singular: 'cluster',
    scope: 'Namespaced',
    description: 'A highly available PostgreSQL cluster',
    schema: ClusterSchema,
    printerColumns: [
      age,
      { name: 'Instances', type: 'integer', jsonPath: '.status.instances', description: 'Number of instances' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyInstances', description: 'Number of ready instances' },
      { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Cluster current status' },
      { name: 'Primary', type: 'string', jsonPath: '.status.currentPrimary', description: 'Primary pod' },
      {
        name: 'SyncTopology',
        type: 'string',
        jsonPath: ".status.conditions[?(@.type=='SyncReplicationTopologySatisfied')].reason",
        description: 'Synchronous replication topology',
        priority: 1,
      },
    ],
    subresources: {
      status: true,
      scale: {
        specReplicasPath: '.spec.instances',
        statusReplicasPath: '.status.instances',
        labelSelectorPath: '.status.selector',
      },
    },
    default: (obj) => defaultCluster(obj as Parameters<typeof defaultCluster>[0]),
    validate: typed(validateCluster),
    validateUpdate: (obj, old) =>
      validateClusterUpdate(
        obj as Parameters<typeof validateClusterUpdate>[0],
        old as Parameters<typeof validateClusterUpdate>[1],
      ),
  },
  {
    kind: 'Backup',
    plural: 'backups',
    singular: 'backup',
    scope: 'Namespaced',
    description: 'A backup of a Cluster',
    schema: BackupSchema,
    printerColumns: [
      age,
      clusterName,
      { name: 'Method', type: 'string', jsonPath: '.spec.method' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Error', type: 'string', jsonPath: '.status.error' },
    ],
    subresources: { status: true },
    default: (obj) => defaultBackup(obj as Parameters<typeof defaultBackup>[0]),
    validate: typed(validateBackup),
  },
  {
    kind: 'ScheduledBackup',
    plural: 'scheduledbackups',
    singular: 'scheduledbackup',
    scope: 'Namespaced',
    description: 'Backups of a Cluster taken on a schedule',
    schema: ScheduledBackupSchema,
    printerColumns: [age, clusterName, { name: 'Last Backup', type: 'date', jsonPath: '.status.lastScheduleTime' }],
    subresources: { status: true },
    default: (obj) => defaultScheduledBackup(obj as Parameters<typeof defaultScheduledBackup>[0]),
    validate: typed(validateScheduledBackup),
  },
  {
    kind: 'Pooler',
    plural: 'poolers',
    singular: 'pooler',
    scope: 'Namespaced',
    description: 'A PgBouncer connection pooler in front of a Cluster',
    schema: PoolerSchema,
    printerColumns: [
      age,
      clusterName,
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    ],
    subresources: {
      status: true,
      scale: { specReplicasPath: '.spec.instances', statusReplicasPath: '.status.instances' },
    },
    validate: typed(validatePooler),
  },
  {
    kind: 'Database',
    plural: 'databases',
    singular: 'database',
    scope: 'Namespaced',
    description: 'A PostgreSQL database managed declaratively in a Cluster',
    schema: DatabaseSchema,
    printerColumns: managedObjectColumns,
    subresources: { status: true },
    default: (obj) => defaultDatabase(obj as Parameters<typeof defaultDatabase>[0]),
    validate: typed(validateDatabase),
  },
  {
    kind: 'DatabaseRole',
    plural: 'databaseroles',
    singular: 'databaserole',
    scope: 'Namespaced',
    description: 'A PostgreSQL role managed declaratively in a Cluster',
    schema: DatabaseRoleSchema,
    printerColumns: managedObjectColumns,
    subresources: { status: true },
  },
  {
    kind: 'Publication',
    plural: 'publications',
    singular: 'publication',
    scope: 'Namespaced',
    description: 'A logical replication publication in a Cluster',
    schema: PublicationSchema,
    printerColumns: managedObjectColumns,
    subresources: { status: true },
  },
  {
    kind: 'Subscription',
    plural: 'subscriptions',
    singular: 'subscription',
    scope: 'Namespaced',
    description: 'A logical replication subscription in a Cluster',
    schema: SubscriptionSchema,
    printerColumns: managedObjectColumns,
    subresources: { status: true },
  },
  {
    kind: 'ImageCatalog',
    plural: 'imagecatalogs',
    singular: 'imagecatalog',
    scope: 'Namespaced',
    description: 'PostgreSQL images by major version, for the Clusters of a namespace',
    schema: ImageCatalogSchema,
    printerColumns: [age],
    subresources: {},
  },
  {
    kind: 'ClusterImageCatalog',
    plural: 'clusterimagecatalogs',
    singular: 'clusterimagecatalog',
    scope: 'Cluster',
    description: 'PostgreSQL images by major version, for the Clusters of every namespace',
    schema: ClusterImageCatalogSchema,
    printerColumns: [age],
    subresources: {},
  },
  {
    kind: 'FailoverQuorum',
    plural: 'failoverquorums',
    singular: 'failoverquorum',
    scope: 'Namespaced',
    description: 'The synchronous replication state that proves a replica may be promoted',
    schema: FailoverQuorumSchema,
    printerColumns: [age],
    subresources: { status: true },
  },
];

export function kindDefinition(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}
