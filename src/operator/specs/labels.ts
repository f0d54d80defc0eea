// The labels and annotations CloudNativePG puts on what it generates (reference §8), and the
// metadata every generated object inherits from its Cluster: `spec.inheritedMetadata`, the cluster
// labels/annotations the operator is configured to pass on, the cluster label, the operator version
// and the owner reference.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { API_VERSION } from '../../api/v1/kind-definition.ts';
import { FENCED_INSTANCES_ANNOTATION } from '../../api/v1/fencing.ts';
import { setControllerReference } from '../../kube/owner.ts';
import { clusterName } from './names.ts';

const CNPG = 'cnpg.io';
const ALPHA = 'alpha.cnpg.io';
const K8S_APP = 'app.kubernetes.io';

export const LABELS = {
  cluster: `${CNPG}/cluster`,
  clusterNamespace: `${CNPG}/clusterNamespace`,
  instanceName: `${CNPG}/instanceName`,
  podRole: `${CNPG}/podRole`,
  instanceRole: `${CNPG}/instanceRole`,
  /** Deprecated twin of instanceRole, still set on instance pods (as upstream). */
  role: 'role',
  jobRole: `${CNPG}/jobRole`,
  pvcRole: `${CNPG}/pvcRole`,
  tablespaceName: `${CNPG}/tablespaceName`,
  poolerName: `${CNPG}/poolerName`,
  reload: `${CNPG}/reload`,
  userType: `${CNPG}/userType`,
  isManaged: `${CNPG}/isManaged`,
  pluginName: `${CNPG}/pluginName`,
  backupName: `${CNPG}/backupName`,
  backupTimeline: `${CNPG}/backupTimeline`,
  backupYear: `${CNPG}/backupYear`,
  backupMonth: `${CNPG}/backupMonth`,
  backupDate: `${CNPG}/backupDate`,
  onlineBackup: `${CNPG}/onlineBackup`,
  majorVersion: `${CNPG}/majorVersion`,
  immediateBackup: `${CNPG}/immediateBackup`,
  scheduledBackup: `${CNPG}/scheduled-backup`,
  appName: `${K8S_APP}/name`,
  appInstance: `${K8S_APP}/instance`,
  appVersion: `${K8S_APP}/version`,
  appComponent: `${K8S_APP}/component`,
  appManagedBy: `${K8S_APP}/managed-by`,
} as const;

export const ANNOTATIONS = {
  hibernation: `${CNPG}/hibernation`,
  fencedInstances: FENCED_INSTANCES_ANNOTATION,
  reconciliationLoop: `${CNPG}/reconciliationLoop`,
  reconcilePodSpec: `${CNPG}/reconcilePodSpec`,
  podPatch: `${CNPG}/podPatch`,
  skipWalArchiving: `${CNPG}/skipWalArchiving`,
  skipEmptyWalArchiveCheck: `${CNPG}/skipEmptyWalArchiveCheck`,
  validation: `${CNPG}/validation`,
  coredumpFilter: `${CNPG}/coredumpFilter`,
  forceLegacyBackup: `${CNPG}/forceLegacyBackup`,
  restartedAt: 'kubectl.kubernetes.io/restartedAt',
  reloadedAt: `${CNPG}/reloadedAt`,
  failoverQuorum: `${ALPHA}/failoverQuorum`,
  livenessPinger: `${ALPHA}/livenessPinger`,
  enableInstancePprof: `${ALPHA}/enableInstancePprof`,
  unrecoverable: `${ALPHA}/unrecoverable`,
  nodeSerial: `${CNPG}/nodeSerial`,
  podSpec: `${CNPG}/podSpec`,
  podEnvHash: `${CNPG}/podEnvHash`,
  operatorVersion: `${CNPG}/operatorVersion`,
  hash: `${CNPG}/hash`,
  pvcStatus: `${CNPG}/pvcStatus`,
  clusterManifest: `${CNPG}/clusterManifest`,
  pgControldata: `${CNPG}/pgControldata`,
  volumeSnapshotDeadline: `${CNPG}/volumeSnapshotDeadline`,
  poolerSpecHash: `${CNPG}/poolerSpecHash`,
  managedSecrets: `${CNPG}/managedSecrets`,
  passwordPassthrough: `${CNPG}/passwordPassthrough`,
  updateStrategy: `${CNPG}/updateStrategy`,
  lastAppliedSpec: `${CNPG}/lastAppliedSpec`,
  appArmorPrefix: 'container.apparmor.security.beta.kubernetes.io',
} as const;

export const MANAGER_NAME = 'cloudnative-pg';
export const APP_NAME = 'postgresql';
export const DATABASE_COMPONENT = 'database';
export const POOLER_COMPONENT = 'pooler';

export const POD_ROLES = { instance: 'instance', pooler: 'pooler' } as const;
export const INSTANCE_ROLES = { primary: 'primary', replica: 'replica', unhealthy: 'unhealthy' } as const;
export const USER_TYPES = { superuser: 'superuser', app: 'app' } as const;
export const PVC_STATUSES = { initializing: 'initializing', ready: 'ready', detached: 'detached' } as const;
export type PvcStatus = (typeof PVC_STATUSES)[keyof typeof PVC_STATUSES];

/** The `app.kubernetes.io/*` labels of a cluster's database objects. */
export function appLabels(cluster: string, postgresMajor: number | undefined): Record<string, string> {
  return {
    [LABELS.appName]: APP_NAME,
    [LABELS.appInstance]: cluster,
    // Upstream prints the major it could parse, 0 when it could not.
    [LABELS.appVersion]: String(postgresMajor ?? 0),
    [LABELS.appComponent]: DATABASE_COMPONENT,
    [LABELS.appManagedBy]: MANAGER_NAME,
  };
}

/** Both role labels of an instance pod: the current one and its deprecated twin. */
export function instanceRoleLabels(role: string): Record<string, string> {
  return { [LABELS.instanceRole]: role, [LABELS.role]: role };
}

/** The role of a pod from its labels, reading the deprecated label first as upstream does. */
export function instanceRoleOf(labels: Record<string, string> | undefined): string | undefined {
  return labels?.[LABELS.role] || labels?.[LABELS.instanceRole] || undefined;
}

/** What the operator configuration says about inheritance, and the version it stamps on objects. */
export interface InheritanceOptions {
  /** Written in `cnpg.io/operatorVersion` on every generated object. */
  operatorVersion: string;
  /** Glob patterns of cluster annotations copied onto generated objects (INHERITED_ANNOTATIONS). */
  inheritedAnnotations?: readonly string[];
  /** Glob patterns of cluster labels copied onto generated objects (INHERITED_LABELS). */
  inheritedLabels?: readonly string[];
}

/**
 * Whether `name` matches one of the patterns, with Go's `path.Match` rules that upstream uses:
 * `*` is any run of characters but `/`, `?` one such character, `[...]` a class.
 */
export function matchesAnyPattern(name: string, patterns: readonly string[] | undefined): boolean {
  return (patterns ?? []).some((pattern) => globToRegExp(pattern).test(name));
}

/** A regular expression that matches nothing. */
const NOTHING = /(?!)/;

function globToRegExp(pattern: string): RegExp {
  const escapeChar = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return NOTHING; // path.Match fails on a malformed pattern: nothing matches
      // Go and JS classes share the syntax that matters here: ranges, `^` negation, escapes.
      source += `[${pattern.slice(i + 1, end)}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) source += escapeChar(pattern[++i] as string);
    else source += escapeChar(c);
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    return NOTHING;
  }
}

/**
 * Put on `meta` what every object generated for a cluster inherits: `spec.inheritedMetadata`, the
 * operator version annotation, the cluster's own labels/annotations selected by the operator
 * configuration, and the `cnpg.io/cluster` label. Values already set by the builder are overwritten,
 * as upstream does.
 */
export function setInheritedData(meta: V1ObjectMeta, cluster: Cluster, opts: InheritanceOptions): V1ObjectMeta {
  const annotations: Record<string, string> = { ...meta.annotations };
  annotations[ANNOTATIONS.operatorVersion] = opts.operatorVersion;
  Object.assign(annotations, cluster.spec.inheritedMetadata?.annotations);
  for (const [k, v] of Object.entries(cluster.metadata?.annotations ?? {})) {
    if (matchesAnyPattern(k, opts.inheritedAnnotations)) annotations[k] = v;
  }
  const labels: Record<string, string> = { ...meta.labels };
  Object.assign(labels, cluster.spec.inheritedMetadata?.labels);
  for (const [k, v] of Object.entries(cluster.metadata?.labels ?? {})) {
    if (matchesAnyPattern(k, opts.inheritedLabels)) labels[k] = v;
  }
  labels[LABELS.cluster] = clusterName(cluster);
  meta.annotations = annotations;
  meta.labels = labels;
  return meta;
}

/** `setInheritedData` plus the cluster as controller owner (deleting the cluster deletes the object). */
export function setInheritedDataAndOwnership(
  meta: V1ObjectMeta,
  cluster: Cluster,
  opts: InheritanceOptions,
): V1ObjectMeta {
  setInheritedData(meta, cluster, opts);
  return setControllerReference(meta, { apiVersion: API_VERSION, kind: 'Cluster', metadata: cluster.metadata });
}
