// The identity of the instance pods: a ServiceAccount named after the cluster (unless the user names
// an existing one), and a Role + RoleBinding granting the instance manager what it needs: read its
// own cluster's secrets and config maps, update its cluster's status, and handle the backups,
// databases, publications, subscriptions and failover quorum of the namespace.
import type {
  V1Lease,
  V1ObjectMeta,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { Backup } from '../../api/v1/backup-types.ts';
import type { AzureCredentials, GoogleCredentials, S3Credentials } from '../../api/v1/barman-types.ts';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { GROUP } from '../../api/v1/kind-definition.ts';
import {
  ANNOTATIONS,
  type InheritanceOptions,
  LABELS,
  MANAGER_NAME,
  setInheritedData,
  setInheritedDataAndOwnership,
} from './labels.ts';
import {
  applicationSecretName,
  clientCASecretName,
  clusterName,
  clusterNamespace,
  ldapSecretName,
  replicationSecretName,
  roleName,
  serverCASecretName,
  serverTLSSecretName,
  serviceAccountName,
  superuserSecretName,
} from './names.ts';

/** Sorted, without duplicates or empty names (what upstream grants by name). */
function cleanNames(names: (string | undefined)[]): string[] {
  return [...new Set(names.filter((n): n is string => !!n))].sort();
}

function s3Secrets(c: S3Credentials | undefined): (string | undefined)[] {
  return [c?.accessKeyId?.name, c?.secretAccessKey?.name, c?.region?.name, c?.sessionToken?.name];
}

function azureSecrets(c: AzureCredentials | undefined): (string | undefined)[] {
  return [c?.connectionString?.name, c?.storageAccount?.name, c?.storageKey?.name, c?.storageSasToken?.name];
}

function googleSecrets(c: GoogleCredentials | undefined): (string | undefined)[] {
  return [c?.applicationCredentials?.name];
}

/** Every secret the instance manager of this cluster may read. */
export function involvedSecretNames(cluster: Cluster, backupOrigin?: Backup): string[] {
  const spec = cluster.spec;
  const store = spec.backup?.barmanObjectStore;
  const endpointCA = store?.endpointCA;
  const names: (string | undefined)[] = [
    replicationSecretName(cluster),
    clientCASecretName(cluster),
    serverCASecretName(cluster),
    serverTLSSecretName(cluster),
    applicationSecretName(cluster),
    superuserSecretName(cluster),
    ldapSecretName(cluster),
    ...(spec.monitoring?.customQueriesSecret ?? []).map((s) => s.name),
    ...s3Secrets(store?.s3Credentials),
    ...azureSecrets(store?.azureCredentials),
    ...googleSecrets(store?.googleCredentials),
    // Upstream only counts an endpoint CA that names both secret and key.
    endpointCA?.name && endpointCA.key ? endpointCA.name : undefined,
    ...s3Secrets(backupOrigin?.status?.s3Credentials),
    ...azureSecrets(backupOrigin?.status?.azureCredentials),
    ...googleSecrets(backupOrigin?.status?.googleCredentials),
  ];
  for (const ext of spec.externalClusters ?? []) {
    names.push(ext.sslCert?.name, ext.sslRootCert?.name, ext.sslKey?.name, ext.password?.name);
    const extStore = ext.barmanObjectStore;
    if (extStore !== undefined) {
      names.push(
        ...s3Secrets(extStore.s3Credentials),
        ...azureSecrets(extStore.azureCredentials),
        ...googleSecrets(extStore.googleCredentials),
        extStore.endpointCA?.name,
      );
    }
  }
  for (const role of spec.managed?.roles ?? []) {
    if (!role.disablePassword) names.push(role.passwordSecret?.name);
  }
  return cleanNames(names);
}

/** Every config map the instance manager of this cluster may read. */
export function involvedConfigMapNames(cluster: Cluster): string[] {
  return cleanNames([
    clusterName(cluster),
    ...(cluster.spec.monitoring?.customQueriesConfigMap ?? []).map((c) => c.name),
  ]);
}

const rule = (apiGroup: string, resource: string, verbs: string[], resourceNames?: string[]): V1PolicyRule => ({
  apiGroups: [apiGroup],
  resources: [resource],
  verbs,
  ...(resourceNames !== undefined && resourceNames.length > 0 ? { resourceNames } : {}),
});

/** The rules of the instance pods' Role, in upstream's order. */
export function instanceRoleRules(cluster: Cluster, backupOrigin?: Backup): V1PolicyRule[] {
  const name = clusterName(cluster);
  const readWatch = ['get', 'watch'];
  const statusVerbs = ['get', 'patch', 'update'];
  const crudList = ['get', 'update', 'list', 'watch'];
  return [
    rule('', 'configmaps', readWatch, involvedConfigMapNames(cluster)),
    rule('', 'secrets', readWatch, involvedSecretNames(cluster, backupOrigin)),
    rule(GROUP, 'clusters', ['get', 'list', 'watch'], [name]),
    rule(GROUP, 'clusters/status', [...statusVerbs, 'watch'], [name]),
    rule(GROUP, 'backups', ['list', 'get', 'delete']),
    rule(GROUP, 'backups/status', statusVerbs),
    rule('', 'events', ['create', 'patch']),
    rule(GROUP, 'databases', crudList),
    rule(GROUP, 'databases/status', statusVerbs),
    rule(GROUP, 'publications', crudList),
    rule(GROUP, 'publications/status', statusVerbs),
    rule(GROUP, 'subscriptions', crudList),
    rule(GROUP, 'subscriptions/status', statusVerbs),
    rule(GROUP, 'failoverquorums', ['get', 'list', 'watch'], [name]),
    rule(GROUP, 'failoverquorums/status', [...statusVerbs, 'watch'], [name]),
    // The primary lease the operator creates: instances take and renew it, nothing else.
    rule('coordination.k8s.io', 'leases', ['get', 'update'], [name]),
  ];
}

/** The primary Lease named after the cluster (spec.primaryLease); no holder until a primary starts. */
export function buildPrimaryLease(cluster: Cluster, opts: InheritanceOptions): WithMeta<V1Lease> {
  const metadata: V1ObjectMeta = { name: clusterName(cluster), namespace: clusterNamespace(cluster) };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec: {} };
}

type WithMeta<T> = T & { metadata: V1ObjectMeta };

/** The Role `<cluster>` of the instance pods. */
export function buildRole(cluster: Cluster, opts: InheritanceOptions, backupOrigin?: Backup): WithMeta<V1Role> {
  const metadata: V1ObjectMeta = {
    name: roleName(clusterName(cluster)),
    namespace: clusterNamespace(cluster),
    labels: { [LABELS.appManagedBy]: MANAGER_NAME },
  };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata,
    rules: instanceRoleRules(cluster, backupOrigin),
  };
}

/** The RoleBinding `<cluster>` giving the Role to the pods' service account. */
export function buildRoleBinding(cluster: Cluster, opts: InheritanceOptions): WithMeta<V1RoleBinding> {
  const name = roleName(clusterName(cluster));
  const namespace = clusterNamespace(cluster);
  const metadata: V1ObjectMeta = { name, namespace, labels: { [LABELS.appManagedBy]: MANAGER_NAME } };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata,
    subjects: [{ kind: 'ServiceAccount', apiGroup: '', name: serviceAccountName(cluster), namespace }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
  };
}

/** Whether the operator owns the pods' service account (it does not when the user names one). */
export function shouldCreateServiceAccount(cluster: Cluster): boolean {
  return !cluster.spec.serviceAccountName;
}

/**
 * The ServiceAccount `<cluster>`, or undefined when `spec.serviceAccountName` names an existing one.
 * `pullSecretNames` are the image pull secrets it carries (the operator's copy first, then
 * `spec.imagePullSecrets`), also listed in `cnpg.io/managedSecrets` so later updates know which
 * entries are the operator's. `owned: false` builds the metadata for patching an existing account,
 * where upstream leaves ownership as it was.
 */
export function buildServiceAccount(
  cluster: Cluster,
  opts: InheritanceOptions & { pullSecretNames?: string[]; owned?: boolean },
): WithMeta<V1ServiceAccount> | undefined {
  if (!shouldCreateServiceAccount(cluster)) return undefined;
  const pullSecrets = opts.pullSecretNames ?? (cluster.spec.imagePullSecrets ?? []).map((s) => s.name);
  const metadata: V1ObjectMeta = {
    name: clusterName(cluster),
    namespace: clusterNamespace(cluster),
    labels: { [LABELS.appManagedBy]: MANAGER_NAME },
    annotations: { [ANNOTATIONS.managedSecrets]: JSON.stringify(pullSecrets) },
  };
  if (opts.owned === false) setInheritedData(metadata, cluster, opts);
  else setInheritedDataAndOwnership(metadata, cluster, opts);
  const template = cluster.spec.serviceAccountTemplate?.metadata;
  metadata.labels = { ...metadata.labels, ...template?.labels };
  metadata.annotations = { ...metadata.annotations, ...template?.annotations };
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata,
    ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
  };
}
