// The Jobs that create an instance's data directory before its pod runs: `<instance>-initdb`
// (`instance init`: a new primary from bootstrap.initdb) and `<instance>-join` (`instance join`: a
// replica cloned from the primary through the `-rw` service), as upstream's pkg/specs/jobs.go builds
// them: same image, volumes, environment and security settings as the instance pod.
import type { V1Container, V1EnvVar, V1Job, V1ObjectMeta } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import type { SecretKeySelector } from '../../api/v1/common-types.ts';
import { appLabels, type InheritanceOptions, LABELS, setInheritedDataAndOwnership } from './labels.ts';
import {
  applicationDatabaseName,
  applicationSecretName,
  clusterName,
  clusterNamespace,
  instanceName,
  type JobRole,
  jobName,
} from './names.ts';
import {
  APP_SECRET_PATH,
  bootstrapContainer,
  CONFIGMAPS_ROOT_PATH,
  configMapFiles,
  containerSecurityContext,
  defaultInheritance,
  type FileSource,
  instanceEnv,
  instancePodSpecCommon,
  instanceVolumeMounts,
  instanceVolumes,
  MANAGER_PATH,
  SECRETS_ROOT_PATH,
  secretFiles,
  SUPERUSER_SECRET_PATH,
  superuserSecretFiles,
} from './pods.ts';
import { instanceImage, runningMajor } from './postgres-image.ts';

export type BootstrapJobKind = Extract<JobRole, 'initdb' | 'join'>;

export interface BootstrapJobOptions {
  /** The instance the reconciler expects to clone (join); the clone goes through primaryHost. */
  primaryInstance?: string;
  /** Where `join` clones from: default `<cluster>-rw` (see InstancePodOptions.primaryHost). */
  primaryHost?: string;
  /** Image of the bootstrap-controller init container (default: the operator's release image). */
  operatorImage?: string;
  inheritance?: InheritanceOptions;
}

/** Every Secret and ConfigMap key the post-init SQL references read, in the order initdb runs them. */
function sqlRefs(cluster: Cluster): { secrets: SecretKeySelector[]; configMaps: SecretKeySelector[] } {
  const initdb = cluster.spec.bootstrap?.initdb;
  const refs = [initdb?.postInitSQLRefs, initdb?.postInitTemplateSQLRefs, initdb?.postInitApplicationSQLRefs];
  return {
    secrets: refs.flatMap((r) => r?.secretRefs ?? []),
    configMaps: refs.flatMap((r) => r?.configMapRefs ?? []),
  };
}

/** The files `instance init` reads: owner and superuser secrets, the post-init SQL objects. */
function initdbFiles(cluster: Cluster): FileSource[] {
  const files: FileSource[] = [];
  if (applicationDatabaseName(cluster)) {
    files.push(secretFiles('app-secret', applicationSecretName(cluster), APP_SECRET_PATH));
  }
  files.push(...superuserSecretFiles(cluster));
  const { secrets, configMaps } = sqlRefs(cluster);
  // Volume names must be DNS labels whatever the object's name is: number them.
  [...new Set(secrets.map((s) => s.name))].forEach((name, i) => {
    files.push(secretFiles(`sql-secret-${i}`, name, `${SECRETS_ROOT_PATH}/${name}`));
  });
  [...new Set(configMaps.map((c) => c.name))].forEach((name, i) => {
    files.push(configMapFiles(`sql-configmap-${i}`, name, `${CONFIGMAPS_ROOT_PATH}/${name}`));
  });
  return files;
}

function initdbCommand(cluster: Cluster): string[] {
  const command = [MANAGER_PATH, 'instance', 'init'];
  if (applicationDatabaseName(cluster)) command.push('--app-secret-dir', APP_SECRET_PATH);
  if (cluster.spec.enableSuperuserAccess === true) command.push('--superuser-secret-dir', SUPERUSER_SECRET_PATH);
  const { secrets, configMaps } = sqlRefs(cluster);
  if (secrets.length > 0) command.push('--secrets-root', SECRETS_ROOT_PATH);
  if (configMaps.length > 0) command.push('--configmaps-root', CONFIGMAPS_ROOT_PATH);
  return command;
}

/** The Job that bootstraps the data directory of `<cluster>-<serial>`. */
export function bootstrapJob(
  cluster: Cluster,
  serial: number,
  kind: BootstrapJobKind,
  opts: BootstrapJobOptions,
): V1Job {
  const name = clusterName(cluster);
  const instance = instanceName(name, serial);
  const job = jobName(instance, kind);
  const files = kind === 'initdb' ? initdbFiles(cluster) : [];
  const command =
    kind === 'initdb'
      ? initdbCommand(cluster)
      : [MANAGER_PATH, 'instance', 'join', ...(opts.primaryHost ? ['--primary-host', opts.primaryHost] : [])];
  const env: V1EnvVar[] = instanceEnv(cluster, job);
  if (kind === 'initdb' && applicationDatabaseName(cluster)) {
    // As upstream: the job does not start before the application secret exists.
    env.push({
      name: 'APP_USERNAME',
      valueFrom: { secretKeyRef: { name: applicationSecretName(cluster), key: 'username', optional: false } },
    });
  }
  const container: V1Container = {
    name: kind,
    image: instanceImage(cluster),
    ...(cluster.spec.imagePullPolicy ? { imagePullPolicy: cluster.spec.imagePullPolicy } : {}),
    env,
    ...(cluster.spec.envFrom ? { envFrom: structuredClone(cluster.spec.envFrom) } : {}),
    command,
    volumeMounts: [...instanceVolumeMounts(cluster), ...files.map((f) => f.mount)],
    ...(cluster.spec.resources ? { resources: structuredClone(cluster.spec.resources) } : {}),
    securityContext: containerSecurityContext(cluster),
  };
  const labels = {
    [LABELS.instanceName]: instance,
    [LABELS.cluster]: name,
    [LABELS.jobRole]: kind,
    ...appLabels(name, runningMajor(cluster)),
  };
  const metadata: V1ObjectMeta = { name: job, namespace: clusterNamespace(cluster), labels: { ...labels } };
  setInheritedDataAndOwnership(metadata, cluster, defaultInheritance(opts));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      template: {
        metadata: { labels },
        spec: {
          hostname: job,
          initContainers: [bootstrapContainer(cluster, opts.operatorImage)],
          containers: [container],
          volumes: [...instanceVolumes(cluster, instance), ...files.map((f) => f.volume)],
          ...instancePodSpecCommon(cluster),
          restartPolicy: 'Never',
        },
      },
    },
  };
}
