// The names of the objects the operator generates for a Cluster, as upstream computes them, so that
// manifests, kubectl habits and scripts written for CloudNativePG find the same objects.
import type { Cluster } from '../../api/v1/cluster-types.ts';

/** The name of a cluster; the API server guarantees it once the object exists. */
export function clusterName(cluster: Cluster): string {
  return cluster.metadata?.name ?? '';
}

export function clusterNamespace(cluster: Cluster): string {
  return cluster.metadata?.namespace ?? '';
}

/** Instance (pod, PGDATA PVC, host) name: `<cluster>-<serial>`; serials are never reused. */
export function instanceName(cluster: string, serial: number): string {
  return `${cluster}-${serial}`;
}

export const WAL_VOLUME_SUFFIX = '-wal';
export const TABLESPACE_VOLUME_INFIX = '-tbs-';

/**
 * A PostgreSQL identifier as a piece of a Kubernetes name: a leading `_` becomes `1` (names must
 * start with an alphanumeric), `$` and `_` become `-`, and the result is lower-cased.
 */
export function tablespaceK8sName(tablespace: string): string {
  const leading = tablespace.startsWith('_') ? `1${tablespace.slice(1)}` : tablespace;
  return leading.replaceAll('$', '-').replaceAll('_', '-').toLowerCase();
}

export const PVC_ROLES = ['PG_DATA', 'PG_WAL', 'PG_TABLESPACE'] as const;
export type PvcRole = (typeof PVC_ROLES)[number];

/** The PGDATA PVC is named like its instance; WAL and tablespace PVCs carry a suffix. */
export function pvcName(instance: string, role: PvcRole, tablespace?: string): string {
  switch (role) {
    case 'PG_DATA':
      return instance;
    case 'PG_WAL':
      return instance + WAL_VOLUME_SUFFIX;
    case 'PG_TABLESPACE':
      if (tablespace === undefined) throw new Error(`a tablespace PVC of ${instance} needs a tablespace name`);
      return instance + TABLESPACE_VOLUME_INFIX + tablespaceK8sName(tablespace);
  }
}

/** Every PVC an instance of this cluster must have: PGDATA, WAL when walStorage is set, tablespaces. */
export function expectedInstancePvcNames(cluster: Cluster, instance: string): string[] {
  const names = [pvcName(instance, 'PG_DATA')];
  if (cluster.spec.walStorage !== undefined) names.push(pvcName(instance, 'PG_WAL'));
  for (const tbs of cluster.spec.tablespaces ?? []) names.push(pvcName(instance, 'PG_TABLESPACE', tbs.name));
  return names;
}

export const SERVICE_SUFFIXES = { rw: '-rw', ro: '-ro', r: '-r', any: '-any' } as const;

export const serviceReadWriteName = (cluster: string) => cluster + SERVICE_SUFFIXES.rw;
export const serviceReadOnlyName = (cluster: string) => cluster + SERVICE_SUFFIXES.ro;
export const serviceReadName = (cluster: string) => cluster + SERVICE_SUFFIXES.r;
export const serviceAnyName = (cluster: string) => cluster + SERVICE_SUFFIXES.any;

/** `<cluster>-superuser`, unless `spec.superuserSecret.name` names the user's own secret. */
export function superuserSecretName(cluster: Cluster): string {
  const own = cluster.spec.superuserSecret?.name;
  return own ? own : `${clusterName(cluster)}-superuser`;
}

/** The bootstrap section that defines the application database (recovery, pg_basebackup, initdb). */
function appBootstrapSources(cluster: Cluster) {
  const b = cluster.spec.bootstrap;
  return [b?.recovery, b?.pg_basebackup, b?.initdb];
}

/** `<cluster>-app`, unless the bootstrap section names the user's own secret. */
export function applicationSecretName(cluster: Cluster): string {
  for (const source of appBootstrapSources(cluster)) {
    const own = source?.secret?.name;
    if (own) return own;
  }
  return `${clusterName(cluster)}-app`;
}

/** The application database of the bootstrap, or '' when none is defined. */
export function applicationDatabaseName(cluster: Cluster): string {
  for (const source of appBootstrapSources(cluster)) if (source?.database) return source.database;
  return '';
}

/** The owner of the application database, or '' when none is defined. */
export function applicationDatabaseOwner(cluster: Cluster): string {
  for (const source of appBootstrapSources(cluster)) if (source?.owner) return source.owner;
  return '';
}

export function serverCASecretName(cluster: Cluster): string {
  return cluster.spec.certificates?.serverCASecret || `${clusterName(cluster)}-ca`;
}

export function serverTLSSecretName(cluster: Cluster): string {
  return cluster.spec.certificates?.serverTLSSecret || `${clusterName(cluster)}-server`;
}

export function clientCASecretName(cluster: Cluster): string {
  return cluster.spec.certificates?.clientCASecret || `${clusterName(cluster)}-ca`;
}

export function replicationSecretName(cluster: Cluster): string {
  return cluster.spec.certificates?.replicationTLSSecret || `${clusterName(cluster)}-replication`;
}

/** The secret holding the LDAP bind password, or '' without bind+search LDAP. */
export function ldapSecretName(cluster: Cluster): string {
  return cluster.spec.postgresql?.ldap?.bindSearchAuth?.bindPassword?.name ?? '';
}

export const PRIMARY_PDB_SUFFIX = '-primary';
export const replicasPdbName = (cluster: string) => cluster;
export const primaryPdbName = (cluster: string) => cluster + PRIMARY_PDB_SUFFIX;

/** The service account of the instance pods: `spec.serviceAccountName`, or one named after the cluster. */
export function serviceAccountName(cluster: Cluster): string {
  return cluster.spec.serviceAccountName || clusterName(cluster);
}

/** Role and RoleBinding granted to the instance pods are named after the cluster. */
export const roleName = (cluster: string) => cluster;

/** The Lease an instance holds to be the primary (1.30). */
export const primaryLeaseName = (cluster: string) => cluster;

export const JOB_ROLES = [
  'import',
  'initdb',
  'pgbasebackup',
  'full-recovery',
  'join',
  'snapshot-recovery',
  'major-upgrade',
] as const;
export type JobRole = (typeof JOB_ROLES)[number];

export const jobName = (instance: string, role: JobRole) => `${instance}-${role}`;
