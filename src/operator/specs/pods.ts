// The instance pod: the instance manager (`/controller/manager instance run`, our `cnpg`) as PID 1
// of the `postgres` container, put in place by the `bootstrap-controller` init container, with the
// PGDATA (and WAL) volumes, the scratch and shm volumes, the Secrets the manager reads as files and
// the probes on its status port, as upstream's pkg/specs builds it. The bootstrap Jobs (jobs.ts)
// share the volumes, environment and security settings built here.
import type {
  V1Affinity,
  V1Container,
  V1EmptyDirVolumeSource,
  V1EnvVar,
  V1ObjectMeta,
  V1Pod,
  V1PodSecurityContext,
  V1PodSpec,
  V1Probe,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Cluster, ProbeWithStrategy } from '../../api/v1/cluster-types.ts';
import { SERVER_PORT as POSTGRES_PORT } from '../../api/v1/postgres-parameters.ts';
import { OPERATOR_IMAGE, OPERATOR_VERSION } from '../install/version.ts';
import {
  ANNOTATIONS,
  appLabels,
  type InheritanceOptions,
  instanceRoleLabels,
  LABELS,
  POD_ROLES,
  setInheritedDataAndOwnership,
} from './labels.ts';
import { instanceImage, runningMajor } from './postgres-image.ts';
import {
  clusterName,
  clusterNamespace,
  instanceName,
  pvcName,
  serviceAccountName,
  superuserSecretName,
} from './names.ts';
import { applyPodPatch } from './pod-patch.ts';

export const POSTGRES_CONTAINER_NAME = 'postgres';
export const BOOTSTRAP_CONTAINER_NAME = 'bootstrap-controller';

export const PGDATA_VOLUME_PATH = '/var/lib/postgresql/data';
export const PGDATA_PATH = `${PGDATA_VOLUME_PATH}/pgdata`;
export const WAL_VOLUME_PATH = '/var/lib/postgresql/wal';
export const WAL_DIRECTORY_PATH = `${WAL_VOLUME_PATH}/pg_wal`;
/** Upstream's scratch directory: the manager binary, the socket directory, log pipes, certificates. */
export const SCRATCH_PATH = '/controller';
export const SOCKET_PATH = `${SCRATCH_PATH}/run`;
export const MANAGER_PATH = `${SCRATCH_PATH}/manager`;
/** The executable of the operator image (`cnpg` on the local runtime). */
export const OPERATOR_IMAGE_MANAGER_PATH = '/manager';
export const PROJECTED_PATH = '/projected';

// Where the Secrets and ConfigMaps the instance manager reads as files are mounted (its
// --app-secret-dir, --superuser-secret-dir, --secrets-root, --configmaps-root).
export const APP_SECRET_PATH = '/etc/app-secret';
export const SUPERUSER_SECRET_PATH = '/etc/superuser-secret';
export const SECRETS_ROOT_PATH = '/etc/secrets';
export const CONFIGMAPS_ROOT_PATH = '/etc/configmaps';

export const STATUS_PORT = 8000;
export const METRICS_PORT = 9187;
export const PROBE_PERIOD_SECONDS = 10;
/**
 * The startup probe's period. Upstream uses 10 s; a kubelet probes on its ticker, not when the
 * container comes up, so each new instance would wait up to a period after PostgreSQL is ready.
 * 1 s keeps the same total allowance (the threshold is startDelay / period) and lets a replica
 * count as started within a second of being so.
 */
export const STARTUP_PROBE_PERIOD_SECONDS = 1;
export const PROBE_TIMEOUT_SECONDS = 5;

export const PATHS = { health: '/healthz', ready: '/readyz', startup: '/startupz' } as const;

export const DEFAULT_START_DELAY = 3600;
export const DEFAULT_STOP_DELAY = 1800;

export type InstanceRole = 'primary' | 'replica';

export interface InstancePodOptions {
  /** The role label the pod starts with (the `-rw`/`-ro` services select on it). */
  role: InstanceRole;
  /** Image of the bootstrap-controller init container (default: the operator's release image). */
  operatorImage?: string;
  /**
   * Where a replica streams from (`--primary-host`): the `-rw` Service's cluster IP where its DNS
   * name does not resolve (the local runtime has no DNS). Default: `<cluster>-rw`, as upstream.
   */
  primaryHost?: string;
  /** Inheritance settings of the operator (default: nothing inherited, this release's version). */
  inheritance?: InheritanceOptions;
}

export function defaultInheritance(opts: { inheritance?: InheritanceOptions }): InheritanceOptions {
  return opts.inheritance ?? { operatorVersion: OPERATOR_VERSION };
}

/** Upstream's pod environment (PGDATA, POD_NAME, ...), then the user's `spec.env`. */
export function instanceEnv(cluster: Cluster, podName: string): V1EnvVar[] {
  return [
    { name: 'PGDATA', value: PGDATA_PATH },
    { name: 'POD_NAME', value: podName },
    { name: 'NAMESPACE', value: clusterNamespace(cluster) },
    { name: 'CLUSTER_NAME', value: clusterName(cluster) },
    { name: 'PGPORT', value: String(POSTGRES_PORT) },
    { name: 'PGHOST', value: SOCKET_PATH },
    ...(cluster.spec.env ?? []),
  ];
}

/** A Secret or ConfigMap mounted as files for the instance manager. */
export interface FileSource {
  volume: V1Volume;
  mount: V1VolumeMount;
}

export function secretFiles(volumeName: string, secretName: string, mountPath: string): FileSource {
  return {
    // Readable by the pod's user only: these are credentials.
    volume: { name: volumeName, secret: { secretName, defaultMode: 0o600 } },
    mount: { name: volumeName, mountPath, readOnly: true },
  };
}

export function configMapFiles(volumeName: string, configMapName: string, mountPath: string): FileSource {
  return {
    volume: { name: volumeName, configMap: { name: configMapName } },
    mount: { name: volumeName, mountPath, readOnly: true },
  };
}

/** The superuser Secret, which the manager needs whenever superuser access is enabled. */
export function superuserSecretFiles(cluster: Cluster): FileSource[] {
  if (cluster.spec.enableSuperuserAccess !== true) return [];
  return [secretFiles('superuser-secret', superuserSecretName(cluster), SUPERUSER_SECRET_PATH)];
}

function sizeLimited(source: V1EmptyDirVolumeSource, limit: string | number | undefined): V1EmptyDirVolumeSource {
  return limit === undefined || limit === '' ? source : { ...source, sizeLimit: String(limit) };
}

/** The volumes every instance container and bootstrap job of `instance` mounts. */
export function instanceVolumes(cluster: Cluster, instance: string): V1Volume[] {
  const limits = cluster.spec.ephemeralVolumesSizeLimit;
  const volumes: V1Volume[] = [
    { name: 'pgdata', persistentVolumeClaim: { claimName: pvcName(instance, 'PG_DATA') } },
    cluster.spec.ephemeralVolumeSource !== undefined
      ? { name: 'scratch-data', ephemeral: cluster.spec.ephemeralVolumeSource }
      : { name: 'scratch-data', emptyDir: sizeLimited({}, limits?.temporaryData) },
    { name: 'shm', emptyDir: sizeLimited({ medium: 'Memory' }, limits?.shm) },
  ];
  if (cluster.spec.walStorage !== undefined) {
    volumes.push({ name: 'pg-wal', persistentVolumeClaim: { claimName: pvcName(instance, 'PG_WAL') } });
  }
  if ((cluster.spec.projectedVolumeTemplate?.sources ?? []).length > 0) {
    volumes.push({ name: 'projected', projected: structuredClone(cluster.spec.projectedVolumeTemplate) });
  }
  return volumes;
}

export function instanceVolumeMounts(cluster: Cluster): V1VolumeMount[] {
  const mounts: V1VolumeMount[] = [
    { name: 'pgdata', mountPath: PGDATA_VOLUME_PATH },
    { name: 'scratch-data', mountPath: '/run' },
    { name: 'scratch-data', mountPath: SCRATCH_PATH },
    { name: 'shm', mountPath: '/dev/shm' },
  ];
  if (cluster.spec.walStorage !== undefined) mounts.push({ name: 'pg-wal', mountPath: WAL_VOLUME_PATH });
  if ((cluster.spec.projectedVolumeTemplate?.sources ?? []).length > 0) {
    mounts.push({ name: 'projected', mountPath: PROJECTED_PATH });
  }
  return mounts;
}

const seccompProfile = (cluster: Cluster) => cluster.spec.seccompProfile ?? { type: 'RuntimeDefault' };

/** The pod security context: the user's `podSecurityContext`, else postgres UID/GID, non-root. */
export function podSecurityContext(cluster: Cluster): V1PodSecurityContext {
  if (cluster.spec.podSecurityContext !== undefined) return structuredClone(cluster.spec.podSecurityContext);
  const uid = cluster.spec.postgresUID ?? 26;
  const gid = cluster.spec.postgresGID ?? 26;
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: seccompProfile(cluster) };
}

/** The container security context: restricted defaults, each overridable by `spec.securityContext`. */
export function containerSecurityContext(cluster: Cluster): V1SecurityContext {
  const defaults: V1SecurityContext = {
    seccompProfile: seccompProfile(cluster),
    capabilities: { drop: ['ALL'] },
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  };
  const own = cluster.spec.securityContext;
  if (own === undefined) return defaults;
  const merged: V1SecurityContext = structuredClone(own);
  for (const [key, value] of Object.entries(defaults) as [keyof V1SecurityContext, unknown][]) {
    if (merged[key] === undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The init container copying the instance manager into the scratch volume. */
export function bootstrapContainer(cluster: Cluster, operatorImage: string | undefined): V1Container {
  return {
    name: BOOTSTRAP_CONTAINER_NAME,
    image: operatorImage ?? OPERATOR_IMAGE,
    ...(cluster.spec.imagePullPolicy ? { imagePullPolicy: cluster.spec.imagePullPolicy } : {}),
    command: [OPERATOR_IMAGE_MANAGER_PATH, 'bootstrap', MANAGER_PATH],
    volumeMounts: instanceVolumeMounts(cluster),
    ...(cluster.spec.resources ? { resources: structuredClone(cluster.spec.resources) } : {}),
    securityContext: containerSecurityContext(cluster),
  };
}

/**
 * The affinity upstream generates: pod anti-affinity between the cluster's instances on
 * `topologyKey` (preferred or required) unless disabled, plus the user's additional terms.
 */
export function instanceAffinity(cluster: Cluster): V1Affinity | undefined {
  const config = cluster.spec.affinity ?? {};
  let affinity: V1Affinity | undefined;
  const type = config.podAntiAffinityType || 'preferred';
  if (config.enablePodAntiAffinity !== false && (type === 'preferred' || type === 'required')) {
    const term = {
      labelSelector: {
        matchExpressions: [
          { key: LABELS.cluster, operator: 'In', values: [clusterName(cluster)] },
          { key: LABELS.podRole, operator: 'In', values: [POD_ROLES.instance] },
        ],
      },
      topologyKey: config.topologyKey || 'kubernetes.io/hostname',
    };
    affinity = {
      podAntiAffinity:
        type === 'required'
          ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
          : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
    };
  }
  if (config.additionalPodAffinity) {
    affinity = { ...affinity, podAffinity: structuredClone(config.additionalPodAffinity) };
  }
  if (config.additionalPodAntiAffinity) {
    const anti = affinity?.podAntiAffinity ?? {};
    const extra = config.additionalPodAntiAffinity;
    affinity = {
      ...affinity,
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          ...(anti.requiredDuringSchedulingIgnoredDuringExecution ?? []),
          ...(extra.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ],
        preferredDuringSchedulingIgnoredDuringExecution: [
          ...(anti.preferredDuringSchedulingIgnoredDuringExecution ?? []),
          ...(extra.preferredDuringSchedulingIgnoredDuringExecution ?? []),
        ],
      },
    };
  }
  if (config.nodeAffinity) affinity = { ...affinity, nodeAffinity: structuredClone(config.nodeAffinity) };
  return affinity;
}

/** Scheduling and identity settings shared by instance pods and bootstrap job pods. */
export function instancePodSpecCommon(cluster: Cluster): Partial<V1PodSpec> {
  const affinity = instanceAffinity(cluster);
  const a = cluster.spec.affinity;
  return {
    ...(cluster.spec.schedulerName ? { schedulerName: cluster.spec.schedulerName } : {}),
    securityContext: podSecurityContext(cluster),
    ...(affinity ? { affinity } : {}),
    ...(a?.tolerations ? { tolerations: structuredClone(a.tolerations) } : {}),
    ...(a?.nodeSelector ? { nodeSelector: { ...a.nodeSelector } } : {}),
    ...(cluster.spec.topologySpreadConstraints
      ? { topologySpreadConstraints: structuredClone(cluster.spec.topologySpreadConstraints) }
      : {}),
    serviceAccountName: serviceAccountName(cluster),
  };
}

/** FAILURE_THRESHOLD = ceil(seconds / period), at least 1 (upstream's startup and liveness rule). */
export function failureThreshold(seconds: number, period = PROBE_PERIOD_SECONDS): number {
  return seconds <= period ? 1 : Math.ceil(seconds / period);
}

function httpProbe(path: string, period = PROBE_PERIOD_SECONDS): V1Probe {
  return {
    // The instance serves its API over HTTPS with the cluster's server certificate (as upstream).
    httpGet: { path, port: STATUS_PORT, scheme: 'HTTPS' },
    periodSeconds: period,
    timeoutSeconds: PROBE_TIMEOUT_SECONDS,
  };
}

/** The timing fields the user set in `spec.probes.<kind>` win over the defaults. */
function applyProbeOverrides(probe: V1Probe, own: Omit<ProbeWithStrategy, 'type' | 'maximumLag'> | undefined): V1Probe {
  if (own === undefined) return probe;
  const fields = [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
    'terminationGracePeriodSeconds',
  ] as const;
  for (const field of fields) {
    const value = own[field];
    if (value !== undefined && value !== 0) probe[field] = value;
  }
  return probe;
}

/** The postgres container of an instance pod. */
export function postgresContainer(cluster: Cluster, podName: string, opts: InstancePodOptions): V1Container {
  const flags: string[] = [];
  if (cluster.spec.enableSuperuserAccess === true) flags.push('--superuser-secret-dir', SUPERUSER_SECRET_PATH);
  if (opts.primaryHost) flags.push('--primary-host', opts.primaryHost);
  // Part of the pod spec (as upstream's flag), so that turning it on or off rolls the instances out.
  if (cluster.spec.monitoring?.tls?.enabled === true) flags.push('--metrics-port-tls');
  const probes = cluster.spec.probes;
  const startupPeriod = probes?.startup?.periodSeconds || STARTUP_PROBE_PERIOD_SECONDS;
  const startup = httpProbe(PATHS.startup, startupPeriod);
  startup.failureThreshold = failureThreshold(cluster.spec.startDelay ?? DEFAULT_START_DELAY, startupPeriod);
  const liveness = httpProbe(PATHS.health);
  if (cluster.spec.livenessProbeTimeout !== undefined) {
    liveness.failureThreshold = failureThreshold(cluster.spec.livenessProbeTimeout);
  }
  return {
    name: POSTGRES_CONTAINER_NAME,
    image: instanceImage(cluster),
    ...(cluster.spec.imagePullPolicy ? { imagePullPolicy: cluster.spec.imagePullPolicy } : {}),
    env: instanceEnv(cluster, podName),
    ...(cluster.spec.envFrom ? { envFrom: structuredClone(cluster.spec.envFrom) } : {}),
    volumeMounts: [...instanceVolumeMounts(cluster), ...superuserSecretFiles(cluster).map((f) => f.mount)],
    startupProbe: applyProbeOverrides(startup, probes?.startup),
    readinessProbe: applyProbeOverrides(httpProbe(PATHS.ready), probes?.readiness),
    livenessProbe: applyProbeOverrides(liveness, probes?.liveness),
    command: [MANAGER_PATH, 'instance', 'run', ...flags],
    ...(cluster.spec.resources ? { resources: structuredClone(cluster.spec.resources) } : {}),
    ports: [
      { name: 'postgresql', containerPort: POSTGRES_PORT, protocol: 'TCP' },
      { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
      { name: 'status', containerPort: STATUS_PORT, protocol: 'TCP' },
    ],
    securityContext: containerSecurityContext(cluster),
  };
}

/**
 * The labels of an instance's pod: those that identify it (the services and PDBs select on them)
 * and upstream's `app.kubernetes.io/*`, whose version is the PostgreSQL major that runs.
 */
export function instancePodLabels(cluster: Cluster, instance: string, role: InstanceRole): Record<string, string> {
  return {
    [LABELS.cluster]: clusterName(cluster),
    [LABELS.instanceName]: instance,
    [LABELS.podRole]: POD_ROLES.instance,
    ...appLabels(clusterName(cluster), runningMajor(cluster)),
    ...instanceRoleLabels(role),
  };
}

/**
 * The Pod of instance `<cluster>-<serial>`, owned by the cluster, with the `cnpg.io/podPatch`
 * annotation's patch applied (throws PodPatchError when it does not apply).
 */
export function instancePod(cluster: Cluster, serial: number, opts: InstancePodOptions): V1Pod {
  const pod = applyPodPatch(cluster, generatedInstancePod(cluster, serial, opts));
  // The spec as generated and patched, so that drift (a changed cluster spec or patch) is found by comparing it.
  pod.metadata = {
    ...pod.metadata,
    annotations: { ...pod.metadata?.annotations, [ANNOTATIONS.podSpec]: JSON.stringify(pod.spec) },
  };
  return pod;
}

/** The instance Pod as the operator generates it, before the podPatch and the spec snapshot. */
export function generatedInstancePod(cluster: Cluster, serial: number, opts: InstancePodOptions): V1Pod {
  const podName = instanceName(clusterName(cluster), serial);
  const spec: V1PodSpec = {
    hostname: podName,
    initContainers: [bootstrapContainer(cluster, opts.operatorImage)],
    containers: [postgresContainer(cluster, podName, opts)],
    volumes: [...instanceVolumes(cluster, podName), ...superuserSecretFiles(cluster).map((f) => f.volume)],
    ...instancePodSpecCommon(cluster),
    terminationGracePeriodSeconds: cluster.spec.stopDelay ?? DEFAULT_STOP_DELAY,
    ...(cluster.spec.priorityClassName ? { priorityClassName: cluster.spec.priorityClassName } : {}),
  };
  const metadata: V1ObjectMeta = {
    name: podName,
    namespace: clusterNamespace(cluster),
    labels: instancePodLabels(cluster, podName, opts.role),
    annotations: {
      [ANNOTATIONS.nodeSerial]: String(serial),
    },
  };
  setInheritedDataAndOwnership(metadata, cluster, defaultInheritance(opts));
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}
